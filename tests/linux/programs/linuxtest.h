/* What every program of the Linux test suite shares (tests/linux/README.md).
 *
 * The same source is built with the host's gcc and with occlum-cc, and both
 * binaries must print the same lines. errno *numbers* differ between Linux and
 * WASI, so results are printed with errno *names*. */
#ifndef LINUXTEST_H
#define LINUXTEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline const char *errname(int e) {
    switch (e) {
#define E(x) case x: return #x;
    E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(ENOEXEC) E(EBADF)
    E(ECHILD) E(EAGAIN) E(ENOMEM) E(EACCES) E(EFAULT) E(EBUSY) E(EEXIST) E(EXDEV)
    E(ENODEV) E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE) E(EMFILE) E(ENOTTY) E(ETXTBSY)
    E(EFBIG) E(ENOSPC) E(ESPIPE) E(EROFS) E(EMLINK) E(EPIPE) E(EDOM) E(ERANGE)
    E(EDEADLK) E(ENAMETOOLONG) E(ENOLCK) E(ENOSYS) E(ENOTEMPTY) E(ELOOP) E(ENOMSG)
    E(EOVERFLOW) E(EILSEQ) E(ENOTSOCK) E(EDESTADDRREQ) E(EMSGSIZE) E(EPROTOTYPE)
    E(ENOPROTOOPT) E(EPROTONOSUPPORT) E(EOPNOTSUPP) E(EAFNOSUPPORT) E(EADDRINUSE)
    E(EADDRNOTAVAIL) E(ENETUNREACH) E(ECONNABORTED) E(ECONNRESET) E(ENOBUFS)
    E(EISCONN) E(ENOTCONN) E(ETIMEDOUT) E(ECONNREFUSED) E(EALREADY) E(EINPROGRESS)
    E(ESTALE) E(ECANCELED) E(EOWNERDEAD) E(ENOTRECOVERABLE)
#undef E
    case 0: return "0";
    default: return "E?";
    }
}

/* CHECK(call): run `call` (returning an int or a pointer-sized value where -1
 * means failure), print "<call> = <result>" and, on -1, the errno's name. */
#define CHECK(call)                                                                  \
    do {                                                                             \
        errno = 0;                                                                   \
        long check_r_ = (long)(call);                                                \
        int check_e_ = errno;                                                        \
        if (check_r_ == -1)                                                          \
            printf("%s = -1 %s\n", #call, errname(check_e_));                        \
        else                                                                         \
            printf("%s = %ld\n", #call, check_r_);                                   \
    } while (0)

/* CHECK_OK(call): as CHECK, but only say whether it succeeded (for results that
 * legitimately differ, such as fd numbers or pids). */
#define CHECK_OK(call)                                                               \
    do {                                                                             \
        errno = 0;                                                                   \
        long check_r_ = (long)(call);                                                \
        int check_e_ = errno;                                                        \
        if (check_r_ == -1)                                                          \
            printf("%s = -1 %s\n", #call, errname(check_e_));                        \
        else                                                                         \
            printf("%s ok\n", #call);                                                \
    } while (0)

/* CHECK_ERRNO(call): for calls that return an error number (pthread_*, posix_*). */
#define CHECK_ERRNO(call)                                                            \
    do {                                                                             \
        int check_r_ = (call);                                                       \
        printf("%s = %s\n", #call, errname(check_r_));                               \
    } while (0)

/* MUST(cond): stop with a message if a set-up step fails. */
#define MUST(cond)                                                                   \
    do {                                                                             \
        if (!(cond)) {                                                               \
            printf("set-up failed: %s (%s)\n", #cond, errname(errno));               \
            exit(99);                                                                \
        }                                                                            \
    } while (0)

#endif
