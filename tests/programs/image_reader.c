/* image_reader: prints a checksum of a file from the image (for the tamper tests). */
#include <stdio.h>

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "/etc/data.bin";
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return 2;
    }
    unsigned long sum = 0, n = 0;
    int c;
    while ((c = fgetc(f)) != EOF) {
        sum = sum * 31 + (unsigned long)c;
        n++;
    }
    if (ferror(f)) {
        perror("read");
        return 3;
    }
    printf("%lu bytes, checksum %lu\n", n, sum);
    return 0;
}
