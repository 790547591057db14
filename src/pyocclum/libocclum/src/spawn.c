/*
 * posix_spawn and the exec family over the kernel's spawn and execve.
 *
 * File actions are kept as the kernel's 32-byte records (occlum.h), with
 * Linux O_* flags and private copies of the paths, so posix_spawn hands
 * the array over as it is. Attributes become one 32-byte record.
 * A NULL argv or envp is an empty array, as on Linux. PATH search
 * (posix_spawnp, execvp) is done here, not by the kernel.
 */
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "occlum.h"

/* The attribute flags the kernel implements; the others (scheduling,
 * USEVFORK) are accepted and ignored, as glibc ignores USEVFORK. */
#define KERNEL_SPAWN_FLAGS                                                     \
    (POSIX_SPAWN_RESETIDS | POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |    \
     POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSID)
#define ALL_SPAWN_FLAGS                                                        \
    (KERNEL_SPAWN_FLAGS | POSIX_SPAWN_SETSCHEDPARAM | POSIX_SPAWN_SETSCHEDULER | \
     POSIX_SPAWN_USEVFORK)

static char *const no_strings[] = {NULL};

static size_t count(char *const *strings) {
    size_t n = 0;
    while (strings[n] != NULL)
        n++;
    return n;
}

/* --- file actions --- */

static struct occlum_file_action *actions_of(const posix_spawn_file_actions_t *fa) {
    return (struct occlum_file_action *)fa->__actions;
}

int posix_spawn_file_actions_init(posix_spawn_file_actions_t *fa) {
    memset(fa, 0, sizeof *fa);
    return 0;
}

int posix_spawn_file_actions_destroy(posix_spawn_file_actions_t *fa) {
    struct occlum_file_action *a = actions_of(fa);
    for (int i = 0; i < fa->__count; i++)
        free((void *)(uintptr_t)a[i].path);
    free(a);
    memset(fa, 0, sizeof *fa);
    return 0;
}

/* Appends a record of `kind` (with a copy of path, if any); NULL on ENOMEM. */
static struct occlum_file_action *add(posix_spawn_file_actions_t *fa, uint32_t kind,
                                      const char *path) {
    if (fa->__count == fa->__capacity) {
        int capacity = fa->__capacity ? 2 * fa->__capacity : 4;
        void *grown = realloc(fa->__actions, (size_t)capacity * sizeof(struct occlum_file_action));
        if (grown == NULL)
            return NULL;
        fa->__actions = grown;
        fa->__capacity = capacity;
    }
    char *copy = NULL;
    if (path != NULL && (copy = strdup(path)) == NULL)
        return NULL;
    struct occlum_file_action *a = &actions_of(fa)[fa->__count++];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    if (copy != NULL) {
        a->path = (uint32_t)(uintptr_t)copy;
        a->path_len = (uint32_t)strlen(copy);
    }
    return a;
}

int posix_spawn_file_actions_addopen(posix_spawn_file_actions_t *restrict fa, int fd,
                                     const char *restrict path, int oflag, mode_t mode) {
    if (fd < 0)
        return EBADF;
    struct occlum_file_action *a = add(fa, OCCLUM_FA_OPEN, path);
    if (a == NULL)
        return ENOMEM;
    a->fd = fd;
    a->oflags = __occlum_linux_oflags(oflag);
    a->mode = mode;
    return 0;
}

int posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *fa, int fd, int newfd) {
    if (fd < 0 || newfd < 0)
        return EBADF;
    struct occlum_file_action *a = add(fa, OCCLUM_FA_DUP2, NULL);
    if (a == NULL)
        return ENOMEM;
    a->fd = fd;
    a->newfd = newfd;
    return 0;
}

int posix_spawn_file_actions_addclose(posix_spawn_file_actions_t *fa, int fd) {
    if (fd < 0)
        return EBADF;
    struct occlum_file_action *a = add(fa, OCCLUM_FA_CLOSE, NULL);
    if (a == NULL)
        return ENOMEM;
    a->fd = fd;
    return 0;
}

int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *restrict fa,
                                         const char *restrict path) {
    return add(fa, OCCLUM_FA_CHDIR, path) != NULL ? 0 : ENOMEM;
}

