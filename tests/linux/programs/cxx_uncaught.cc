// An exception nobody catches ends the program through std::terminate:
// a message on stderr (its wording is the library's own: not compared) and
// abort(), so the exit status is SIGABRT's. What was flushed before stays.
#include <iostream>
#include <stdexcept>
#include <string>

static int depth(int n) {
    if (n == 0) throw std::runtime_error("nobody catches this");
    return depth(n - 1) + 1;
}

int main() {
    std::cout << "before the throw" << std::endl;
    try {
        depth(2);
    } catch (const std::logic_error &) {
        std::cout << "not this handler" << std::endl;
    }
    std::cout << "not reached" << std::endl;
    return 0;
}
