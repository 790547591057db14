// linux-test: xfail=clang (zig's) asks operator new[] for SIZE_MAX bytes when new[]'s count is negative or its size overflows, so new int[-1] throws bad_alloc where g++ throws its subclass bad_array_new_length (docs/cxx.md)
// Allocations that cannot succeed: operator new throws std::bad_alloc,
// new[] with a negative count std::bad_array_new_length, the nothrow forms
// give a null pointer, and containers asked for more than max_size() throw
// std::length_error.
#include <cstdint>
#include <iostream>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

template <class Fn>
static void expect(const char *what, Fn fn) {
    try {
        fn();
        std::cout << what << ": no exception\n";
    } catch (const std::bad_array_new_length &) {
        std::cout << what << ": bad_array_new_length\n";
    } catch (const std::bad_alloc &) {
        std::cout << what << ": bad_alloc\n";
    } catch (const std::length_error &) {
        std::cout << what << ": length_error\n";
    }
}

int main() {
    static volatile std::size_t max_size = std::numeric_limits<std::size_t>::max();
    const std::size_t huge = max_size;  // volatile: no compile-time size warnings
    expect("operator new(SIZE_MAX)", [&] { ::operator delete(::operator new(huge)); });
    expect("operator new(SIZE_MAX - 8)", [&] { ::operator delete(::operator new(huge - 8)); });
    expect("operator new(SIZE_MAX / 2 + 4096)", [&] {
        ::operator delete(::operator new(huge / 2 + 4096));
    });
    expect("new int[-1]", [] {
        volatile long n = -1;
        int *volatile p = new int[n];  // kept: clang may elide an unused new/delete pair
        delete[] p;
    });
    void *p = ::operator new(huge, std::nothrow);
    std::cout << "nothrow new(SIZE_MAX): " << (p ? "memory" : "null") << "\n";
    ::operator delete(p);
    std::vector<int> v;
    expect("vector.reserve(max_size() + 1)", [&] { v.reserve(v.max_size() + 1); });
    std::string s;
    expect("string.reserve(max_size() + 1)", [&] { s.reserve(s.max_size() + 1); });
    std::cout << "done\n";
}
