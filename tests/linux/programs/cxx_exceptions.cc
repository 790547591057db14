// C++ exceptions: thrown across functions, caught by base class and by
// catch(...), rethrown, destructors run during unwinding (RAII), exceptions
// from constructors, function-try-blocks, and the exceptions the library
// itself throws (vector::at, stoi, map::at, bad_cast, bad_function_call...).
// Only portable things are printed: libstdc++ and libc++ word what() of
// their own exceptions differently, so for those only the type is printed.
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <vector>

static std::vector<std::string> events;

struct Guard {
    std::string name;
    explicit Guard(std::string n) : name(std::move(n)) { events.push_back("enter " + name); }
    ~Guard() { events.push_back("leave " + name); }
};

static void print_events(const char *title) {
    std::cout << title << ":";
    for (const auto &e : events) std::cout << " [" << e << "]";
    std::cout << "\n";
    events.clear();
}

struct AppError : std::runtime_error {
    int code;
    AppError(const std::string &what, int c) : std::runtime_error(what), code(c) {}
};

static int level3(int x) {
    Guard g("level3");
    if (x > 10) throw AppError("too big: " + std::to_string(x), x);
    return x * 2;
}

static int level2(int x) {
    Guard g("level2");
    std::unique_ptr<Guard> heap(new Guard("heap2"));
    return level3(x) + 1;
}

static int level1(int x) {
    Guard g("level1");
    return level2(x) + 1;
}

static void across_functions() {
    std::cout << "level1(3) = " << level1(3) << "\n";
    print_events("no throw");
    try {
        level1(42);
        std::cout << "not reached\n";
    } catch (const AppError &e) {
        print_events("unwound");
        std::cout << "caught AppError what=" << e.what() << " code=" << e.code << "\n";
    }
    try {
        level1(11);
    } catch (const std::runtime_error &e) {  // by base class
        std::cout << "caught as runtime_error: " << e.what() << "\n";
    }
    try {
        level1(12);
    } catch (const std::exception &e) {
        std::cout << "caught as exception: " << e.what() << "\n";
    }
    events.clear();
}

static void catch_all_and_rethrow() {
    try {
        try {
            throw 7;
        } catch (...) {
            std::cout << "catch(...) got an int, rethrowing\n";
            throw;
        }
    } catch (int v) {
        std::cout << "outer caught int " << v << "\n";
    }
    try {
        try {
            throw std::string("a string");
        } catch (std::string &s) {
            s += " (modified)";
            throw;  // rethrows the same object, modifications included
        }
    } catch (const std::string &s) {
        std::cout << "rethrown: " << s << "\n";
    }
    try {
        throw 'c';
    } catch (int) {
        std::cout << "wrong: char caught as int\n";
    } catch (char c) {
        std::cout << "char handler: " << c << "\n";
    }
    struct Local {};
    try {
        throw Local();
    } catch (const std::exception &) {
        std::cout << "wrong handler\n";
    } catch (...) {
        std::cout << "catch(...) got a local struct\n";
    }
    const char *literal = "pointer";
    try {
        throw literal;
    } catch (const char *p) {
        std::cout << "const char* handler: " << p << "\n";
    }
}

struct Member {
    int id;
    explicit Member(int i) : id(i) {
        if (i == 3) throw std::invalid_argument("member 3 refuses");
        events.push_back("member " + std::to_string(i));
    }
    ~Member() { events.push_back("~member " + std::to_string(id)); }
};

struct Holder {
    Member a{1}, b{2}, c{3}, d{4};
    Holder() { events.push_back("Holder body (not reached)"); }
};

static void constructor_throws() {
    try {
        Holder h;
    } catch (const std::invalid_argument &e) {
        print_events("partial construction");
        std::cout << "caught: " << e.what() << "\n";
    }
    try {
        std::vector<Member> v;
        v.reserve(8);
        for (int i = 0; i < 6; i++) v.emplace_back(i);
    } catch (const std::invalid_argument &e) {
        // Which order a vector destroys its elements in is the library's choice.
        std::size_t made = 0, destroyed = 0;
        for (const auto &ev : events) (ev[0] == '~' ? destroyed : made)++;
        events.clear();
        std::cout << "vector of members: " << made << " made, " << destroyed << " destroyed\n";
    }
}

