/*
 * POSIX sweep: the user and group databases, which wasi-libc leaves out
 * (<pwd.h> and <grp.h> come from musl's headers): getpwnam, getpwuid,
 * getpwent and the _r forms, getgrnam, getgrgid, getgrent and the _r forms,
 * getgrouplist, read from /etc/passwd and /etc/group as glibc's "files"
 * service does (`occlum new` puts root's entries there). No NSS, no
 * shadow file. A missing file finds nothing (NULL, errno unchanged; the _r
 * forms return 0 with a NULL result); a buffer too small for the _r forms
 * is ERANGE.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PASSWD_FILE "/etc/passwd"
#define GROUP_FILE "/etc/group"


/* libocclum's fopen (src/files_stdio.c): Linux's path resolution. */
FILE *__occlum_wrap_fopen(const char *, const char *);

/* Split `line` (no newline) at ':' into at most n fields; returns how many. */
static int split(char *line, char **field, int n) {
    int i = 0;
    field[i++] = line;
    for (char *p = line; *p && i < n; p++)
        if (*p == ':') {
            *p = 0;
            field[i++] = p + 1;
        }
    return i;
}

/* Reads the next line of f into *line (malloc'd, newline dropped); 0 at
 * end of file. */
static int next_line(FILE *f, char **line, size_t *cap) {
    ssize_t n = getline(line, cap, f);
    if (n < 0)
        return 0;
    if (n > 0 && (*line)[n - 1] == '\n')
        (*line)[n - 1] = 0;
    return 1;
}

static int parse_id(const char *s, unsigned *out) {
    char *end;
    if (!*s)
        return 0;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || v > UINT32_MAX)
        return 0;
    *out = (unsigned)v;
    return 1;
}

/* Copies s into the buffer at *pos; NULL if it does not fit. */
static char *put(const char *s, char **pos, char *end) {
    size_t n = strlen(s) + 1;
    if ((size_t)(end - *pos) < n)
        return NULL;
    char *at = *pos;
    memcpy(at, s, n);
    *pos += n;
    return at;
}

/* A parsed /etc/passwd line into pw with its strings in buf: 1 ok, 0 not a
 * valid line, -1 ERANGE. */
static int fill_pw(char *line, struct passwd *pw, char *buf, size_t size) {
    char *f[7];
    unsigned uid, gid;
    if (split(line, f, 7) != 7 || !parse_id(f[2], &uid) || !parse_id(f[3], &gid))
        return 0;
    char *pos = buf, *end = buf + size;
    if (!(pw->pw_name = put(f[0], &pos, end)) || !(pw->pw_passwd = put(f[1], &pos, end)) ||
        !(pw->pw_gecos = put(f[4], &pos, end)) || !(pw->pw_dir = put(f[5], &pos, end)) ||
        !(pw->pw_shell = put(f[6], &pos, end)))
        return -1;
    pw->pw_uid = uid;
    pw->pw_gid = gid;
    return 1;
}

/* A parsed /etc/group line: the member array first (aligned), then strings. */
static int fill_gr(char *line, struct group *gr, char *buf, size_t size) {
    char *f[4];
    unsigned gid;
    if (split(line, f, 4) != 4 || !parse_id(f[2], &gid))
        return 0;
    size_t members = 0;
    if (*f[3]) {
        members = 1;
        for (char *p = f[3]; *p; p++)
            members += *p == ',';
    }
    uintptr_t a = ((uintptr_t)buf + sizeof(char *) - 1) & ~(uintptr_t)(sizeof(char *) - 1);
    char *end = buf + size;
    if (a + (members + 1) * sizeof(char *) > (uintptr_t)end)
        return -1;
    char **mem = (char **)a;
    char *pos = (char *)(mem + members + 1);
    if (!(gr->gr_name = put(f[0], &pos, end)) || !(gr->gr_passwd = put(f[1], &pos, end)))
        return -1;
    size_t i = 0;
    for (char *m = members ? f[3] : NULL; m; i++) {
        char *comma = strchr(m, ',');
        if (comma)
            *comma = 0;
        if (!(mem[i] = put(m, &pos, end)))
            return -1;
        m = comma ? comma + 1 : NULL;
    }
    mem[i] = NULL;
    gr->gr_mem = mem;
    gr->gr_gid = gid;
    return 1;
}