int posix_spawn_file_actions_addfchdir_np(posix_spawn_file_actions_t *fa, int fd) {
    if (fd < 0)
        return EBADF;
    struct occlum_file_action *a = add(fa, OCCLUM_FA_FCHDIR, NULL);
    if (a == NULL)
        return ENOMEM;
    a->fd = fd;
    return 0;
}

/* --- attributes --- */

int posix_spawnattr_init(posix_spawnattr_t *attr) {
    memset(attr, 0, sizeof *attr);
    return 0;
}

int posix_spawnattr_destroy(posix_spawnattr_t *attr) {
    (void)attr;
    return 0;
}

int posix_spawnattr_setflags(posix_spawnattr_t *attr, short flags) {
    if ((unsigned short)flags & ~ALL_SPAWN_FLAGS)
        return EINVAL;
    attr->__flags = (unsigned short)flags;
    return 0;
}

int posix_spawnattr_getflags(const posix_spawnattr_t *restrict attr, short *restrict flags) {
    *flags = (short)attr->__flags;
    return 0;
}

int posix_spawnattr_setpgroup(posix_spawnattr_t *attr, pid_t pgroup) {
    attr->__pgroup = pgroup;
    return 0;
}

int posix_spawnattr_getpgroup(const posix_spawnattr_t *restrict attr, pid_t *restrict pgroup) {
    *pgroup = attr->__pgroup;
    return 0;
}

int posix_spawnattr_setsigmask(posix_spawnattr_t *restrict attr, const sigset_t *restrict mask) {
    attr->__sigmask = *mask;
    return 0;
}

int posix_spawnattr_getsigmask(const posix_spawnattr_t *restrict attr, sigset_t *restrict mask) {
    *mask = attr->__sigmask;
    return 0;
}

int posix_spawnattr_setsigdefault(posix_spawnattr_t *restrict attr,
                                  const sigset_t *restrict set) {
    attr->__sigdefault = *set;
    return 0;
}

int posix_spawnattr_getsigdefault(const posix_spawnattr_t *restrict attr,
                                  sigset_t *restrict set) {
    *set = attr->__sigdefault;
    return 0;
}

/* --- spawning --- */

struct spawn_args {
    pid_t *pid;
    const posix_spawn_file_actions_t *fa;
    const posix_spawnattr_t *attr;
    char *const *argv;
    char *const *envp;
};

/* One spawn of `path` (no search); returns 0 or an errno. */
static int spawn_path(const char *path, void *ctx) {
    const struct spawn_args *s = ctx;
    struct occlum_spawn_attr kattr;
    if (s->attr != NULL) {
        memset(&kattr, 0, sizeof kattr);
        kattr.flags = (uint32_t)s->attr->__flags & KERNEL_SPAWN_FLAGS;
        kattr.pgroup = s->attr->__pgroup;
        kattr.sigdefault = s->attr->__sigdefault.__bits[0];
        kattr.sigmask = s->attr->__sigmask.__bits[0];
    }
    int32_t child = 0;
    int32_t rc = __occlum_spawn(path, strlen(path), s->argv, count(s->argv), s->envp,
                                count(s->envp), s->fa != NULL ? actions_of(s->fa) : NULL,
                                s->fa != NULL ? (size_t)s->fa->__count : 0,
                                s->attr != NULL ? &kattr : NULL, &child);
    if (rc == 0 && s->pid != NULL)
        *s->pid = child;
    return rc;
}

static struct spawn_args spawn_args(pid_t *pid, const posix_spawn_file_actions_t *fa,
                                    const posix_spawnattr_t *attr, char *const argv[],
                                    char *const envp[]) {
    struct spawn_args s = {pid, fa, attr, argv != NULL ? argv : no_strings,
                           envp != NULL ? envp : no_strings};
    return s;
}

int posix_spawn(pid_t *restrict pid, const char *restrict path,
                const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *restrict attr,
                char *const argv[restrict], char *const envp[restrict]) {
    if (path == NULL)
        return EFAULT;
    struct spawn_args s = spawn_args(pid, fa, attr, argv, envp);
    return spawn_path(path, &s);
}