static int function_try_block(int x) try {
    if (x < 0) throw std::domain_error("negative");
    return x;
} catch (const std::domain_error &e) {
    std::cout << "function-try-block caught " << e.what() << "\n";
    return -1;
}

template <class Fn>
static void expect(const char *what, Fn fn) {
    try {
        fn();
        std::cout << what << ": no exception\n";
    } catch (const std::out_of_range &) {
        std::cout << what << ": out_of_range\n";
    } catch (const std::invalid_argument &) {
        std::cout << what << ": invalid_argument\n";
    } catch (const std::length_error &) {
        std::cout << what << ": length_error\n";
    } catch (const std::bad_cast &) {
        std::cout << what << ": bad_cast\n";
    } catch (const std::bad_function_call &) {
        std::cout << what << ": bad_function_call\n";
    } catch (const std::logic_error &) {
        std::cout << what << ": other logic_error\n";
    } catch (const std::exception &) {
        std::cout << what << ": other exception\n";
    }
}

struct Base { virtual ~Base() = default; };
struct Derived : Base {};
struct Other : Base {};

static void library_exceptions() {
    std::vector<int> v{1, 2, 3};
    expect("vector.at(1)", [&] { std::cout << "  value " << v.at(1) << "\n"; });
    expect("vector.at(10)", [&] { (void)v.at(10); });
    std::string s = "hello";
    expect("string.at(99)", [&] { (void)s.at(99); });
    expect("string.substr(99)", [&] { (void)s.substr(99); });
    expect("stoi(\"42\")", [] { std::cout << "  value " << std::stoi("42") << "\n"; });
    expect("stoi(\"abc\")", [] { (void)std::stoi("abc"); });
    expect("stoi(\"99999999999\")", [] { (void)std::stoi("99999999999"); });
    expect("stol(\"\")", [] { (void)std::stol(""); });
    expect("stod(\"x1\")", [] { (void)std::stod("x1"); });
    expect("stoull(\"-\")", [] { (void)std::stoull("-"); });
    std::map<std::string, int> m{{"one", 1}};
    expect("map.at(\"one\")", [&] { std::cout << "  value " << m.at("one") << "\n"; });
    expect("map.at(\"two\")", [&] { (void)m.at("two"); });
    expect("vector.reserve(max+1)", [] {
        std::vector<int> big;
        big.reserve(big.max_size() + 1);
    });
    Derived d;
    Base &b = d;
    expect("dynamic_cast<Other&>", [&] { (void)dynamic_cast<Other &>(b); });
    expect("dynamic_cast<Derived&>", [&] { (void)dynamic_cast<Derived &>(b); });
    std::function<int()> empty;
    expect("empty std::function", [&] { (void)empty(); });
}

static void noexcept_and_destructors() {
    std::cout << "noexcept(level1(1)) = " << noexcept(level1(1)) << "\n";
    std::cout << "noexcept(std::string()) = " << noexcept(std::string()) << "\n";
    // An exception thrown and caught inside a destructor during unwinding.
    struct Careful {
        ~Careful() {
            try {
                throw std::runtime_error("inside a destructor");
            } catch (const std::exception &e) {
                events.push_back(std::string("destructor caught: ") + e.what());
            }
        }
    };
    try {
        Careful c;
        throw std::logic_error("outer");
    } catch (const std::logic_error &e) {
        print_events("destructor with its own try");
        std::cout << "outer caught " << e.what() << "\n";
    }
}

int main() {
    across_functions();
    catch_all_and_rethrow();
    constructor_throws();
    std::cout << "function_try_block(5) = " << function_try_block(5) << "\n";
    std::cout << "function_try_block(-5) = " << function_try_block(-5) << "\n";
    library_exceptions();
    noexcept_and_destructors();
    std::cout << "done\n";
    return 0;
}
