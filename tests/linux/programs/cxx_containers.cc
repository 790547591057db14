// The standard library's everyday parts: std::string, vector, deque, list,
// map, set, unordered_map (printed in sorted order: the hash order is the
// library's), algorithms, numeric, std::function and lambdas (captures by
// value, by reference, mutable, generic, recursive through std::function),
// optional/variant/any with their exceptions, smart pointers, and
// std::to_string/std::stod conversions.
#include <algorithm>
#include <any>
#include <cctype>
#include <deque>
#include <functional>
#include <iostream>
#include <list>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

template <class C>
static void show(const char *title, const C &c) {
    std::cout << title << ":";
    for (const auto &x : c) std::cout << " " << x;
    std::cout << "\n";
}

static void strings() {
    std::string s = "Hello, World";
    s += "!";
    std::cout << s << " size " << s.size() << " find World " << s.find("World")
              << " npos " << (s.find("xyz") == std::string::npos) << "\n";
    std::string upper = s;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) {
        return static_cast<char>(std::toupper(c));
    });
    std::cout << upper << " substr " << s.substr(7, 5) << " compare " << (s < upper) << "\n";
    s.replace(0, 5, "Goodbye");
    s.insert(0, ">> ");
    s.erase(s.size() - 1);
    std::cout << s << "\n";
    std::string_view view(s);
    view.remove_prefix(3);
    std::cout << "view: " << view.substr(0, 7) << " starts with G: " << (view[0] == 'G') << "\n";
    std::string big(100000, 'x');
    big[50000] = 'y';
    std::cout << "big: " << big.size() << " y at " << big.find('y') << "\n";
    std::cout << "to_string: " << std::to_string(42) << " " << std::to_string(-7L) << " "
              << std::to_string(1.5) << " stod " << std::stod("2.25e2") << " stoul "
              << std::stoul("ff", nullptr, 16) << "\n";
}

static void sequences() {
    std::vector<int> v{5, 3, 9, 1, 7, 3};
    std::sort(v.begin(), v.end());
    show("sorted", v);
    v.erase(std::unique(v.begin(), v.end()), v.end());
    show("unique", v);
    std::cout << "binary_search 7: " << std::binary_search(v.begin(), v.end(), 7)
              << " lower_bound 4 -> " << *std::lower_bound(v.begin(), v.end(), 4) << "\n";
    std::cout << "sum " << std::accumulate(v.begin(), v.end(), 0) << " product "
              << std::accumulate(v.begin(), v.end(), 1LL, std::multiplies<long long>()) << "\n";
    std::vector<int> squares(v.size());
    std::transform(v.begin(), v.end(), squares.begin(), [](int x) { return x * x; });
    show("squares", squares);
    squares.erase(std::remove_if(squares.begin(), squares.end(), [](int x) { return x % 2 == 0; }),
                  squares.end());
    show("odd squares", squares);
    std::vector<int> iota(10);
    std::iota(iota.begin(), iota.end(), 1);
    std::reverse(iota.begin(), iota.end());
    std::rotate(iota.begin(), iota.begin() + 3, iota.end());
    show("reversed and rotated", iota);
    std::partial_sort(iota.begin(), iota.begin() + 3, iota.end());
    std::cout << "three smallest: " << iota[0] << iota[1] << iota[2] << " max "
              << *std::max_element(iota.begin(), iota.end()) << " count>5 "
              << std::count_if(iota.begin(), iota.end(), [](int x) { return x > 5; }) << "\n";
    std::vector<std::pair<std::string, int>> people{{"bob", 30}, {"al", 25}, {"cy", 30}, {"di", 25}};
    std::stable_sort(people.begin(), people.end(),
                     [](const auto &a, const auto &b) { return a.second < b.second; });
    for (const auto &[name, age] : people) std::cout << name << "=" << age << " ";
    std::cout << "\n";
    std::deque<int> dq;
    for (int i = 0; i < 5; i++) (i % 2 ? dq.push_front(i) : dq.push_back(i));
    show("deque", dq);
    std::list<std::string> names{"c", "a", "b"};
    names.sort();
    names.push_front("z");
    show("list", names);
    std::vector<std::vector<int>> grid(3, std::vector<int>(4, 1));
    grid[1][2] = 5;
    int total = 0;
    for (const auto &row : grid) total += std::accumulate(row.begin(), row.end(), 0);
    std::cout << "grid total " << total << "\n";
    std::vector<int> growing;
    for (int i = 0; i < 100000; i++) growing.push_back(i);
    std::cout << "growing: " << growing.size() << " last " << growing.back() << "\n";
}