int posix_spawnp(pid_t *restrict pid, const char *restrict file,
                 const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *restrict attr,
                 char *const argv[restrict], char *const envp[restrict]) {
    if (file == NULL)
        return EFAULT;
    struct spawn_args s = spawn_args(pid, fa, attr, argv, envp);
    return __occlum_path_search(file, spawn_path, &s);
}

int __occlum_path_search(const char *file, int (*run)(const char *path, void *ctx),
                         void *ctx) {
    if (file[0] == '\0')
        return ENOENT;
    if (strchr(file, '/') != NULL)
        return run(file, ctx);
    size_t file_len = strlen(file);
    if (file_len > NAME_MAX)
        return ENAMETOOLONG;
    const char *dirs = getenv("PATH");
    if (dirs == NULL)
        dirs = "/bin:/usr/bin";
    int error = ENOENT;
    char buf[PATH_MAX];
    for (const char *p = dirs;; p++) {
        const char *end = strchrnul(p, ':');
        size_t dir_len = (size_t)(end - p);
        if (dir_len + 1 + file_len < sizeof buf) {
            /* An empty entry is the current directory. */
            memcpy(buf, p, dir_len);
            buf[dir_len] = '/';
            memcpy(buf + dir_len + (dir_len > 0), file, file_len + 1);
            int rc = run(buf, ctx);
            switch (rc) {
            case EACCES:
                error = EACCES;
                break;
            case ENOENT:
            case ENOTDIR:
                break;
            default: /* success, or a real error (ENOEXEC, EAGAIN, ...) */
                return rc;
            }
        }
        if (*end == '\0')
            return error;
        p = end;
    }
}

/* --- exec --- */

struct exec_args {
    char *const *argv;
    char *const *envp;
};

/* Returns only on failure, with the errno. */
static int exec_path(const char *path, void *ctx) {
    const struct exec_args *e = ctx;
    return __occlum_execve(path, strlen(path), e->argv, count(e->argv), e->envp,
                           count(e->envp));
}

int execve(const char *path, char *const argv[], char *const envp[]) {
    struct exec_args e = {argv != NULL ? argv : no_strings, envp != NULL ? envp : no_strings};
    errno = exec_path(path, &e);
    return -1;
}

int execv(const char *path, char *const argv[]) {
    return execve(path, argv, environ);
}

int execvpe(const char *file, char *const argv[], char *const envp[]) {
    struct exec_args e = {argv != NULL ? argv : no_strings, envp != NULL ? envp : no_strings};
    errno = __occlum_path_search(file, exec_path, &e);
    return -1;
}

int execvp(const char *file, char *const argv[]) {
    return execvpe(file, argv, environ);
}

/* The execl* functions collect their arguments up to the NULL (which may be
 * arg0 itself) into an argv array on the stack, leaving `ap` just past the
 * NULL (where execle's envp is). */
#define COLLECT_ARGS(arg0, ap, argv)                                           \
    size_t argc_ = 0;                                                          \
    if ((arg0) != NULL) {                                                      \
        va_start(ap, arg0);                                                    \
        for (argc_ = 1; va_arg(ap, const char *) != NULL; argc_++)             \
            ;                                                                  \
        va_end(ap);                                                            \
    }                                                                          \
    char *argv[argc_ + 1];                                                     \
    argv[0] = (char *)(arg0);                                                  \
    va_start(ap, arg0);                                                        \
    for (size_t i_ = 1; i_ <= argc_; i_++)                                     \
        argv[i_] = va_arg(ap, char *);

int execl(const char *path, const char *arg0, ...) {
    va_list ap;
    COLLECT_ARGS(arg0, ap, argv)
    va_end(ap);
    return execve(path, argv, environ);
}

int execlp(const char *file, const char *arg0, ...) {
    va_list ap;
    COLLECT_ARGS(arg0, ap, argv)
    va_end(ap);
    return execvp(file, argv);
}

int execle(const char *path, const char *arg0, ...) {
    va_list ap;
    COLLECT_ARGS(arg0, ap, argv)
    char *const *envp = va_arg(ap, char *const *);
    va_end(ap);
    return execve(path, argv, envp);
}
