/* Locales as a portable program sees them: setlocale to "C", "POSIX", ""
 * (with no LANG/LC_* set) and an unknown name (NULL), the query form,
 * localeconv's decimal point, and multibyte conversion of ASCII in the C
 * locale (mbstowcs, wcstombs, mblen, btowc). */
#include "linuxtest.h"
#include <locale.h>
#include <wchar.h>

int main(void) {
    unsetenv("LANG");
    unsetenv("LC_ALL");
    unsetenv("LC_CTYPE");
    unsetenv("LANGUAGE");
    printf("initial %s\n", setlocale(LC_ALL, NULL));
    printf("C %s\n", setlocale(LC_ALL, "C"));
    const char *p = setlocale(LC_ALL, "POSIX");
    printf("POSIX %s\n", p && (!strcmp(p, "C") || !strcmp(p, "POSIX")) ? "C or POSIX" : "other");
    printf("empty %s\n", setlocale(LC_ALL, ""));
    printf("unknown %s\n", setlocale(LC_ALL, "xx_NOWHERE.NOPE") ? "set" : "NULL");
    printf("after failure %s\n", setlocale(LC_ALL, NULL));
    struct lconv *lc = localeconv();
    printf("decimal point '%s' thousands '%s'\n", lc->decimal_point, lc->thousands_sep);
    printf("MB_CUR_MAX %d\n", (int)MB_CUR_MAX);
    setenv("LANG", "xx_NOWHERE.NOPE", 1);
    printf("empty with a bad LANG %s\n", setlocale(LC_ALL, "") ? "set" : "NULL");
    setenv("LANG", "C", 1);
    setenv("LC_TIME", "POSIX", 1);
    printf("empty with LANG=C %s\n", setlocale(LC_ALL, "") ? "set" : "NULL");
    printf("LC_CTYPE now %s\n", setlocale(LC_CTYPE, NULL));
    wchar_t w[16];
    CHECK(mbstowcs(w, "hello", 16));
    printf("wide %lc%lc\n", (wint_t)w[0], (wint_t)w[4]);
    char back[16];
    CHECK(wcstombs(back, w, sizeof back));
    printf("back %s\n", back);
    CHECK(mblen("a", 1));
    CHECK(mblen("", 1));
    printf("btowc('A') %d\n", (int)btowc('A'));
    printf("printf %.2f\n", 3.14159);
    /* A UTF-8 locale (glibc has C.UTF-8 built in; musl treats any UTF-8 name so). */
    printf("C.UTF-8 %s\n", setlocale(LC_CTYPE, "C.UTF-8") ? "set" : "NULL");
    CHECK(mbstowcs(w, "caf\xc3\xa9", 16));
    printf("wide e-acute %x\n", (unsigned)w[3]);
    CHECK(mbstowcs(w, "bad \xff", 16));
    printf("back to C %s\n", setlocale(LC_ALL, "C"));
    return 0;
}