static void associative() {
    std::map<std::string, int> counts;
    for (std::string w : {"the", "cat", "the", "hat", "the", "cat"}) counts[w]++;
    for (const auto &[w, n] : counts) std::cout << w << ":" << n << " ";
    std::cout << "\n";
    auto it = counts.find("hat");
    std::cout << "find hat: " << (it != counts.end()) << " count dog: " << counts.count("dog")
              << "\n";
    std::set<int> s{5, 1, 4, 1, 5, 9, 2, 6};
    show("set", s);
    std::cout << "set upper_bound(4) " << *s.upper_bound(4) << "\n";
    std::multimap<int, std::string> mm{{1, "a"}, {2, "b"}, {1, "c"}};
    std::cout << "multimap count(1) " << mm.count(1) << "\n";
    std::unordered_map<std::string, int> ages{{"ann", 31}, {"ben", 42}, {"cat", 27}};
    ages["dan"] = 19;
    ages.erase("ben");
    std::vector<std::pair<std::string, int>> sorted(ages.begin(), ages.end());
    std::sort(sorted.begin(), sorted.end());
    for (const auto &[k, v] : sorted) std::cout << k << "=" << v << " ";
    std::cout << "size " << ages.size() << " contains ann " << ages.count("ann") << "\n";
    std::unordered_set<int> seen;
    int dups = 0;
    for (int i = 0; i < 1000; i++) dups += !seen.insert((i * 7) % 500).second;
    std::cout << "unordered_set: " << seen.size() << " distinct, " << dups << " duplicates\n";
}

static void functions() {
    int counter = 0;
    auto by_ref = [&counter](int n) { counter += n; };
    by_ref(3);
    by_ref(4);
    int base = 10;
    auto by_value = [base](int n) { return base + n; };
    base = 100;
    auto mutable_lambda = [calls = 0]() mutable { return ++calls; };
    mutable_lambda();
    std::cout << "counter " << counter << " by_value " << by_value(1) << " mutable "
              << mutable_lambda() << "\n";
    auto generic = [](auto a, auto b) { return a + b; };
    std::cout << "generic " << generic(1, 2) << " " << generic(std::string("a"), "b") << "\n";
    std::function<long(int)> fact = [&fact](int n) -> long { return n <= 1 ? 1 : n * fact(n - 1); };
    std::cout << "fact(10) " << fact(10) << "\n";
    std::vector<std::function<int(int)>> pipeline{[](int x) { return x + 1; },
                                                  [](int x) { return x * 2; },
                                                  std::negate<int>()};
    int x = 5;
    for (const auto &f : pipeline) x = f(x);
    std::cout << "pipeline(5) " << x << "\n";
    auto bound = std::bind(std::minus<int>(), std::placeholders::_2, std::placeholders::_1);
    std::cout << "bound(3, 10) " << bound(3, 10) << "\n";
    std::map<std::string, std::function<double(double, double)>> ops{
        {"+", std::plus<double>()}, {"/", std::divides<double>()}};
    std::cout << "ops: " << ops["+"](1, 2) << " " << ops["/"](1, 4) << "\n";
}

static void vocabulary_types() {
    std::optional<int> none, some = 4;
    std::cout << "optional: " << none.has_value() << " " << some.value() << " "
              << none.value_or(-1) << "\n";
    try {
        (void)none.value();
    } catch (const std::bad_optional_access &) {
        std::cout << "bad_optional_access\n";
    }
    std::variant<int, std::string, double> var = std::string("text");
    std::cout << "variant index " << var.index() << " holds string "
              << std::holds_alternative<std::string>(var) << "\n";
    var = 2.5;
    std::visit([](const auto &v) { std::cout << "visit: " << v << "\n"; }, var);
    try {
        (void)std::get<int>(var);
    } catch (const std::bad_variant_access &) {
        std::cout << "bad_variant_access\n";
    }
    std::any a = 42;
    std::cout << "any int: " << std::any_cast<int>(a) << "\n";
    a = std::string("now a string");
    try {
        (void)std::any_cast<int>(a);
    } catch (const std::bad_any_cast &) {
        std::cout << "bad_any_cast, holds " << std::any_cast<std::string>(a) << "\n";
    }
}

struct Node {
    std::string name;
    std::vector<std::shared_ptr<Node>> children;
    std::weak_ptr<Node> parent;
    explicit Node(std::string n) : name(std::move(n)) {}
    ~Node() { std::cout << "~Node " << name << "\n"; }
};

static void smart_pointers() {
    auto u = std::make_unique<std::vector<int>>(3, 7);
    std::unique_ptr<std::vector<int>> moved = std::move(u);
    std::cout << "unique moved: " << (u == nullptr) << " " << moved->size() << "\n";
    auto root = std::make_shared<Node>("root");
    {
        auto child = std::make_shared<Node>("child");
        child->parent = root;
        root->children.push_back(child);
        std::cout << "child use_count " << child.use_count() << "\n";
    }
    auto parent = root->children[0]->parent.lock();
    std::cout << "parent via weak_ptr: " << parent->name << " root use_count " << root.use_count()
              << "\n";
    parent.reset();
    std::weak_ptr<Node> watch = root;
    root.reset();
    std::cout << "expired after reset: " << watch.expired() << "\n";
    auto custom = std::unique_ptr<int, void (*)(int *)>(new int(9), [](int *p) {
        std::cout << "custom deleter for " << *p << "\n";
        delete p;
    });
}

int main() {
    strings();
    sequences();
    associative();
    functions();
    vocabulary_types();
    smart_pointers();
    std::cout << "done\n";
}
