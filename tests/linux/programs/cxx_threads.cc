// linux-test: cflags=-pthread
// std::thread, std::mutex, std::lock_guard/unique_lock, std::condition_variable,
// std::async/std::future/std::promise, std::atomic, thread_local, call_once,
// and an exception carried from a thread to its joiner through a future.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <iostream>
#include <mutex>
#include <numeric>
#include <queue>
#include <stdexcept>
#include <thread>
#include <vector>

static std::mutex mu;
static long shared_total = 0;

static void add_many(int n) {
    for (int i = 0; i < n; i++) {
        std::lock_guard<std::mutex> lock(mu);
        shared_total += 1;
    }
}

static void threads_and_mutex() {
    std::vector<std::thread> workers;
    for (int i = 0; i < 4; i++) workers.emplace_back(add_many, 2000);
    for (auto &t : workers) t.join();
    std::cout << "mutex-protected total: " << shared_total << "\n";
    std::atomic<int> atomic_total{0};
    std::vector<std::thread> more;
    for (int i = 0; i < 4; i++)
        more.emplace_back([&atomic_total] {
            for (int j = 0; j < 2000; j++) atomic_total.fetch_add(1, std::memory_order_relaxed);
        });
    for (auto &t : more) t.join();
    std::cout << "atomic total: " << atomic_total.load() << "\n";
    std::thread t([] {});
    std::cout << "joinable before join: " << t.joinable() << "\n";
    t.join();
    std::cout << "joinable after join: " << t.joinable() << "\n";
    std::cout << "ids differ: " << (std::this_thread::get_id() != std::thread::id()) << "\n";
}

static void producer_consumer() {
    std::mutex m;
    std::condition_variable cv;
    std::queue<int> q;
    bool done = false;
    long consumed = 0;
    std::thread consumer([&] {
        std::unique_lock<std::mutex> lock(m);
        for (;;) {
            cv.wait(lock, [&] { return !q.empty() || done; });
            while (!q.empty()) {
                consumed += q.front();
                q.pop();
            }
            if (done) break;
        }
    });
    for (int i = 1; i <= 100; i++) {
        {
            std::lock_guard<std::mutex> lock(m);
            q.push(i);
        }
        cv.notify_one();
    }
    {
        std::lock_guard<std::mutex> lock(m);
        done = true;
    }
    cv.notify_one();
    consumer.join();
    std::cout << "consumed sum: " << consumed << "\n";
    std::unique_lock<std::mutex> lock(m);
    bool woke = cv.wait_for(lock, std::chrono::milliseconds(20), [] { return false; });
    std::cout << "wait_for with a false predicate: " << woke << "\n";
}

static void futures() {
    auto sum = std::async(std::launch::async, [] {
        std::vector<int> v(1000);
        std::iota(v.begin(), v.end(), 1);
        return std::accumulate(v.begin(), v.end(), 0);
    });
    std::cout << "async sum: " << sum.get() << "\n";
    auto deferred = std::async(std::launch::deferred, [] { return 6 * 7; });
    std::cout << "deferred: " << deferred.get() << "\n";
    auto failing = std::async(std::launch::async, []() -> int {
        throw std::runtime_error("thrown in a thread");
    });
    try {
        failing.get();
    } catch (const std::runtime_error &e) {
        std::cout << "future carried: " << e.what() << "\n";
    }
    std::promise<std::string> promise;
    std::future<std::string> fut = promise.get_future();
    std::thread setter([&promise] { promise.set_value("from a promise"); });
    std::cout << "promise: " << fut.get() << "\n";
    setter.join();
}

static thread_local int per_thread = 0;

static void thread_locals_and_once() {
    per_thread = 1;
    int seen_in_thread = -1;
    std::thread t([&seen_in_thread] {
        seen_in_thread = per_thread;
        per_thread = 99;
    });
    t.join();
    std::cout << "thread_local: main " << per_thread << ", new thread saw " << seen_in_thread
              << "\n";
    std::once_flag once;
    std::atomic<int> ran{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < 4; i++) ts.emplace_back([&] { std::call_once(once, [&] { ran++; }); });
    for (auto &x : ts) x.join();
    std::cout << "call_once ran " << ran.load() << " time(s)\n";
}

int main() {
    threads_and_mutex();
    producer_consumer();
    futures();
    thread_locals_and_once();
    std::cout << "done\n";
}
