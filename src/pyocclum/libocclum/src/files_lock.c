/*
 * Advisory locks (ABI version 3) over the kernel's lock table: fcntl's
 * record locks (F_GETLK, F_SETLK, F_SETLKW and the F_OFD_ forms; fd.c's
 * fcntl sends them here), lockf, and BSD flock. The kernel has Linux's
 * semantics (kernel/locks.py): POSIX locks belong to the process and go when
 * it closes any fd of the file; OFD and flock locks belong to the open file
 * description.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/file.h>
#include <unistd.h>

#include "internal.h"

_Static_assert(F_GETLK == 5 && F_SETLK == 6 && F_SETLKW == 7 && F_OFD_GETLK == 36 &&
               F_OFD_SETLK == 37 && F_OFD_SETLKW == 38 && F_RDLCK == 0 && F_WRLCK == 1 &&
               F_UNLCK == 2, "lock commands and types are Linux's");
_Static_assert(LOCK_SH == 1 && LOCK_EX == 2 && LOCK_NB == 4 && LOCK_UN == 8,
               "flock operations are Linux's");

int __occlum_fcntl_lock(int fd, int cmd, struct flock *fl) {
    if (fl == NULL) {
        errno = EFAULT;
        return -1;
    }
    struct occlum_flock req = {
        .type = fl->l_type, .whence = fl->l_whence, .start = fl->l_start,
        .len = fl->l_len, .pid = fl->l_pid,
    };
    struct occlum_flock out = req;
    int get = cmd == F_GETLK || cmd == F_OFD_GETLK;
    int32_t rc = __occlum_lock(fd, (uint32_t)cmd, &req, get ? &out : NULL);
    if (rc != 0)
        return __occlum_result(rc);
    if (get) {
        fl->l_type = out.type;
        fl->l_whence = out.whence;
        fl->l_start = out.start;
        fl->l_len = out.len;
        fl->l_pid = out.pid;
    }
    return 0;
}

int flock(int fd, int op) {
    return __occlum_result(__occlum_flock(fd, (uint32_t)op));
}

/* musl's lockf: POSIX record locks from the current offset. */
int lockf(int fd, int op, off_t size) {
    struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_CUR, .l_len = size};
    switch (op) {
    case F_TEST:
        l.l_type = F_RDLCK;
        if (__occlum_fcntl_lock(fd, F_GETLK, &l) < 0)
            return -1;
        if (l.l_type == F_UNLCK || l.l_pid == getpid())
            return 0;
        errno = EACCES;
        return -1;
    case F_ULOCK:
        l.l_type = F_UNLCK;
        return __occlum_fcntl_lock(fd, F_SETLK, &l);
    case F_TLOCK:
        return __occlum_fcntl_lock(fd, F_SETLK, &l);
    case F_LOCK:
        return __occlum_fcntl_lock(fd, F_SETLKW, &l);
    }
    errno = EINVAL;
    return -1;
}