enum { BY_NAME, BY_ID };

/* Fill the record from a matching line: > 0 done, 0 malformed (skip), < 0 too small. */
typedef int (*fill_fn)(char *line, void *out, char *buf, size_t size);

static int fill_pw_any(char *line, void *out, char *buf, size_t size) {
    return fill_pw(line, out, buf, size);
}

static int fill_gr_any(char *line, void *out, char *buf, size_t size) {
    return fill_gr(line, out, buf, size);
}

/* The first line of `file` (`fields` colon-separated fields) whose name (field 0)
 * or id (field 2) matches, filled into `out` by `fill`: the getpw and getgr
 * families share this walk. Returns 0 (found or not: *res says) or an errno. */
static int find_entry(const char *file, int fields, fill_fn fill, int by, const char *name,
                      unsigned id_wanted, void *out, char *buf, size_t size, void **res) {
    *res = NULL;
    FILE *f = __occlum_wrap_fopen(file, "re");
    if (!f)
        return 0;
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    while (next_line(f, &line, &cap)) {
        char *field[7];
        char *copy = strdup(line);
        if (!copy) {
            rc = ENOMEM;
            break;
        }
        unsigned id;
        int n = split(copy, field, fields);
        int match = n == fields && (by == BY_NAME ? strcmp(field[0], name) == 0
                                                  : parse_id(field[2], &id) && id == id_wanted);
        free(copy);
        if (!match)
            continue;
        int r = fill(line, out, buf, size);
        if (r < 0) {
            rc = ERANGE;
            break;
        }
        if (r > 0) {
            *res = out;
            break;
        }
    }
    free(line);
    fclose(f);
    return rc;
}

static int find_pw(int by, const char *name, uid_t uid, struct passwd *pw, char *buf,
                   size_t size, struct passwd **res) {
    void *found;
    int rc = find_entry(PASSWD_FILE, 7, fill_pw_any, by, name, uid, pw, buf, size, &found);
    *res = found;
    return rc;
}

static int find_gr(int by, const char *name, gid_t gid, struct group *gr, char *buf,
                   size_t size, struct group **res) {
    void *found;
    int rc = find_entry(GROUP_FILE, 4, fill_gr_any, by, name, gid, gr, buf, size, &found);
    *res = found;
    return rc;
}

int getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t size,
               struct passwd **res) {
    return find_pw(BY_NAME, name, 0, pw, buf, size, res);
}

int getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t size, struct passwd **res) {
    return find_pw(BY_ID, NULL, uid, pw, buf, size, res);
}

int getgrnam_r(const char *name, struct group *gr, char *buf, size_t size,
               struct group **res) {
    return find_gr(BY_NAME, name, 0, gr, buf, size, res);
}

int getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t size, struct group **res) {
    return find_gr(BY_ID, NULL, gid, gr, buf, size, res);
}

/* The non-reentrant forms share one static record each, with a buffer that
 * grows until the entry fits. */
static struct passwd pw_static;
static struct group gr_static;
static char *pw_buf, *gr_buf;
static size_t pw_size, gr_size;

static int grow(char **buf, size_t *size) {
    size_t n = *size ? *size * 2 : 1024;
    char *p = realloc(*buf, n);
    if (!p)
        return 0;
    *buf = p;
    *size = n;
    return 1;
}

static struct passwd *pw_lookup(int by, const char *name, uid_t uid) {
    struct passwd *res = NULL;
    int rc;
    do {
        if (!pw_size && !grow(&pw_buf, &pw_size))
            return NULL;
        rc = find_pw(by, name, uid, &pw_static, pw_buf, pw_size, &res);
    } while (rc == ERANGE && grow(&pw_buf, &pw_size));
    if (rc)
        errno = rc;
    return res;
}

