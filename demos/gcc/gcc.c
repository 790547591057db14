/*
 * gcc: a compiler driver for the AVR toolchain inside PyOcclum.
 *
 * Like GNU gcc it does no compiling itself: for each input it spawns the
 * real programs one after the other and waits for each,
 *
 *     cc1  FILE.c -o /tmp/ccXXXXXX.s     (C to assembly)
 *     as   /tmp/ccXXXXXX.s -o /tmp/ccXXXXXX.o
 *     ld   START-FILE /tmp/ccXXXXXX.o ... -lgcc -lm -o OUT
 *
 * with posix_spawn + waitpid (there is no fork inside PyOcclum), keeping
 * the intermediate files in /tmp and removing them at the end.
 *
 * What is specific to a device (cc1's -D and -m flags, the assembler's
 * -mmcu, the linker's emulation, script and start-up file, the library
 * subfolder) is read from PREFIX/lib/gcc/avr/device-specs/specs-MCU, one
 * "key: words..." per line (keys cc1, as, ld, startfile, multilib), in the
 * spirit of avr-gcc's device-specs files.
 *
 * cc1, as and ld are plain WASI programs: they resolve a relative path
 * from "/", not from the kernel's current directory, so every path handed
 * to them is made absolute here first.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PREFIX
#define PREFIX "/usr"
#endif
#define LIBEXEC PREFIX "/libexec/gcc/avr"
#define LIBDIR PREFIX "/lib/gcc/avr"
#define SPECS_DIR LIBDIR "/device-specs"
#define GCC_INCLUDE LIBDIR "/include"
#define LIBC_INCLUDE PREFIX "/avr/include"
#define DEFAULT_MCU "atmega328p"
#define VERSION "15.2.0"

extern char **environ;

/* A growable NULL-terminated array of strings (argv vectors, file lists). */
struct list {
    char **items;
    size_t len, cap;
};

static const char *prog = "gcc";
static bool verbose, dry_run, save_temps;
static struct list temps;  /* files to remove at exit */

static void cleanup(void)
{
    if (save_temps)
        return;
    for (size_t i = 0; i < temps.len; i++)
        unlink(temps.items[i]);
}

static void fatal(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: fatal error: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\ncompilation terminated.\n", stderr);
    exit(1);
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (p == NULL)
        fatal("out of memory");
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xrealloc(NULL, n), s, n);
}

static char *concat(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *s = xrealloc(NULL, na + nb + 1);
    memcpy(s, a, na);
    memcpy(s + na, b, nb + 1);
    return s;
}

static void push(struct list *l, const char *s)
{
    if (l->len + 2 > l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->items = xrealloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->len++] = (char *)s;
    l->items[l->len] = NULL;
}

static void push_all(struct list *l, const struct list *from)
{
    for (size_t i = 0; i < from->len; i++)
        push(l, from->items[i]);
}

/* Split "a,b,c" (the tail of -Wa, / -Wl,) into separate arguments. */
static void push_commas(struct list *l, const char *s)
{
    char *copy = xstrdup(s);
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ","))
        push(l, tok);
}

/* PATH made absolute against the current directory (see the header comment). */
static char *absolute(const char *path)
{
    if (path[0] == '/')
        return xstrdup(path);
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) == NULL)
        fatal("cannot get the current directory: %s", strerror(errno));
    char *dir = concat(cwd, strcmp(cwd, "/") == 0 ? "" : "/");
    char *full = concat(dir, path);
    free(dir);
    return full;
}

/* The file name of PATH without folders and without its last suffix, plus SUFFIX. */
static char *replace_suffix(const char *path, const char *suffix)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *stem = xstrdup(base);
    char *dot = strrchr(stem, '.');
    if (dot != NULL && dot != stem)
        *dot = '\0';
    char *out = concat(stem, suffix);
    free(stem);
    return out;
}

static const char *suffix_of(const char *path)
{
    const char *base = strrchr(path, '/');
    const char *dot = strrchr(base ? base + 1 : path, '.');
    return dot ? dot : "";
}

/* A new empty file /tmp/ccXXXXXXXX<suffix> of our own, removed at exit
 * (wasi-libc has no mkstemps: a random name, created with O_EXCL); with
 * -### only a name. */
static char *temp_file(const char *suffix)
{
    size_t size = strlen("/tmp/cc") + 8 + strlen(suffix) + 1;
    char *name = xrealloc(NULL, size);
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned int r;
        if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
            fatal("getrandom: %s", strerror(errno));
        snprintf(name, size, "/tmp/cc%08x%s", r, suffix);
        if (dry_run)
            return name;
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd >= 0) {
            close(fd);
            push(&temps, name);
            return name;
        }
        if (errno != EEXIST)
            break;
    }
    fatal("cannot create a temporary file in /tmp: %s", strerror(errno));
    return NULL;
}

static void print_command(char *const argv[])
{
    for (size_t i = 0; argv[i]; i++)
        fprintf(stderr, dry_run ? " \"%s\"" : " %s", argv[i]);
    fputc('\n', stderr);
}

