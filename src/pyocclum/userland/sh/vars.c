/* sh: shell variables, `local` scopes, positional parameters, functions. */
#include <stdlib.h>
#include <string.h>

#include "sh.h"

#define NBUCKET 256
static struct var *table[NBUCKET];
static char **env_cache;
struct params pos;
char *arg0;

/* The exported variables changed: the next spawn builds the environment anew. */
static void env_invalidate(void) {
    if (env_cache)
        for (char **e = env_cache; *e; e++)
            free(*e);
    free(env_cache);
    env_cache = NULL;
}

static unsigned hash(const char *s) {
    unsigned h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h % NBUCKET;
}

struct var *var_find(const char *name) {
    for (struct var *v = table[hash(name)]; v; v = v->next)
        if (strcmp(v->name, name) == 0)
            return v;
    return NULL;
}

const char *var_get(const char *name) {
    struct var *v = var_find(name);
    return v && !(v->flags & V_UNSET) ? v->value : NULL;
}

static struct var *var_create(const char *name) {
    struct var *v = xmalloc(sizeof *v);
    v->name = xstrdup(name);
    v->value = NULL;
    v->flags = V_UNSET;
    unsigned h = hash(name);
    v->next = table[h];
    table[h] = v;
    return v;
}

static void var_changed(struct var *v) {
    if (v->flags & V_EXPORT) {
        env_invalidate();
    }
    if (strcmp(v->name, "PATH") == 0)
        path_hash_clear();
}

int var_set(const char *name, const char *value, int flags) {
    struct var *v = var_find(name);
    if (v && (v->flags & V_READONLY)) {
        sh_warn("%s: is read only", name);
        return -1;
    }
    if (!v)
        v = var_create(name);
    free(v->value);
    v->value = xstrdup(value ? value : "");
    v->flags = (v->flags & ~V_UNSET) | flags;
    if (opt_a)
        v->flags |= V_EXPORT;
    var_changed(v);
    return 0;
}

int var_set_assign(const char *assign, int flags) {
    const char *eq = strchr(assign, '=');
    char *name = xstrndup(assign, (size_t)(eq - assign));
    int rc = var_set(name, eq + 1, flags);
    free(name);
    return rc;
}

int var_unset(const char *name) {
    struct var *v = var_find(name);
    if (!v)
        return 0;
    if (v->flags & V_READONLY) {
        sh_warn("%s: is read only", name);
        return -1;
    }
    int was_exported = v->flags & V_EXPORT;
    free(v->value);
    v->value = NULL;
    v->flags = V_UNSET;
    if (was_exported) {
        env_invalidate();
    }
    if (strcmp(name, "PATH") == 0)
        path_hash_clear();
    return 0;
}

void var_export(const char *name) {
    struct var *v = var_find(name);
    if (!v)
        v = var_create(name);
    v->flags |= V_EXPORT;
    env_invalidate();
}

void vars_init(char **envp) {
    for (char **e = envp; *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        char *name = xstrndup(*e, (size_t)(eq - *e));
        if (is_name(name))
            var_set(name, eq + 1, V_EXPORT);
        free(name);
    }
}

char **env_build(char **extra, int nextra) {
    if (env_cache == NULL) {
        int n = 0;
        for (int i = 0; i < NBUCKET; i++)
            for (struct var *v = table[i]; v; v = v->next)
                if ((v->flags & V_EXPORT) && !(v->flags & V_UNSET))
                    n++;
        env_cache = xmalloc((size_t)(n + 1) * sizeof(char *));
        n = 0;
        for (int i = 0; i < NBUCKET; i++)
            for (struct var *v = table[i]; v; v = v->next)
                if ((v->flags & V_EXPORT) && !(v->flags & V_UNSET)) {
                    size_t ln = strlen(v->name), lv = strlen(v->value);
                    char *s = xmalloc(ln + lv + 2);
                    memcpy(s, v->name, ln);
                    s[ln] = '=';
                    memcpy(s + ln + 1, v->value, lv + 1);
                    env_cache[n++] = s;
                }
        env_cache[n] = NULL;
    }
    if (nextra == 0)
        return env_cache;
    /* A fresh array: extra assignments override exported values. */
    int n = 0;
    while (env_cache[n])
        n++;
    char **env = xmalloc((size_t)(n + nextra + 1) * sizeof(char *));
    int k = 0;
    for (int i = 0; i < n; i++) {
        size_t ln = strcspn(env_cache[i], "=");
        int overridden = 0;
        for (int j = 0; j < nextra; j++)
            if (strncmp(extra[j], env_cache[i], ln) == 0 && extra[j][ln] == '=')
                overridden = 1;
        if (!overridden)
            env[k++] = env_cache[i];
    }
    for (int j = 0; j < nextra; j++)
        env[k++] = extra[j];
    env[k] = NULL;
    return env;
}

