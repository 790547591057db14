/* regcomp/regexec (basic and extended, subexpressions, REG_ICASE, REG_NOSUB,
 * REG_NOMATCH, an unbalanced parenthesis; musl and glibc name other bad
 * patterns' errors differently), and iconv between UTF-8 and ISO-8859-1
 * (an unknown charset is EINVAL, an invalid sequence EILSEQ). */
#include "linuxtest.h"
#include <iconv.h>
#include <regex.h>

static void match(const char *pat, const char *s, int flags) {
    regex_t re;
    int rc = regcomp(&re, pat, flags);
    if (rc != 0) {
        printf("regcomp(%s) failed %s\n", pat, rc == REG_BADPAT ? "REG_BADPAT"
               : rc == REG_EBRACK ? "REG_EBRACK" : rc == REG_EPAREN ? "REG_EPAREN" : "other");
        return;
    }
    regmatch_t m[4];
    rc = regexec(&re, s, 4, m, 0);
    if (rc == REG_NOMATCH) {
        printf("%s ~ %s: no match\n", pat, s);
    } else {
        printf("%s ~ %s: match", pat, s);
        if (!(flags & REG_NOSUB))
            for (int i = 0; i < 4 && m[i].rm_so >= 0; i++)
                printf(" [%d,%d)", (int)m[i].rm_so, (int)m[i].rm_eo);
        printf(" nsub %zu\n", re.re_nsub);
    }
    regfree(&re);
}

int main(void) {
    match("a\\(b*\\)c", "xxabbbc", 0);
    match("(fo+)(ba?r)", "foobr fooobar", REG_EXTENDED);
    match("HELLO", "say hello", REG_ICASE);
    match("^x", "abc", 0);
    match("[0-9]+", "ab 123", REG_EXTENDED | REG_NOSUB);
    match("(a", "a", REG_EXTENDED);

    iconv_t cd = iconv_open("ISO-8859-1", "UTF-8");
    MUST(cd != (iconv_t)-1);
    char in[] = "caf\xc3\xa9", out[16] = {0};
    char *ip = in, *op = out;
    size_t il = strlen(in), ol = sizeof out;
    CHECK(iconv(cd, &ip, &il, &op, &ol));
    printf("latin1 bytes %zu last %02x\n", sizeof out - ol, (unsigned char)out[3]);
    char bad[] = "x\xff";
    ip = bad;
    il = 2;
    op = out;
    ol = sizeof out;
    CHECK(iconv(cd, &ip, &il, &op, &ol));
    CHECK(iconv_close(cd));
    errno = 0;
    iconv_t none = iconv_open("NO-SUCH-CHARSET", "UTF-8");
    printf("unknown charset %s\n", none == (iconv_t)-1 ? errname(errno) : "opened");
    return 0;
}