/* Run argv[0] with argv and wait for it; the driver stops unless it exited 0. */
static void run(const char *tool, struct list *cmd)
{
    char *const *argv = cmd->items;
    if (verbose || dry_run)
        print_command(argv);
    if (dry_run)
        return;
    pid_t pid;
    int err = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
    if (err != 0)
        fatal("cannot execute '%s': %s", argv[0], strerror(err));
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            fatal("waitpid for %s: %s", tool, strerror(errno));
    }
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "%s: internal compiler error: %s terminated by signal %d (%s)\n",
                prog, tool, WTERMSIG(status), strsignal(WTERMSIG(status)));
        exit(4);
    }
    if (WEXITSTATUS(status) != 0)
        exit(1);  /* the tool has said why */
}

/* The flags a device needs, from its specs file. */
struct specs {
    struct list cc1, as, ld;
    const char *startfile;
    const char *multilib;
};

static void split_words(struct list *l, char *s)
{
    for (char *tok = strtok(s, " \t"); tok; tok = strtok(NULL, " \t"))
        push(l, xstrdup(tok));
}

static void read_specs(const char *mcu, struct specs *sp)
{
    char *path = concat(SPECS_DIR "/specs-", mcu);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fatal("unknown device -mmcu=%s (no %s: %s)", mcu, path, strerror(errno));
    memset(sp, 0, sizeof *sp);
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *colon = strchr(line, ':');
        if (colon == NULL)
            fatal("%s: malformed line '%s' (want 'key: value')", path, line);
        *colon = '\0';
        char *value = colon + 1 + strspn(colon + 1, " \t");
        if (strcmp(line, "cc1") == 0)
            split_words(&sp->cc1, value);
        else if (strcmp(line, "as") == 0)
            split_words(&sp->as, value);
        else if (strcmp(line, "ld") == 0)
            split_words(&sp->ld, value);
        else if (strcmp(line, "startfile") == 0)
            sp->startfile = xstrdup(value);
        else if (strcmp(line, "multilib") == 0)
            sp->multilib = xstrdup(value);
        else
            fatal("%s: unknown key '%s'", path, line);
    }
    fclose(f);
    if (sp->multilib == NULL)
        fatal("%s: no 'multilib' line", path);
    free(path);
}

static void usage(void)
{
    printf("Usage: %s [options] file...\n"
           "Compiles C (.c) and assembly (.s) for AVR, by running cc1, as and ld.\n"
           "  -mmcu=DEVICE      target device (default " DEFAULT_MCU "; see %s)\n"
           "  -c / -S           stop after assembling / compiling\n"
           "  -o FILE           output file (default a.out)\n"
           "  -O* -g* -f* -W* -w -std=* -D -U -I   passed to cc1\n"
           "  -Wa,ARGS / -Wl,ARGS   passed to as / ld;  -L DIR -l LIB  passed to ld\n"
           "  -nostartfiles -nostdlib -nodefaultlibs   as in GNU gcc\n"
           "  -v                print each command before running it\n"
           "  -###              print the commands only\n"
           "  -save-temps       keep the temporary files\n",
           prog, SPECS_DIR);
}

