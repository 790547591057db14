// iostreams: cout formatting (width, fill, precision, fixed/scientific,
// hex/oct/showbase, boolalpha), cerr and clog (unbuffered and buffered
// stderr: not compared, but they must not disturb stdout), stringstream
// parsing and failure states, fstream writing, appending, reading back by
// lines and words, seeking, binary read/write, a missing file, ios::failure
// from the exceptions mask, and mixing stdio with iostreams (sync_with_stdio).
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

static void formatting() {
    std::cout << "[" << std::setw(8) << 42 << "] [" << std::left << std::setw(8) << 42 << "]"
              << std::right << "\n";
    std::cout << "[" << std::setfill('*') << std::setw(6) << "ab" << "]" << std::setfill(' ')
              << "\n";
    std::cout << std::fixed << std::setprecision(3) << 3.14159265 << " " << 2.0 / 3 << "\n";
    std::cout << std::scientific << std::setprecision(2) << 123456.789 << "\n";
    std::cout << std::defaultfloat << std::setprecision(6) << 0.1 + 0.2 << " " << 1e21 << " "
              << 100.0 << "\n";
    std::cout << std::hex << 255 << " " << std::showbase << 255 << " " << std::uppercase << 255
              << std::nouppercase << std::noshowbase << std::dec << "\n";
    std::cout << std::oct << 8 << std::dec << " " << std::boolalpha << true << " " << false
              << std::noboolalpha << " " << true << "\n";
    std::cout << std::showpos << 5 << " " << -5 << std::noshowpos << " " << 5 << "\n";
    std::cout << std::setw(10) << std::internal << -42 << "|" << std::right << "\n";
    std::cout << 'c' << " " << static_cast<int>('c') << " " << std::string(3, '=') << "\n";
}

static void string_streams() {
    std::istringstream in("12 -7 3.5 word 99");
    int a = 0, b = 0;
    double d = 0;
    std::string w;
    in >> a >> b >> d >> w;
    std::cout << "parsed " << a << " " << b << " " << d << " " << w << ", good: " << in.good()
              << "\n";
    int bad = 0;
    std::istringstream letters("abc");
    letters >> bad;
    std::cout << "int from \"abc\": fail " << letters.fail() << ", value " << bad << "\n";
    std::istringstream tail("5");
    int five = 0, six = 0;
    tail >> five >> six;
    std::cout << "past the end: eof " << tail.eof() << ", fail " << tail.fail() << "\n";
    std::ostringstream out;
    out << "pi~" << std::setprecision(4) << 3.14159 << ";list=";
    for (int i = 0; i < 4; i++) out << (i ? "," : "") << i * i;
    std::cout << "built: " << out.str() << "\n";
    std::stringstream both;
    both << "line one\nline two\n\nline four";
    std::string line;
    int n = 0;
    while (std::getline(both, line)) std::cout << "getline " << ++n << ": '" << line << "'\n";
    std::istringstream csv("a,b,,d");
    std::vector<std::string> cells;
    while (std::getline(csv, line, ',')) cells.push_back(line);
    std::cout << "csv cells: " << cells.size() << " third empty: " << cells[2].empty() << "\n";
}

static void files() {
    {
        std::ofstream out("data.txt");
        std::cout << "ofstream open: " << out.is_open() << "\n";
        out << "first line\n" << 42 << " " << 2.5 << "\n";
    }
    {
        std::ofstream app("data.txt", std::ios::app);
        app << "appended\n";
    }
    std::ifstream in("data.txt");
    std::string line;
    while (std::getline(in, line)) std::cout << "read: " << line << "\n";
    in.clear();
    in.seekg(0, std::ios::end);
    std::cout << "size by seekg/tellg: " << in.tellg() << "\n";
    in.seekg(6);
    std::string word;
    in >> word;
    std::cout << "word at offset 6: " << word << "\n";

    std::fstream rw("rw.bin", std::ios::in | std::ios::out | std::ios::trunc | std::ios::binary);
    const int numbers[4] = {1, -2, 300000, 4};
    rw.write(reinterpret_cast<const char *>(numbers), sizeof numbers);
    rw.seekg(sizeof(int) * 2);
    int third = 0;
    rw.read(reinterpret_cast<char *>(&third), sizeof third);
    std::cout << "binary third: " << third << ", gcount " << rw.gcount() << "\n";
    rw.seekp(0);
    const int replaced = 77;
    rw.write(reinterpret_cast<const char *>(&replaced), sizeof replaced);
    rw.seekg(0);
    int first = 0;
    rw.read(reinterpret_cast<char *>(&first), sizeof first);
    std::cout << "binary first after overwrite: " << first << "\n";
    int many[10];
    rw.seekg(0);
    rw.read(reinterpret_cast<char *>(many), sizeof many);
    std::cout << "short read: gcount " << rw.gcount() << ", eof " << rw.eof() << "\n";
    rw.close();

    std::ifstream missing("no-such-file.txt");
    std::cout << "missing file: is_open " << missing.is_open() << ", fail " << missing.fail()
              << "\n";
    std::ifstream strict;
    strict.exceptions(std::ifstream::failbit);
    try {
        strict.open("no-such-file.txt");
        std::cout << "no exception\n";
    } catch (const std::ios_base::failure &) {
        std::cout << "open with failbit in the mask threw ios_base::failure\n";
    }
    std::cout << "remove: " << std::remove("data.txt") << " " << std::remove("rw.bin") << "\n";
}

static void stderr_and_stdio() {
    std::cerr << "to cerr (not compared)\n";
    std::clog << "to clog (not compared)" << std::endl;
    std::cout << "cout line" << std::endl;
    std::printf("printf line\n");
    std::cout << "cout again\n";
    std::fflush(stdout);
    std::puts("puts line");
    std::cout << std::flush;
    std::cout.put('x').put('\n');
    std::cout.write("written\n", 8);
}

int main() {
    formatting();
    string_streams();
    files();
    stderr_and_stdio();
    std::cout << "done" << std::endl;
}
