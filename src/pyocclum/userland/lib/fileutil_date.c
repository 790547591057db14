/* fileutil: dates (date -d, touch -d); see fileutil.h. */
#include "fileutil.h"

#include <string.h>
#include <strings.h>
#include <time.h>

long long fu_timegm(int year, int mon, int mday, int hour, int min, int sec) {
    /* Days from 1970-01-01 to the civil date (Howard Hinnant's algorithm). */
    long long y = year - (mon <= 2);
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + mday - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long long days = era * 146097 + doe - 719468;
    return days * 86400 + hour * 3600 + min * 60 + sec;
}

/* Reads exactly N digits at *s into *out. */
static int digits(const char **s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if ((*s)[i] < '0' || (*s)[i] > '9')
            return -1;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *out = v;
    return 0;
}

/* ".123" -> nanoseconds (extra digits are truncated, as coreutils does). */
static long fraction(const char **s) {
    long ns = 0;
    int n = 0;
    if (**s != '.' && **s != ',')
        return 0;
    (*s)++;
    for (; **s >= '0' && **s <= '9'; (*s)++)
        if (n < 9) {
            ns = ns * 10 + (**s - '0');
            n++;
        }
    for (; n < 9; n++)
        ns *= 10;
    return ns;
}

/* A relative item's unit: 0 seconds-based (*mult seconds), 1 months, 2 years; -1 unknown. */
static int unit_of(const char *w, size_t n, long long *mult) {
    static const struct {
        const char *name;
        int kind;
        long long mult;
    } units[] = {
        {"year", 2, 1},      {"month", 1, 1},   {"fortnight", 0, 14 * 86400},
        {"week", 0, 7 * 86400}, {"day", 0, 86400}, {"hour", 0, 3600},
        {"minute", 0, 60},   {"min", 0, 60},    {"second", 0, 1}, {"sec", 0, 1},
    };
    if (n > 1 && (w[n - 1] == 's' || w[n - 1] == 'S'))
        n--; /* plural */
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strlen(units[i].name) == n && strncasecmp(w, units[i].name, n) == 0) {
            *mult = units[i].mult;
            return units[i].kind;
        }
    return -1;
}

static int word_is(const char *w, size_t n, const char *word) {
    return strlen(word) == n && strncasecmp(w, word, n) == 0;
}

