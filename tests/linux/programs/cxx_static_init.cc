// Start-up and shut-down of a C++ program: global constructors before main
// (in definition order within a file), function-local statics built once on
// first use (thread-safe guards), destructors of globals and statics after
// main in reverse order of construction, interleaved with atexit handlers
// as the standard says, an exception thrown and caught during static
// initialisation, and main's return value as the exit status.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>

struct Loud {
    std::string name;
    explicit Loud(std::string n) : name(std::move(n)) { std::printf("construct %s\n", name.c_str()); }
    ~Loud() { std::printf("destroy %s\n", name.c_str()); }
};

Loud first("global first");
Loud second("global second");

static int init_with_exception() {
    try {
        throw std::runtime_error("during static init");
    } catch (const std::exception &e) {
        std::printf("caught '%s' before main\n", e.what());
    }
    return 7;
}
static int seven = init_with_exception();

static Loud &lazy() {
    static Loud instance("function-local static");
    return instance;
}

static int counter() {
    static int calls = [] {
        std::printf("initialising the counter once\n");
        return 100;
    }();
    return ++calls;
}

static void at_exit_handler() { std::printf("atexit handler\n"); }

Loud third("global third");

int main() {
    std::printf("main starts, seven = %d\n", seven);
    std::printf("counter %d\n", counter());
    std::printf("counter %d\n", counter());
    std::printf("lazy is %s\n", lazy().name.c_str());
    std::printf("lazy again is %s\n", lazy().name.c_str());
    std::atexit(at_exit_handler);  // registered after lazy(): runs before its destructor
    static Loud in_main("static in main");
    Loud local("local in main");
    std::cout << "main returns 3" << std::endl;
    return 3;
}
