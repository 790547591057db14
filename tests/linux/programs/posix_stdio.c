/* stdio beyond fopen: setvbuf modes and errors, ungetc, fmemopen,
 * open_memstream, getline/getdelim, positional printf arguments, fileno of the
 * standard streams, freopen onto a file, snprintf truncation, fseeko/ftello. */
#include "linuxtest.h"
#include <stdint.h>
#include <unistd.h>

static const char *argv0_text = "truncated text";

int main(void) {
    printf("fileno %d %d %d\n", fileno(stdin), fileno(stdout), fileno(stderr));
    fflush(stdout);

    FILE *f = fopen("data", "w+");
    MUST(f != NULL);
    static char vbuf[64];
    CHECK(setvbuf(f, vbuf, _IOFBF, sizeof vbuf));
    fputs("line one\nline two\n\nlast", f);
    CHECK(fflush(f));
    rewind(f);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) != -1) printf("getline %zd '%.*s'\n", n, (int)n, line);
    printf("eof %d error %d\n", feof(f), ferror(f));
    rewind(f);
    CHECK(getdelim(&line, &cap, ' ', f));
    printf("getdelim '%s'\n", line);
    free(line);
    CHECK(getline(NULL, &cap, f));
    int c = fgetc(f);
    CHECK(ungetc('Z', f));
    printf("ungetc read back %c (was %c)\n", fgetc(f), c);
    CHECK(ungetc(EOF, f));
    CHECK(fseeko(f, 5, SEEK_SET));
    printf("ftello %lld\n", (long long)ftello(f));
    CHECK(fseek(f, -100, SEEK_SET));
    fclose(f);

    /* setvbuf modes on fresh streams; a bad mode. */
    f = fopen("data", "r");
    MUST(f != NULL);
    CHECK(setvbuf(f, NULL, _IONBF, 0));
    printf("unbuffered read %c\n", fgetc(f));
    fclose(f);
    f = fopen("data", "r");
    MUST(f != NULL);
    CHECK(setvbuf(f, NULL, _IOLBF, 128));
    fclose(f);

    char mem[32] = "abcdef";
    FILE *m = fmemopen(mem, sizeof mem, "r+");
    MUST(m != NULL);
    char word[8] = {0};
    printf("fmemopen read %zu %s\n", fread(word, 1, 3, m), word);
    CHECK(fseek(m, 3, SEEK_SET)); /* C: a positioning call between reading and writing */
    fputs("XY", m);
    fflush(m);
    printf("fmemopen wrote into buffer: %s\n", mem);
    CHECK(fseek(m, 0, SEEK_END));
    printf("fmemopen end %ld\n", ftell(m));
    fclose(m);
    m = fmemopen(mem, 4, "w");
    MUST(m != NULL);
    fputs("123456", m);
    fclose(m);
    printf("fmemopen w truncated: %s\n", mem);
    errno = 0;
    printf("fmemopen size 0: %s\n", fmemopen(mem, 0, "r") ? "ok" : errname(errno));
    errno = 0;
    printf("fmemopen bad mode: %s\n", fmemopen(mem, 4, "q") ? "ok" : errname(errno));

    char *ms = NULL;
    size_t mslen = 0;
    FILE *o = open_memstream(&ms, &mslen);
    MUST(o != NULL);
    fprintf(o, "%d-%s", 42, "memstream");
    fflush(o);
    printf("open_memstream %zu %s\n", mslen, ms);
    fprintf(o, "%0100d", 0);
    fclose(o);
    printf("open_memstream grown %zu\n", mslen);
    free(ms);

    printf("positional %2$s %1$s %2$s\n", "world", "hello");
    printf("positional width %1$*2$d|\n", 7, 5);
    char small[8];
    printf("snprintf %d '%s'\n", snprintf(small, sizeof small, "%s", argv0_text), small);
    printf("snprintf NULL %d\n", snprintf(NULL, 0, "%d", 123456));
    printf("%%a %a %%g %g %%e %e\n", 1.0, 0.0001, 12345.678);
    printf("%%lld %lld %%llx %llx %%zu %zu %%jd %jd\n", -(1LL << 40), 0xdeadbeefcafeULL,
           (size_t)12345, (intmax_t)-5);
    int nn = 0;
    printf("count%n here\n", &nn);
    printf("n %d\n", nn);

    fflush(stdout);
    FILE *r = freopen("redirected", "w", stdout);
    MUST(r == stdout);
    printf("into the file\n");
    fflush(stdout);
    printf("fileno after freopen %d\n", fileno(stdout));
    fclose(stdout);
    FILE *back = fopen("redirected", "r");
    MUST(back != NULL);
    char text[128] = {0};
    fread(text, 1, sizeof text - 1, back);
    fclose(back);
    FILE *tty = fdopen(dup(2), "w");
    MUST(tty != NULL);
    /* stdout is gone: the content goes to stderr, which the test does not compare;
     * print a verdict via the exit status instead. */
    int ok = strcmp(text, "into the file\nfileno after freopen 1\n") == 0;
    fprintf(tty, "redirected content ok %d\n", ok);
    fclose(tty);
    return ok ? 0 : 3;
}
