/* /proc/self/status and /proc/self/stat follow the memory a program grows
 * into: after a 16 MiB block is allocated and touched, VmSize, VmRSS and
 * stat's vsize have grown by at least that much (Linux: an mmap; inside: the
 * wasm memory grows without a syscall, and the figures read it afresh). */
#include "linuxtest.h"
#include <fcntl.h>
#include <unistd.h>

static char buf[8192];

static void read_file(const char *path) {
    int fd = open(path, O_RDONLY);
    MUST(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    MUST(n >= 0);
    buf[n] = '\0';
    close(fd);
}

/* The kB figure of a /proc/self/status line. */
static long status_kb(const char *key) {
    read_file("/proc/self/status");
    size_t k = strlen(key);
    for (char *line = buf; *line;) {
        if (strncmp(line, key, k) == 0 && line[k] == ':')
            return strtol(line + k + 1, NULL, 10);
        char *end = strchr(line, '\n');
        if (!end)
            break;
        line = end + 1;
    }
    return -1;
}

/* Field 23 of /proc/self/stat (vsize, bytes): after the ')' of the name. */
static long long stat_vsize(void) {
    read_file("/proc/self/stat");
    char *p = strrchr(buf, ')');
    MUST(p != NULL);
    p += 2; /* field 3 */
    for (int field = 3; field < 23; field++) {
        p = strchr(p, ' ');
        MUST(p != NULL);
        p++;
    }
    return strtoll(p, NULL, 10);
}

int main(void) {
    const long block = 16L << 20;
    long size0 = status_kb("VmSize"), rss0 = status_kb("VmRSS");
    long long vsize0 = stat_vsize();
    printf("figures: %s\n", size0 > 0 && rss0 > 0 && vsize0 > 0 ? "yes" : "no");
    char *p = malloc(block);
    MUST(p != NULL);
    memset(p, 1, block);
    long size1 = status_kb("VmSize"), rss1 = status_kb("VmRSS");
    long long vsize1 = stat_vsize();
    printf("VmSize grew by the block: %s\n", size1 - size0 >= block / 1024 ? "yes" : "no");
    printf("VmRSS grew by the block: %s\n", rss1 - rss0 >= block / 1024 * 9 / 10 ? "yes" : "no");
    printf("vsize grew by the block: %s\n", vsize1 - vsize0 >= block ? "yes" : "no");
    printf("last byte: %d\n", p[block - 1]);
    free(p);
    return 0;
}
