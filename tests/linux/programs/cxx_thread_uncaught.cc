// linux-test: cflags=-pthread
// An exception that leaves a std::thread's function ends the whole program
// through std::terminate (message on stderr, not compared; abort: SIGABRT),
// while the main thread is blocked in join.
#include <iostream>
#include <stdexcept>
#include <thread>

int main() {
    std::cout << "main starts a thread" << std::endl;
    std::thread t([] {
        std::cout << "the thread throws" << std::endl;
        throw std::runtime_error("nobody catches this in the thread");
    });
    t.join();
    std::cout << "not reached" << std::endl;
    return 0;
}