/* Options that take their value in the next argument when not attached. */
static bool takes_value(const char *opt)
{
    return strcmp(opt, "-D") == 0 || strcmp(opt, "-U") == 0 || strcmp(opt, "-I") == 0 ||
           strcmp(opt, "-L") == 0 || strcmp(opt, "-l") == 0 || strcmp(opt, "-o") == 0 ||
           strcmp(opt, "-include") == 0 || strcmp(opt, "-isystem") == 0;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A .c or .s file (anything else on the command line goes to the linker). */
static bool is_source(const char *arg)
{
    return arg[0] != '-' && (strcmp(suffix_of(arg), ".c") == 0 || strcmp(suffix_of(arg), ".s") == 0);
}

int main(int argc, char **argv)
{
    char stop = 0;  /* 'S', 'c' or 0 (link) */
    const char *out = NULL, *mcu = DEFAULT_MCU;
    bool startfiles = true, defaultlibs = true;
    struct list cc1_opts = {0}, as_opts = {0}, ld_opts = {0};
    /* Sources (.c, .s), objects, archives, -l and -L, in command-line order. */
    struct list inputs = {0};
    size_t nsources = 0, nfiles = 0;

    atexit(cleanup);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == '\0') {
            if (is_source(a))
                nsources++;
            else if (strcmp(suffix_of(a), ".o") != 0 && strcmp(suffix_of(a), ".a") != 0)
                fatal("%s: unsupported input file (this gcc takes .c, .s, .o and .a)", a);
            push(&inputs, a);
            nfiles++;
            continue;
        }
        if (takes_value(a)) {
            if (i + 1 >= argc)
                fatal("missing argument to '%s'", a);
            const char *v = argv[++i];
            if (strcmp(a, "-o") == 0) {
                out = v;
            } else if (strcmp(a, "-L") == 0 || strcmp(a, "-l") == 0) {
                push(&inputs, strcmp(a, "-L") == 0 ? concat("-L", absolute(v)) : concat(a, v));
            } else {
                push(&cc1_opts, a);
                push(&cc1_opts, strcmp(a, "-I") == 0 || strcmp(a, "-isystem") == 0 ||
                                        strcmp(a, "-include") == 0
                                    ? absolute(v)
                                    : v);
            }
        } else if (strcmp(a, "-c") == 0 || strcmp(a, "-S") == 0) {
            if (stop != 'S')
                stop = a[1];
        } else if (strcmp(a, "-v") == 0) {
            verbose = true;
        } else if (strcmp(a, "-###") == 0) {
            dry_run = true;
        } else if (strcmp(a, "-save-temps") == 0) {
            save_temps = true;
        } else if (strcmp(a, "--help") == 0) {
            usage();
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("%s (PyOcclum AVR driver) " VERSION "\n", prog);
            return 0;
        } else if (starts_with(a, "-mmcu=")) {
            mcu = a + 6;
        } else if (strcmp(a, "-nostartfiles") == 0) {
            startfiles = false;
        } else if (strcmp(a, "-nodefaultlibs") == 0) {
            defaultlibs = false;
        } else if (strcmp(a, "-nostdlib") == 0) {
            startfiles = defaultlibs = false;
        } else if (starts_with(a, "-Wa,")) {
            push_commas(&as_opts, a + 4);
        } else if (starts_with(a, "-Wl,")) {
            push_commas(&ld_opts, a + 4);
        } else if (starts_with(a, "-L") || starts_with(a, "-l")) {
            push(&inputs, a[1] == 'L' ? concat("-L", absolute(a + 2)) : a);
        } else if (starts_with(a, "-I")) {
            push(&cc1_opts, concat("-I", absolute(a + 2)));
        } else if (starts_with(a, "-O") || starts_with(a, "-g") || starts_with(a, "-f") ||
                   starts_with(a, "-W") || starts_with(a, "-D") || starts_with(a, "-U") ||
                   starts_with(a, "-std=") || strcmp(a, "-w") == 0 || strcmp(a, "-ansi") == 0 ||
                   starts_with(a, "-pedantic")) {
            push(&cc1_opts, a);
        } else {
            fatal("unrecognized command-line option '%s' (try --help)", a);
        }
    }
    if (nfiles == 0)
        fatal("no input files");
    if (out != NULL && stop && nsources > 1)
        fatal("cannot specify '-o' with '-c' or '-S' with multiple files");

    struct specs sp;
    read_specs(mcu, &sp);

    /* Compile and assemble each source; the linker gets its object in its place. */
    struct list link = {0};
    for (size_t s = 0; s < inputs.len; s++) {
        const char *src = inputs.items[s];
        if (!is_source(src)) {
            push(&link, src[0] == '-' ? src : absolute(src));
            continue;
        }
        const char *asm_file = absolute(src);
        if (strcmp(suffix_of(src), ".c") == 0) {
            asm_file = stop == 'S' ? absolute(out ? out : replace_suffix(src, ".s"))
                                   : temp_file(".s");
            struct list cmd = {0};
            push(&cmd, LIBEXEC "/cc1");
            push(&cmd, "-quiet");
            push_all(&cmd, &sp.cc1);
            push(&cmd, "-isystem");
            push(&cmd, GCC_INCLUDE);
            push(&cmd, "-isystem");
            push(&cmd, LIBC_INCLUDE);
            push_all(&cmd, &cc1_opts);
            push(&cmd, absolute(src));
            push(&cmd, "-o");
            push(&cmd, asm_file);
            run("cc1", &cmd);
        }
        if (stop == 'S')
            continue;  /* and gcc -S leaves assembly input alone */
        const char *obj = stop == 'c' ? absolute(out ? out : replace_suffix(src, ".o"))
                                      : temp_file(".o");
        struct list cmd = {0};
        push(&cmd, LIBEXEC "/as");
        push_all(&cmd, &sp.as);
        push_all(&cmd, &as_opts);
        push(&cmd, "-o");
        push(&cmd, obj);
        push(&cmd, asm_file);
        run("as", &cmd);
        push(&link, obj);
    }
    if (stop)
        return 0;

    struct list cmd = {0};
    push(&cmd, LIBEXEC "/ld");
    push_all(&cmd, &sp.ld);
    push(&cmd, "-o");
    push(&cmd, absolute(out ? out : "a.out"));
    if (startfiles && sp.startfile != NULL)
        push(&cmd, sp.startfile);
    push_all(&cmd, &link);
    push(&cmd, concat("-L" LIBDIR "/", sp.multilib));
    push_all(&cmd, &ld_opts);
    if (defaultlibs) {
        push(&cmd, "--start-group");
        push(&cmd, "-lgcc");
        push(&cmd, "-lm");
        push(&cmd, "--end-group");
    }
    run("ld", &cmd);
    return 0;
}
