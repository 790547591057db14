/*
 * args_env: prints argc/argv, the number of environment variables, the
 * environment sorted by name, selected variables via getenv, and that
 * setenv/unsetenv work on the process's own copy.
 */
#include "common.h"

extern char **environ;

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void show_var(const char *name) {
    const char *v = getenv(name);
    if (v == NULL)
        printf("getenv %s: unset\n", name);
    else
        printf("getenv %s: \"%s\"\n", name, v);
}

int main(int argc, char **argv) {
    printf("argc: %d\n", argc);
    for (int i = 0; i < argc; i++) {
        size_t len = strlen(argv[i]);
        if (len <= 64) {
            printf("argv[%d]: \"%s\" (%zu bytes)\n", i, argv[i], len);
        } else {
            unsigned sum = 0;
            for (size_t j = 0; j < len; j++)
                sum = sum * 31 + (unsigned char)argv[i][j];
            printf("argv[%d]: %zu bytes, checksum %08x\n", i, len, sum);
        }
    }
    CHECK(argv[argc] == NULL);

    int envc = 0;
    while (environ[envc] != NULL)
        envc++;
    printf("envc: %d\n", envc);
    char **sorted = malloc(sizeof(char *) * (size_t)(envc + 1));
    memcpy(sorted, environ, sizeof(char *) * (size_t)envc);
    qsort(sorted, (size_t)envc, sizeof(char *), cmp_str);
    for (int i = 0; i < envc; i++) {
        printf("env: %s\n", sorted[i]);
        CHECK(strchr(sorted[i], '=') != NULL);
    }
    free(sorted);

    const char *names[] = {"OCCLUM", "GREETING", "EMPTY", "EXAMPLE", "SECRET", "PATH", "HOME"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        show_var(names[i]);

    CHECK(setenv("ADDED", "by setenv", 1) == 0);
    show_var("ADDED");
    CHECK(setenv("OCCLUM", "not replaced", 0) == 0);
    show_var("OCCLUM");
    CHECK(unsetenv("OCCLUM") == 0);
    show_var("OCCLUM");
    return finish();
}
