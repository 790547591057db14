/* glibc extensions GNU programs call: error() and error_at_line() (stderr,
 * read back through a file, with the program's name replaced), their
 * message count and exit status; get_current_dir_name, canonicalize_file_name,
 * get_nprocs/get_nprocs_conf/get_phys_pages against sysconf, malloc_trim. */
#include "linuxtest.h"
#include <error.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

static void show_stderr(int fd) {
    fflush(stderr);
    char buf[1024] = {0};
    MUST(lseek(fd, 0, SEEK_SET) == 0);
    MUST(read(fd, buf, sizeof buf - 1) >= 0);
    const char *name = program_invocation_name;
    size_t nl = strlen(name);
    for (char *line = buf; *line;) {
        char *end = strchr(line, '\n');
        if (end) *end = 0;
        printf("stderr: %s%s\n", strncmp(line, name, nl) == 0 ? "NAME" : "",
               strncmp(line, name, nl) == 0 ? line + nl : line);
        if (!end) break;
        line = end + 1;
    }
}

static void custom_name(void) { fputs("custom: ", stderr); }

int main(void) {
    int fd = open("stderr.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    MUST(fd >= 0);
    MUST(dup2(fd, 2) == 2);
    error(0, 0, "plain %d", 1);
    error(0, ENOENT, "with errno");
    error_at_line(0, EACCES, "file.c", 42, "at line");
    error_one_per_line = 1;
    error_at_line(0, 0, "file.c", 42, "same line: skipped");
    error_at_line(0, 0, "file.c", 43, "next line");
    error_print_progname = custom_name;
    error(0, 0, "custom name");
    printf("error_message_count %u\n", error_message_count);
    show_stderr(fd);

    char cwd[PATH_MAX];
    MUST(getcwd(cwd, sizeof cwd) != NULL);
    unsetenv("PWD");
    char *g = get_current_dir_name();
    printf("get_current_dir_name == getcwd %d\n", g && strcmp(g, cwd) == 0);
    free(g);
    MUST(mkdir("sub", 0755) == 0);
    char *c = canonicalize_file_name("sub/../sub/.");
    char want[PATH_MAX + 8];
    snprintf(want, sizeof want, "%s/sub", cwd);
    printf("canonicalize_file_name %d\n", c && strcmp(c, want) == 0);
    free(c);
    errno = 0;
    c = canonicalize_file_name("missing/x");
    printf("canonicalize missing %s %s\n", c ? "name" : "NULL", errname(errno));
    printf("get_nprocs == ONLN %d, conf >= nprocs %d, phys pages == sysconf %d\n",
           get_nprocs() == sysconf(_SC_NPROCESSORS_ONLN), get_nprocs_conf() >= get_nprocs(),
           get_phys_pages() == sysconf(_SC_PHYS_PAGES));
    int t = malloc_trim(0);
    printf("malloc_trim 0 or 1: %d\n", t == 0 || t == 1);
    fflush(stdout);
    error(4, 0, "exits %d", 4);
    return 0;
}
