/* The environment and arguments: setenv/getenv/unsetenv/putenv/clearenv with
 * their errors, environ reflecting them, getopt and getopt_long over argv,
 * program_invocation_name / short name. */
// linux-test: args=--long=x --flag -a -b val -- rest1 -notopt
#include "linuxtest.h"
#include <getopt.h>
#include <unistd.h>

extern char **environ;

static int in_environ(const char *entry) {
    for (char **e = environ; *e; e++)
        if (strcmp(*e, entry) == 0) return 1;
    return 0;
}

int main(int argc, char **argv) {
    CHECK(setenv("PX_A", "1", 1));
    printf("getenv %s environ %d\n", getenv("PX_A"), in_environ("PX_A=1"));
    CHECK(setenv("PX_A", "2", 0));
    printf("no overwrite %s\n", getenv("PX_A"));
    CHECK(setenv("PX_A", "3", 1));
    printf("overwrite %s\n", getenv("PX_A"));
    CHECK(setenv("", "x", 1));
    CHECK(setenv("A=B", "x", 1));
    CHECK(setenv(NULL, "x", 1));
    CHECK(unsetenv("PX_A"));
    printf("after unsetenv %s\n", getenv("PX_A") ? "set" : "NULL");
    CHECK(unsetenv("PX_NEVER"));
    CHECK(unsetenv(""));
    CHECK(unsetenv("A=B"));
    static char entry[] = "PX_P=put";
    CHECK(putenv(entry));
    printf("putenv %s\n", getenv("PX_P"));
    entry[5] = 'P'; /* putenv keeps the string itself */
    printf("putenv aliased %s\n", getenv("PX_P"));
    CHECK(setenv("PX_EMPTY", "", 1));
    printf("empty value '%s'\n", getenv("PX_EMPTY"));
    CHECK(clearenv());
    printf("after clearenv %s environ %s\n", getenv("PX_P") ? "set" : "NULL",
           environ == NULL || environ[0] == NULL ? "empty" : "not empty");
    CHECK(setenv("PX_NEW", "v", 1));
    printf("after clearenv setenv %s %d\n", getenv("PX_NEW"), in_environ("PX_NEW=v"));

    printf("argc %d\n", argc);
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    printf("invocation name == argv[0] %d short == basename %d\n",
           strcmp(program_invocation_name, argv[0]) == 0,
           strcmp(program_invocation_short_name, base) == 0);

    opterr = 0;
    char *av1[] = {"prog", "-a", "-bval", "-c", "-b", "x", "--", "-z", NULL};
    int ac1 = 8, c;
    while ((c = getopt(ac1, av1, "ab:")) != -1) {
        printf("getopt %c optarg %s optind %d\n", c, optarg ? optarg : "-", optind);
        if (c == '?') printf("  optopt %c\n", optopt);
    }
    printf("stopped at %d: %s\n", optind, optind < ac1 ? av1[optind] : "end");
    char *av2[] = {"prog", "-a", "-b", NULL};
    optind = 1;
    while ((c = getopt(3, av2, ":ab:")) != -1) printf("getopt ':' %c optopt %c\n", c, optopt);
    optind = 1;
    while ((c = getopt(3, av2, "ab:")) != -1) printf("getopt %c optopt %c\n", c, optopt);

    /* GNU permutation: options after operands are still options. */
    char *av4[] = {"prog", "file1", "-a", "file2", "-b", "x", "--", "-a", NULL};
    optind = 1;
    while ((c = getopt(8, av4, "ab:")) != -1)
        printf("permuted getopt %c optarg %s\n", c, optarg ? optarg : "-");
    printf("optind %d, argv now:", optind);
    for (int i = 1; i < 8; i++) printf(" %s", av4[i]);
    printf("\n");
    char *av5[] = {"prog", "file1", "-a", NULL};
    optind = 0; /* 0: start afresh (glibc reads POSIXLY_CORRECT and '+' only then) */
    setenv("POSIXLY_CORRECT", "1", 1);
    c = getopt(3, av5, "a");
    printf("POSIXLY_CORRECT getopt %d optind %d\n", c, optind);
    unsetenv("POSIXLY_CORRECT");
    optind = 0;
    c = getopt(3, av5, "+a");
    printf("'+' getopt %d optind %d\n", c, optind);

    static struct option longs[] = {
        {"long", required_argument, NULL, 'l'},
        {"flag", no_argument, NULL, 'f'},
        {"opt", optional_argument, NULL, 'o'},
        {0, 0, 0, 0},
    };
    optind = 1;
    int idx = -1;
    while ((c = getopt_long(argc, argv, "ab:", longs, &idx)) != -1)
        printf("getopt_long %c optarg %s index %d\n", c, optarg ? optarg : "-", idx);
    printf("operands:");
    for (int i = optind; i < argc; i++) printf(" %s", argv[i]);
    printf("\n");
    char *av3[] = {"prog", "--fl", "--opt", "--opt=v", "--nope", "--long", NULL};
    optind = 1;
    while ((c = getopt_long(6, av3, "", longs, NULL)) != -1)
        printf("getopt_long %c optarg %s\n", c, optarg ? optarg : "-");
    return 0;
}