static int cmp_var(const void *a, const void *b) {
    return strcmp((*(struct var *const *)a)->name, (*(struct var *const *)b)->name);
}

struct var **vars_all(int *count) {
    int n = 0;
    for (int i = 0; i < NBUCKET; i++)
        for (struct var *v = table[i]; v; v = v->next)
            n++;
    struct var **all = xmalloc((size_t)(n + 1) * sizeof *all);
    n = 0;
    for (int i = 0; i < NBUCKET; i++)
        for (struct var *v = table[i]; v; v = v->next)
            all[n++] = v;
    qsort(all, (size_t)n, sizeof *all, cmp_var);
    *count = n;
    return all;
}

static void out_quoted(const char *s) {
    outc('\'');
    for (; *s; s++) {
        if (*s == '\'')
            outs("'\\''");
        else
            outc(*s);
    }
    outc('\'');
}

/* `set` (flags 0), `export -p` (V_EXPORT), `readonly -p` (V_READONLY). */
void vars_list(int flags, const char *prefix) {
    int n;
    struct var **all = vars_all(&n);
    for (int i = 0; i < n; i++) {
        struct var *v = all[i];
        if (flags && !(v->flags & flags))
            continue;
        if (!flags && (v->flags & V_UNSET))
            continue;
        outs(prefix);
        outs(v->name);
        if (!(v->flags & V_UNSET)) {
            outc('=');
            out_quoted(v->value);
        }
        outc('\n');
    }
    free(all);
}

/* --- local: each function call is a scope; old values come back on return --- */
struct local {
    char *name;
    char *value;
    int flags;
    int existed;
    int depth;
    struct local *next;
};
static struct local *locals;
int local_depth;

void local_push(void) { local_depth++; }

void local_pop(void) {
    while (locals && locals->depth == local_depth) {
        struct local *l = locals;
        locals = l->next;
        struct var *v = var_find(l->name);
        if (!v)
            v = var_create(l->name);
        free(v->value);
        v->value = l->value;
        int was_exported = v->flags & V_EXPORT;
        v->flags = l->existed ? l->flags : V_UNSET;
        if (was_exported || (v->flags & V_EXPORT)) {
            env_invalidate();
        }
        if (strcmp(l->name, "PATH") == 0)
            path_hash_clear();
        free(l->name);
        free(l);
    }
    local_depth--;
}

/* `local name[=value]`, as dash: without a value the variable keeps its value. */
void local_var(const char *name, const char *assign) {
    for (struct local *l = locals; l && l->depth == local_depth; l = l->next)
        if (strcmp(l->name, name) == 0)
            goto set;
    struct local *l = xmalloc(sizeof *l);
    struct var *v = var_find(name);
    l->name = xstrdup(name);
    l->existed = v != NULL;
    l->value = v && v->value ? xstrdup(v->value) : NULL;
    l->flags = v ? v->flags : 0;
    l->depth = local_depth;
    l->next = locals;
    locals = l;
set:
    if (assign)
        var_set(name, assign, 0);
}

int ifs_is(char c) {
    const char *ifs = var_get("IFS");
    if (ifs == NULL)
        ifs = " \t\n";
    return c != '\0' && strchr(ifs, c) != NULL;
}

int ifs_is_ws(char c) { return (c == ' ' || c == '\t' || c == '\n') && ifs_is(c); }

/* --- positional parameters --- */
void params_set(struct params *p, char **v, int n) {
    char **copy = xmalloc((size_t)(n + 1) * sizeof(char *));
    for (int i = 0; i < n; i++)
        copy[i] = xstrdup(v[i]);
    copy[n] = NULL;
    params_free(p);
    p->v = copy;
    p->n = n;
}

void params_free(struct params *p) {
    for (int i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
    p->v = NULL;
    p->n = 0;
}

/* --- functions --- */
static struct func *funcs;

struct func *func_find(const char *name) {
    for (struct func *f = funcs; f; f = f->next)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

void func_define(const char *name, struct node *body, const char *src) {
    struct func *f = func_find(name);
    if (!f) {
        f = xmalloc(sizeof *f);
        f->name = xstrdup(name);
        f->next = funcs;
        funcs = f;
    } else {
        free(f->src);
    }
    f->body = body; /* the tree stays pinned (never freed) */
    f->src = xstrdup(src);
}

int func_unset(const char *name) {
    for (struct func **p = &funcs; *p; p = &(*p)->next)
        if (strcmp((*p)->name, name) == 0) {
            struct func *f = *p;
            *p = f->next;
            free(f->name);
            free(f->src);
            free(f);
            return 0;
        }
    return 0;
}

struct func *funcs_all(void) { return funcs; }
