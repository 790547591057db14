// RTTI: typeid of static and dynamic types, type_info equality and ordering
// (before()), hash_code, names of class types (the Itanium ABI's mangled
// names, the same with g++ and clang), dynamic_cast of pointers and
// references across single, multiple and virtual inheritance, casts to
// void*, and typeid of a null polymorphic pointer (bad_typeid).
#include <iostream>
#include <string>
#include <typeindex>
#include <typeinfo>
#include <unordered_map>

struct Animal {
    virtual ~Animal() = default;
    virtual std::string sound() const { return "..."; }
};
struct Dog : Animal {
    std::string sound() const override { return "woof"; }
};
struct Puppy : Dog {
    std::string sound() const override { return "yip"; }
};
struct Cat : Animal {
    std::string sound() const override { return "meow"; }
};
struct NotPolymorphic {
    int x;
};

struct Swimmer {
    virtual ~Swimmer() = default;
    int strokes = 3;
};
struct Duck : Animal, Swimmer {
    std::string sound() const override { return "quack"; }
};

// The diamond: Amphibian has one Vehicle thanks to virtual inheritance.
struct Vehicle {
    virtual ~Vehicle() = default;
    int wheels = 0;
};
struct Car : virtual Vehicle {};
struct Boat : virtual Vehicle {};
struct Amphibian : Car, Boat {};

namespace zoo {
struct Keeper {
    virtual ~Keeper() = default;
};
template <class T> struct Cage {};
}  // namespace zoo

static const char *yes(bool b) { return b ? "yes" : "no"; }

static void names() {
    std::cout << "names: " << typeid(Dog).name() << " " << typeid(zoo::Keeper).name() << " "
              << typeid(zoo::Cage<Cat>).name() << " " << typeid(NotPolymorphic).name() << " "
              << typeid(Animal *).name() << " " << typeid(const Dog &).name() << "\n";
    std::cout << "builtin names: " << typeid(int).name() << typeid(char).name()
              << typeid(double).name() << typeid(unsigned long long).name()
              << typeid(void).name() << typeid(bool).name() << "\n";
}

static void dynamic_types() {
    Puppy puppy;
    Cat cat;
    Animal *animals[] = {&puppy, &cat};
    for (Animal *a : animals) {
        std::cout << typeid(*a).name() << " says " << a->sound()
                  << ", is a Dog: " << yes(dynamic_cast<Dog *>(a) != nullptr)
                  << ", is a Cat: " << yes(dynamic_cast<Cat *>(a) != nullptr)
                  << ", static type Animal*: " << yes(typeid(a) == typeid(Animal *)) << "\n";
    }
    const Animal &ref = puppy;
    std::cout << "typeid(ref) == typeid(Puppy): " << yes(typeid(ref) == typeid(Puppy)) << "\n";
    std::cout << "typeid(ref) == typeid(Dog): " << yes(typeid(ref) == typeid(Dog)) << "\n";
    std::cout << "Dog before Puppy or Puppy before Dog: "
              << yes(typeid(Dog).before(typeid(Puppy)) != typeid(Puppy).before(typeid(Dog)))
              << "\n";
    std::cout << "hash_code equal for equal types: "
              << yes(typeid(ref).hash_code() == typeid(Puppy).hash_code()) << "\n";
    std::unordered_map<std::type_index, std::string> kinds{
        {typeid(Dog), "dog"}, {typeid(Puppy), "puppy"}, {typeid(Cat), "cat"}};
    std::cout << "type_index lookup: " << kinds[typeid(ref)] << " " << kinds[typeid(cat)] << "\n";
    Animal *null_animal = nullptr;
    try {
        std::cout << typeid(*null_animal).name() << "\n";
    } catch (const std::bad_typeid &) {
        std::cout << "typeid(*nullptr) threw bad_typeid\n";
    }
    NotPolymorphic np{1};
    std::cout << "typeid of a non-polymorphic object is static: "
              << yes(typeid(np) == typeid(NotPolymorphic)) << "\n";
}

static void casts() {
    Duck duck;
    Animal *as_animal = &duck;
    Swimmer *as_swimmer = dynamic_cast<Swimmer *>(as_animal);  // a cross cast
    std::cout << "cross cast Animal* -> Swimmer*: " << yes(as_swimmer != nullptr)
              << ", strokes " << (as_swimmer ? as_swimmer->strokes : -1) << "\n";
    std::cout << "back to Duck*: " << yes(dynamic_cast<Duck *>(as_swimmer) == &duck) << "\n";
    std::cout << "void* cast gives the whole object: "
              << yes(dynamic_cast<void *>(as_swimmer) == static_cast<void *>(&duck)) << "\n";
    Cat cat;
    Animal *cat_animal = &cat;
    std::cout << "Cat as Swimmer: " << yes(dynamic_cast<Swimmer *>(cat_animal) != nullptr) << "\n";
    try {
        (void)dynamic_cast<Swimmer &>(*cat_animal);
    } catch (const std::bad_cast &) {
        std::cout << "dynamic_cast<Swimmer&>(cat) threw bad_cast\n";
    }
    Amphibian amphibian;
    Vehicle *v = static_cast<Car *>(&amphibian);
    v->wheels = 4;
    Boat *boat = dynamic_cast<Boat *>(v);  // from the virtual base down and across
    std::cout << "virtual base -> Boat: " << yes(boat != nullptr) << ", wheels seen by the boat "
              << (boat ? boat->wheels : -1) << "\n";
    std::cout << "virtual base -> Amphibian: " << yes(dynamic_cast<Amphibian *>(v) == &amphibian)
              << "\n";
    Animal *null_animal = nullptr;
    std::cout << "dynamic_cast of nullptr: " << yes(dynamic_cast<Dog *>(null_animal) == nullptr)
              << "\n";
}

static void exceptions_by_type() {
    try {
        throw Puppy();
    } catch (const Animal &a) {
        std::cout << "caught " << typeid(a).name() << " as Animal&, says " << a.sound() << "\n";
    }
    try {
        throw Amphibian();
    } catch (const Vehicle &v) {
        std::cout << "caught " << typeid(v).name() << " through its virtual base\n";
    }
    try {
        throw static_cast<Dog *>(nullptr);
    } catch (Animal *a) {
        std::cout << "a Dog* caught as Animal*: " << yes(a == nullptr) << " (null)\n";
    }
}

int main() {
    names();
    dynamic_types();
    casts();
    exceptions_by_type();
    std::cout << "done\n";
}
