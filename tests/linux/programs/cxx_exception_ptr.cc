// std::exception_ptr: current_exception, rethrow_exception (also after the
// handler has ended), make_exception_ptr, copying and comparing them;
// nested exceptions (throw_with_nested, rethrow_if_nested); and
// std::uncaught_exceptions() seen from destructors during unwinding.
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

static std::exception_ptr saved;

static void remember() {
    try {
        throw std::runtime_error("saved for later");
    } catch (...) {
        saved = std::current_exception();
        std::cout << "inside the handler: saved is " << (saved ? "set" : "empty") << "\n";
    }
}

static void exception_ptrs() {
    std::exception_ptr none;
    std::cout << "default exception_ptr is " << (none ? "set" : "empty")
              << ", == nullptr: " << (none == nullptr) << "\n";
    std::cout << "current_exception() outside a handler is "
              << (std::current_exception() ? "set" : "empty") << "\n";
    remember();
    std::exception_ptr copy = saved;
    std::cout << "copy == saved: " << (copy == saved) << "\n";
    for (int round = 0; round < 2; round++) {
        try {
            std::rethrow_exception(copy);
        } catch (const std::runtime_error &e) {
            std::cout << "round " << round << " rethrown: " << e.what() << "\n";
        }
    }
    // The same object each time: a change made in one handler is seen in the next.
    try {
        try {
            throw std::vector<int>{1, 2};
        } catch (...) {
            saved = std::current_exception();
        }
        try {
            std::rethrow_exception(saved);
        } catch (std::vector<int> &v) {
            v.push_back(3);
        }
        std::rethrow_exception(saved);
    } catch (const std::vector<int> &v) {
        std::cout << "same object, now " << v.size() << " elements\n";
    }
    auto made = std::make_exception_ptr(std::out_of_range("made, not thrown"));
    try {
        std::rethrow_exception(made);
    } catch (const std::logic_error &e) {
        std::cout << "make_exception_ptr: " << e.what() << "\n";
    }
    auto from_int = std::make_exception_ptr(17);
    try {
        std::rethrow_exception(from_int);
    } catch (int v) {
        std::cout << "make_exception_ptr(17) rethrown as int " << v << "\n";
    }
    std::cout << "made != from_int: " << (made != from_int) << "\n";
    saved = nullptr;
}

static void open_config(const std::string &name) {
    try {
        throw std::runtime_error("no such file: " + name);
    } catch (...) {
        std::throw_with_nested(std::logic_error("cannot open config " + name));
    }
}

static void start_service() {
    try {
        open_config("app.conf");
    } catch (...) {
        std::throw_with_nested(std::runtime_error("service did not start"));
    }
}

static void print_nested(const std::exception &e, int depth) {
    std::cout << std::string(depth * 2, ' ') << e.what() << "\n";
    try {
        std::rethrow_if_nested(e);
    } catch (const std::exception &inner) {
        print_nested(inner, depth + 1);
    }
}

static void nested_exceptions() {
    try {
        start_service();
    } catch (const std::exception &e) {
        print_nested(e, 0);
    }
    // rethrow_if_nested on an exception that nests nothing does nothing.
    std::runtime_error plain("plain");
    std::rethrow_if_nested(plain);
    std::cout << "rethrow_if_nested(plain) returned\n";
    // A nested_exception made outside any handler holds nothing.
    std::nested_exception empty;
    std::cout << "nested_ptr outside a handler: " << (empty.nested_ptr() ? "set" : "empty") << "\n";
}

struct Watcher {
    const char *name;
    ~Watcher() {
        std::cout << name << ": uncaught_exceptions() = " << std::uncaught_exceptions() << "\n";
    }
};

static void uncaught_count() {
    {
        Watcher w{"normal scope exit"};
    }
    try {
        Watcher w{"unwinding"};
        throw 1;
    } catch (int) {
        std::cout << "in the handler: uncaught_exceptions() = " << std::uncaught_exceptions() << "\n";
    }
}

int main() {
    exception_ptrs();
    nested_exceptions();
    uncaught_count();
    std::cout << "done\n";
}
