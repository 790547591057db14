// std::filesystem over the POSIX calls: paths (decomposition, joining,
// lexical normalisation), create_directories, file status and sizes,
// directory_iterator and recursive_directory_iterator (sorted: the order of
// entries is the file system's), copy_file, rename, resize_file,
// permissions, symlinks, remove/remove_all, error_code overloads, and
// filesystem_error exceptions for a missing path.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

namespace fs = std::filesystem;

static void write_file(const fs::path &p, const std::string &text) {
    std::ofstream(p) << text;
}

static void paths() {
    fs::path p = "dir/sub/file.tar.gz";
    std::cout << "filename " << p.filename() << " stem " << p.stem() << " extension "
              << p.extension() << " parent " << p.parent_path() << "\n";
    std::cout << "joined " << (fs::path("a") / "b" / "c.txt").string() << " relative "
              << p.is_relative() << " absolute " << fs::path("/x/y").is_absolute() << "\n";
    std::cout << "normal " << fs::path("a/./b/../c//d").lexically_normal().string()
              << " relative_to " << fs::path("/a/b/c").lexically_relative("/a/d").string()
              << "\n";
    fs::path q = p;
    q.replace_extension(".zip");
    std::cout << "replaced " << q.string() << "\n";
    int parts = 0;
    for (const auto &part : fs::path("one/two/three")) parts += !part.empty();
    std::cout << "parts " << parts << "\n";
}

static std::vector<std::string> listing(const fs::path &dir, bool recursive) {
    std::vector<std::string> names;
    if (recursive) {
        for (const auto &e : fs::recursive_directory_iterator(dir))
            names.push_back(e.path().lexically_relative(dir).string() + (e.is_directory() ? "/" : ""));
    } else {
        for (const auto &e : fs::directory_iterator(dir))
            names.push_back(e.path().filename().string() + (e.is_directory() ? "/" : ""));
    }
    std::sort(names.begin(), names.end());
    return names;
}

static void show(const char *title, const std::vector<std::string> &names) {
    std::cout << title << ":";
    for (const auto &n : names) std::cout << " " << n;
    std::cout << "\n";
}

static void tree() {
    std::cout << "create_directories " << fs::create_directories("top/a/b") << " again "
              << fs::create_directories("top/a/b") << "\n";
    fs::create_directory("top/c");
    write_file("top/one.txt", "hello\n");
    write_file("top/a/two.txt", "second file\n");
    std::cout << "exists " << fs::exists("top/one.txt") << " " << fs::exists("top/none")
              << " is_directory " << fs::is_directory("top/a") << " is_regular_file "
              << fs::is_regular_file("top/one.txt") << " file_size "
              << fs::file_size("top/a/two.txt") << "\n";
    show("top", listing("top", false));
    show("recursive", listing("top", true));
    std::cout << "copy_file " << fs::copy_file("top/one.txt", "top/c/copy.txt") << " size "
              << fs::file_size("top/c/copy.txt") << "\n";
    std::error_code ec;
    bool copied = fs::copy_file("top/one.txt", "top/c/copy.txt", ec);
    std::cout << "copy over an existing file: " << copied << " error " << (ec == std::errc::file_exists)
              << "\n";
    fs::rename("top/one.txt", "top/renamed.txt");
    fs::resize_file("top/renamed.txt", 2);
    std::ifstream in("top/renamed.txt");
    std::string content;
    std::getline(in, content);
    std::cout << "renamed and resized: '" << content << "' size " << fs::file_size("top/renamed.txt")
              << "\n";
    fs::permissions("top/renamed.txt", fs::perms::owner_read | fs::perms::owner_write);
    auto perms = fs::status("top/renamed.txt").permissions();
    std::cout << "permissions 0600: " << ((perms & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write))
              << "\n";
    fs::create_symlink("renamed.txt", "top/link");
    std::cout << "symlink " << fs::is_symlink(fs::symlink_status("top/link")) << " target "
              << fs::read_symlink("top/link").string() << " follows to a file "
              << fs::is_regular_file("top/link") << "\n";
    std::cout << "equivalent " << fs::equivalent("top/link", "top/renamed.txt") << "\n";
    std::cout << "remove " << fs::remove("top/link") << " again " << fs::remove("top/link") << "\n";
    std::cout << "remove_all " << fs::remove_all("top") << " exists " << fs::exists("top") << "\n";
}

static void errors() {
    std::error_code ec;
    auto size = fs::file_size("missing.txt", ec);
    std::cout << "file_size(missing) with error_code: " << (size == static_cast<std::uintmax_t>(-1))
              << " no_such_file " << (ec == std::errc::no_such_file_or_directory) << "\n";
    try {
        std::cout << fs::file_size("missing.txt") << "\n";
    } catch (const fs::filesystem_error &e) {
        std::cout << "filesystem_error: path1 " << e.path1() << " no_such_file "
                  << (e.code() == std::errc::no_such_file_or_directory) << "\n";
    }
    try {
        fs::directory_iterator it("missing-dir");
    } catch (const fs::filesystem_error &e) {
        std::cout << "directory_iterator(missing) threw, no_such_file "
                  << (e.code() == std::errc::no_such_file_or_directory) << "\n";
    }
    fs::create_directory("full");
    write_file("full/x", "x");
    fs::remove("full", ec);
    std::cout << "remove(non-empty dir) fails: " << (ec == std::errc::directory_not_empty) << "\n";
    fs::remove_all("full");
    std::cout << "current_path is absolute: " << fs::current_path().is_absolute() << "\n";
}

int main() {
    paths();
    tree();
    errors();
    std::cout << "done\n";
}
