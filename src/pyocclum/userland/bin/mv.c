/* mv: move (rename) files (GNU coreutils' mv: -f, -i, -n, -u, -v, -T, -t DIR;
 * across file systems a copy that keeps modes and times, then a removal). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"

static int interactive, no_clobber, update, verbose;

static int move(const char *src, const char *dst) {
    struct stat st, dst_st;
    if (lstat(src, &st) != 0) {
        fu_warn(errno, "cannot stat %s", fu_quote(src));
        return 1;
    }
    int dst_exists = lstat(dst, &dst_st) == 0;
    if (dst_exists) {
        if (st.st_dev == dst_st.st_dev && st.st_ino == dst_st.st_ino) {
            fu_warn(0, "%s and %s are the same file", fu_quote(src), fu_quote(dst));
            return 1;
        }
        if (S_ISDIR(st.st_mode) && !S_ISDIR(dst_st.st_mode)) {
            fu_warn(0, "cannot overwrite non-directory %s with directory %s", fu_quote(dst),
                    fu_quote(src));
            return 1;
        }
        if (!S_ISDIR(st.st_mode) && S_ISDIR(dst_st.st_mode)) {
            fu_warn(0, "cannot overwrite directory %s with non-directory", fu_quote(dst));
            return 1;
        }
        if (no_clobber || (update && !S_ISDIR(st.st_mode) && !fu_newer(&st, &dst_st)))
            return 0;
        if (interactive && !fu_yes("overwrite %s", fu_quote(dst)))
            return 0;
    }
    if (S_ISDIR(st.st_mode) && fu_is_inside(src, dst_exists ? dst : ".") && dst_exists) {
        fu_warn(0, "cannot move %s to a subdirectory of itself, %s", fu_quote(src), fu_quote(dst));
        return 1;
    }
    if (rename(src, dst) == 0) {
        if (verbose)
            printf("renamed %s -> %s\n", fu_quote(src), fu_quote(dst));
        return 0;
    }
    int e = errno;
    if (e == EINVAL && S_ISDIR(st.st_mode)) {
        fu_warn(0, "cannot move %s to a subdirectory of itself, %s", fu_quote(src), fu_quote(dst));
        return 1;
    }
    if (e != EXDEV) {
        fu_warn(e, "cannot move %s to %s", fu_quote(src), fu_quote(dst));
        return 1;
    }
    /* Another file system: copy everything as it is, then remove the source. */
    if (dst_exists && S_ISDIR(dst_st.st_mode) && rmdir(dst) != 0) {
        fu_warn(errno, "cannot remove %s", fu_quote(dst));
        return 1;
    }
    if (dst_exists && !S_ISDIR(dst_st.st_mode) && unlink(dst) != 0) {
        fu_warn(errno, "cannot remove %s", fu_quote(dst));
        return 1;
    }
    struct fu_copy_options o = {.recursive = 1, .preserve_mode = 1, .preserve_times = 1,
                                .force = 1, .move = 1, .verbose = verbose};
    if (fu_copy(src, dst, &o) != 0)
        return 1;
    return fu_remove_tree(src, verbose);
}

static const char usage[] =
    "Usage: %s [OPTION]... SOURCE... DEST\n"
    "Rename SOURCE to DEST, or move SOURCE(s) to DIRECTORY.\n"
    "\n"
    "  -f, --force               do not prompt before overwriting\n"
    "  -i, --interactive         prompt before overwrite\n"
    "  -n, --no-clobber          do not overwrite an existing file\n"
    "  -t, --target-directory=DIRECTORY  move all SOURCE arguments into DIRECTORY\n"
    "  -T, --no-target-directory  treat DEST as a normal file\n"
    "  -u, --update              move only when SOURCE is newer than DEST or DEST is missing\n"
    "  -v, --verbose             explain what is being done\n"
    "      --help     display this help and exit\n"
    "      --version  output version information and exit\n";

static int move_one(const char *src, const char *dst, void *unused) {
    (void)unused;
    return move(src, dst);
}

int main(int argc, char **argv) {
    static const struct option longopts[] = {
        {"force", no_argument, 0, 'f'},
        {"interactive", no_argument, 0, 'i'},
        {"no-clobber", no_argument, 0, 'n'},
        {"update", no_argument, 0, 'u'},
        {"verbose", no_argument, 0, 'v'},
        {"no-target-directory", no_argument, 0, 'T'},
        {"target-directory", required_argument, 0, 't'},
        {0, 0, 0, 0},
    };
    fu_init(argv);
    fu_standard_options(argc, argv, usage, 0);
    opterr = 0;
    int no_target_dir = 0, c;
    const char *target_dir = NULL;
    while ((c = getopt_long(argc, argv, ":finuvTt:", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': interactive = no_clobber = 0; break;
        case 'i': interactive = 1; no_clobber = 0; break;
        case 'n': no_clobber = 1; interactive = 0; break;
        case 'u': update = 1; break;
        case 'v': verbose = 1; break;
        case 'T': no_target_dir = 1; break;
        case 't': target_dir = optarg; break;
        default: fu_bad_option(argv, c, 1);
        }
    }
    int status = fu_each_operand(argc - optind, argv + optind, target_dir, no_target_dir,
                                 move_one, NULL);
    fu_flush_stdout(1);
    return status;
}
