/*
 * initra_probe: what init_ra gave this process (tests/boot/test_initra.py).
 *
 *   initra_probe NOTE [SECRET...]
 *
 * Prints API_KEY and OCCLUM from the environment, the previous contents of
 * /root/note (in the root's encrypted writable layer) or "none", then writes
 * NOTE there; then, for each SECRET, /run/secrets/SECRET's type and mode and
 * its contents, and finally whether a write to such a file is refused.
 */
#include <sys/stat.h>

#include "common.h"

static void show_env(const char *name) {
    const char *v = getenv(name);
    printf("env %s: %s\n", name, v ? v : "(unset)");
}

static void show_file(const char *path) {
    char buf[256];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("%s: %s\n", path, strerror(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = '\0';
    printf("%s: [%s]\n", path, buf);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: initra_probe NOTE [SECRET...]\n");
        return 2;
    }
    show_env("API_KEY");
    show_env("OCCLUM");
    if (access("/root/note", F_OK) == 0)
        show_file("/root/note");
    else
        printf("/root/note: none\n");
    mkdir("/root", 0755);
    int fd = open("/root/note", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, argv[1], strlen(argv[1])) < 0 || close(fd) != 0) {
        printf("FAIL writing /root/note: %s\n", strerror(errno));
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        char path[300];
        struct stat st;
        snprintf(path, sizeof path, "/run/secrets/%s", argv[i]);
        if (stat(path, &st) != 0) {
            printf("%s: %s\n", path, strerror(errno));
            continue;
        }
        printf("%s: %s mode %04o uid %d size %lld\n", path,
               S_ISREG(st.st_mode) ? "file" : "not a file", (int)(st.st_mode & 07777),
               (int)st.st_uid, (long long)st.st_size);
        show_file(path);
    }
    return 0;
}