int fu_parse_date(const char *s, struct timespec *out) {
    while (*s == ' ')
        s++;
    if (*s == '@') {
        s++;
        int neg = *s == '-';
        if (*s == '-' || *s == '+')
            s++;
        if (*s < '0' || *s > '9')
            return -1;
        long long sec = 0;
        for (; *s >= '0' && *s <= '9'; s++)
            sec = sec * 10 + (*s - '0');
        long ns = fraction(&s);
        while (*s == ' ')
            s++;
        if (*s)
            return -1; /* GNU takes nothing after "@SECONDS" */
        if (neg) {
            sec = -sec;
            if (ns) {
                sec -= 1;
                ns = 1000000000 - ns;
            }
        }
        out->tv_sec = (time_t)sec;
        out->tv_nsec = ns;
        return 0;
    }

    /* An optional calendar date and time of day ... */
    int have_date = 0;
    long long base = 0;
    long ns = 0;
    int time_given = 0;
    if (s[0] >= '0' && s[0] <= '9' && s[4] == '-') {
        int year, mon, mday, hour = 0, min = 0, sec = 0;
        if (digits(&s, 4, &year) || *s++ != '-' || digits(&s, 2, &mon) || *s++ != '-' ||
            digits(&s, 2, &mday))
            return -1;
        if (*s == ' ' || *s == 'T') {
            const char *t = s + 1;
            while (*t == ' ')
                t++;
            /* "HH:" starts a time; anything else (a relative item) is left for below. */
            if (t[0] >= '0' && t[0] <= '9' && t[1] >= '0' && t[1] <= '9' && t[2] == ':') {
                s = t;
                time_given = 1;
                if (digits(&s, 2, &hour) || *s++ != ':' || digits(&s, 2, &min))
                    return -1;
                if (*s == ':') {
                    s++;
                    if (digits(&s, 2, &sec))
                        return -1;
                    ns = fraction(&s);
                }
            }
        }
        if (mon < 1 || mon > 12 || mday < 1 || mday > 31 || hour > 23 || min > 59 || sec > 60)
            return -1;
        while (*s == ' ')
            s++;
        /* ... and its zone: Z, UTC, GMT, +HH[:]MM (a signed number before a unit is
         * a relative item instead). */
        long long offset = 0;
        if (time_given && (*s == '+' || *s == '-') && s[1] >= '0' && s[1] <= '9') {
            /* After a time of day GNU reads any signed number as the zone: "+2" hours,
             * "+0530", "+05:30" (so "12:00 +2 days" is 12:00 at +02, then a day). */
            int sign = *s++ == '-' ? -1 : 1, nd = 0, v = 0;
            for (; *s >= '0' && *s <= '9' && nd < 4; s++, nd++)
                v = v * 10 + (*s - '0');
            if (*s == ':' && nd <= 2) {
                int om;
                s++;
                if (digits(&s, 2, &om))
                    return -1;
                v = v * 100 + om;
                nd = 4;
            }
            if (*s >= '0' && *s <= '9')
                return -1;
            offset = sign * (nd <= 2 ? v * 3600LL : (v / 100) * 3600LL + (v % 100) * 60LL);
        } else if ((*s == 'Z' || *s == 'z') && (s[1] == ' ' || !s[1])) {
            s++;
        } else if (strncmp(s, "UTC", 3) == 0 || strncmp(s, "GMT", 3) == 0) {
            s += 3;
        } else if ((*s == '+' || *s == '-') && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' &&
                   s[2] <= '9' && (s[3] == ':' || (s[3] >= '0' && s[3] <= '9') || s[3] == ' ' ||
                                   !s[3])) {
            const char *z = s;
            int sign = *z++ == '-' ? -1 : 1, oh, om = 0;
            digits(&z, 2, &oh);
            if (*z == ':')
                z++;
            if (*z >= '0' && *z <= '9' && digits(&z, 2, &om))
                return -1;
            const char *after = z;
            while (*after == ' ')
                after++;
            long long unused;
            size_t wl = strspn(after, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
            if (wl == 0 || unit_of(after, wl, &unused) < 0) {
                offset = sign * (oh * 3600LL + om * 60LL);
                s = z;
            }
        }
        base = fu_timegm(year, mon, mday, hour, min, sec) - offset;
        have_date = 1;
    }

    /* Relative items: "[+-]N unit", "unit", "next/last/this unit", "ago" (negates the
     * item before it), "now", "today", "yesterday", "tomorrow". */
    long long months = 0, seconds = 0, last_months = 0, last_seconds = 0, pending = 1;
    int have_pending = 0;
    for (;;) {
        while (*s == ' ')
            s++;
        if (!*s)
            break;
        long long n = 1, mult;
        if (*s == '+' || *s == '-' || (*s >= '0' && *s <= '9')) {
            int neg = *s == '-';
            if (*s == '+' || *s == '-')
                s++;
            if (*s < '0' || *s > '9')
                return -1;
            n = 0;
            for (; *s >= '0' && *s <= '9'; s++)
                n = n * 10 + (*s - '0');
            if (neg)
                n = -n;
            while (*s == ' ')
                s++;
            size_t wl = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
            int kind = unit_of(s, wl, &mult);
            if (kind < 0)
                return -1;
            s += wl;
            last_months = kind == 0 ? 0 : n * (kind == 2 ? 12 : 1);
            last_seconds = kind == 0 ? n * mult : 0;
            months += last_months;
            seconds += last_seconds;
            continue;
        }
        size_t wl = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
        if (wl == 0)
            return -1;
        const char *w = s;
        s += wl;
        int kind = unit_of(w, wl, &mult);
        if (word_is(w, wl, "now") || word_is(w, wl, "today")) {
            continue;
        } else if (word_is(w, wl, "yesterday") || word_is(w, wl, "tomorrow")) {
            last_months = 0;
            last_seconds = word_is(w, wl, "yesterday") ? -86400 : 86400;
            seconds += last_seconds;
        } else if (word_is(w, wl, "ago")) {
            months -= 2 * last_months;
            seconds -= 2 * last_seconds;
            last_months = -last_months;
            last_seconds = -last_seconds;
        } else if (word_is(w, wl, "next") || word_is(w, wl, "last") || word_is(w, wl, "this")) {
            pending = word_is(w, wl, "next") ? 1 : word_is(w, wl, "last") ? -1 : 0;
            have_pending = 1;
            continue;
        } else if (kind >= 0) {
            n = have_pending ? pending : 1;
            last_months = kind == 0 ? 0 : n * (kind == 2 ? 12 : 1);
            last_seconds = kind == 0 ? n * mult : 0;
            months += last_months;
            seconds += last_seconds;
        } else {
            return -1;
        }
        if (have_pending && kind < 0)
            return -1; /* "next" must name a unit */
        have_pending = 0;
    }
    if (have_pending)
        return -1;

    struct timespec now;
    if (!have_date) {
        clock_gettime(CLOCK_REALTIME, &now);
        base = now.tv_sec;
        ns = now.tv_nsec;
    }
    if (months) {
        /* Calendar months: the day of the month stays and overflows as mktime does
         * (January 31 + 1 month = March 2 or 3). */
        time_t t = (time_t)base;
        struct tm tm;
        if (!gmtime_r(&t, &tm))
            return -1;
        long long m = tm.tm_mon + months;
        long long y = tm.tm_year + 1900LL + (m >= 0 ? m / 12 : -((-m + 11) / 12));
        m = ((m % 12) + 12) % 12;
        base = fu_timegm((int)y, (int)m + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    }
    out->tv_sec = (time_t)(base + seconds);
    out->tv_nsec = ns;
    return 0;
}

