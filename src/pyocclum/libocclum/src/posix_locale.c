/*
 * POSIX sweep: setlocale as glibc answers it (label in <locale.h>). musl
 * accepts any locale name (as a UTF-8 locale) and takes "" without LANG or
 * LC_* to mean C.UTF-8; glibc gives "C" for "" in an empty environment and
 * NULL for a locale that is not installed. Inside there is no locale data
 * but musl's built-in UTF-8 support, so the names accepted are "C",
 * "POSIX", and any name whose codeset is UTF-8 ("C.UTF-8", "en_US.utf8",
 * ...), which behave as musl's C.UTF-8; any other name fails (NULL, nothing
 * changed). "" picks, per category, $LC_ALL, else $LC_<category>, else
 * $LANG, else "C", as glibc.
 */
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const cat_env[] = {
    [LC_CTYPE] = "LC_CTYPE", [LC_NUMERIC] = "LC_NUMERIC", [LC_TIME] = "LC_TIME",
    [LC_COLLATE] = "LC_COLLATE", [LC_MONETARY] = "LC_MONETARY", [LC_MESSAGES] = "LC_MESSAGES",
};

static int known(const char *name) {
    if (!strcmp(name, "C") || !strcmp(name, "POSIX"))
        return 1;
    const char *dot = strchr(name, '.');
    if (!dot || strchr(name, '/'))
        return 0;
    const char *cs = dot + 1;
    size_t n = strcspn(cs, "@");
    return (n == 5 && !strncasecmp(cs, "UTF-8", 5)) || (n == 4 && !strncasecmp(cs, "utf8", 4));
}

/* The name "" stands for in category cat. */
static const char *from_env(int cat) {
    const char *v = getenv("LC_ALL");
    if (v && *v)
        return v;
    v = getenv(cat_env[cat]);
    if (v && *v)
        return v;
    v = getenv("LANG");
    return v && *v ? v : "C";
}

char *__occlum_wrap_setlocale(int cat, const char *name) {
    if (!name || cat < 0 || cat > LC_ALL)
        return setlocale(cat, name);
    if (*name) {
        if (!known(name) && !strchr(name, ';')) /* ";": musl's composite names from a query */
            return NULL;
        return setlocale(cat, name);
    }
    if (cat != LC_ALL)
        return known(from_env(cat)) ? setlocale(cat, from_env(cat)) : NULL;
    for (int c = 0; c < LC_ALL; c++) /* all or nothing, as glibc */
        if (!known(from_env(c)))
            return NULL;
    for (int c = 0; c < LC_ALL; c++)
        setlocale(c, from_env(c));
    return setlocale(LC_ALL, NULL);
}