static struct group *gr_lookup(int by, const char *name, gid_t gid) {
    struct group *res = NULL;
    int rc;
    do {
        if (!gr_size && !grow(&gr_buf, &gr_size))
            return NULL;
        rc = find_gr(by, name, gid, &gr_static, gr_buf, gr_size, &res);
    } while (rc == ERANGE && grow(&gr_buf, &gr_size));
    if (rc)
        errno = rc;
    return res;
}

struct passwd *getpwnam(const char *name) { return pw_lookup(BY_NAME, name, 0); }
struct passwd *getpwuid(uid_t uid) { return pw_lookup(BY_ID, NULL, uid); }
struct group *getgrnam(const char *name) { return gr_lookup(BY_NAME, name, 0); }
struct group *getgrgid(gid_t gid) { return gr_lookup(BY_ID, NULL, gid); }

/* Enumeration: one open file each, the entry parsed into the static buffer. */
static FILE *pw_file, *gr_file;
static char *ent_line;
static size_t ent_cap;

void setpwent(void) {
    if (pw_file)
        rewind(pw_file);
}

void endpwent(void) {
    if (pw_file)
        fclose(pw_file);
    pw_file = NULL;
}

struct passwd *getpwent(void) {
    if (!pw_file && !(pw_file = __occlum_wrap_fopen(PASSWD_FILE, "re")))
        return NULL;
    while (next_line(pw_file, &ent_line, &ent_cap)) {
        char *copy = strdup(ent_line);
        if (!copy)
            return NULL;
        int r;
        while ((r = fill_pw(ent_line, &pw_static, pw_buf, pw_size)) < 0) {
            if (!grow(&pw_buf, &pw_size)) {
                free(copy);
                return NULL;
            }
            strcpy(ent_line, copy); /* fill_pw cut the line at the colons */
        }
        free(copy);
        if (r > 0)
            return &pw_static;
    }
    return NULL;
}

void setgrent(void) {
    if (gr_file)
        rewind(gr_file);
}

void endgrent(void) {
    if (gr_file)
        fclose(gr_file);
    gr_file = NULL;
}

struct group *getgrent(void) {
    if (!gr_file && !(gr_file = __occlum_wrap_fopen(GROUP_FILE, "re")))
        return NULL;
    while (next_line(gr_file, &ent_line, &ent_cap)) {
        char *copy = strdup(ent_line);
        if (!copy)
            return NULL;
        int r;
        while ((r = fill_gr(ent_line, &gr_static, gr_buf, gr_size)) < 0) {
            if (!grow(&gr_buf, &gr_size)) {
                free(copy);
                return NULL;
            }
            strcpy(ent_line, copy); /* fill_gr cut the line apart */
        }
        free(copy);
        if (r > 0)
            return &gr_static;
    }
    return NULL;
}

/* The groups `user` belongs to: `group` first, then every group listing it. */
int getgrouplist(const char *user, gid_t group, gid_t *groups, int *ngroups) {
    int n = 0, max = *ngroups;
    if (n < max)
        groups[n] = group;
    n++;
    FILE *f = __occlum_wrap_fopen(GROUP_FILE, "re");
    char *line = NULL;
    size_t cap = 0;
    while (f && next_line(f, &line, &cap)) {
        char *fl[4];
        unsigned gid;
        if (split(line, fl, 4) != 4 || !parse_id(fl[2], &gid) || gid == group)
            continue;
        for (char *m = strtok(fl[3], ","); m; m = strtok(NULL, ","))
            if (strcmp(m, user) == 0) {
                if (n < max)
                    groups[n] = gid;
                n++;
                break;
            }
    }
    free(line);
    if (f)
        fclose(f);
    *ngroups = n;
    return n > max ? -1 : n;
}
