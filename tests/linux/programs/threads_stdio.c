/* stdio from several threads at once: lines written to one FILE with
 * fprintf, fputs and fwrite by four threads come out whole (glibc locks each
 * FILE; so does libocclum for -pthread programs), and flockfile groups
 * several calls into one unit. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>

#define THREADS 4
#define LINES 1500

static FILE *out;

static void *writer(void *arg) {
    long id = (long)arg;
    char line[64];
    for (int i = 0; i < LINES; i++) {
        switch (i % 3) {
        case 0: fprintf(out, "thread %ld line %04d xxxxxxxxxxxxxxxxxxxxxxxx\n", id, i); break;
        case 1:
            snprintf(line, sizeof line, "thread %ld line %04d xxxxxxxxxxxxxxxxxxxxxxxx\n", id, i);
            fputs(line, out);
            break;
        default:
            /* One line in three pieces, made atomic by flockfile. */
            flockfile(out);
            fprintf(out, "thread %ld ", id);
            fprintf(out, "line %04d ", i);
            fwrite("xxxxxxxxxxxxxxxxxxxxxxxx\n", 1, 25, out);
            funlockfile(out);
        }
    }
    return NULL;
}

int main(void) {
    out = fopen("lines.txt", "w");
    MUST(out != NULL);
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        MUST(pthread_create(&t[i], NULL, writer, (void *)i) == 0);
    for (int i = 0; i < THREADS; i++)
        MUST(pthread_join(t[i], NULL) == 0);
    CHECK(fclose(out));

    FILE *in = fopen("lines.txt", "r");
    MUST(in != NULL);
    char line[128];
    int count[THREADS] = {0}, next[THREADS] = {0}, bad = 0, ordered = 1;
    while (fgets(line, sizeof line, in)) {
        long id;
        int n;
        char tail[64];
        if (sscanf(line, "thread %ld line %d %63s", &id, &n, tail) != 3 || id < 0 ||
            id >= THREADS || strcmp(tail, "xxxxxxxxxxxxxxxxxxxxxxxx") != 0 ||
            strlen(line) != 45) {
            bad++;
            continue;
        }
        ordered &= n == next[id];
        next[id] = n + 1;
        count[id]++;
    }
    fclose(in);
    for (int i = 0; i < THREADS; i++)
        printf("thread %d: %d lines\n", i, count[i]);
    printf("malformed lines: %d, each thread's lines in order: %d\n", bad, ordered);
    return 0;
}
