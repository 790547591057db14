/*
 * Waiting for children over the kernel's wait4, which selects children as
 * Linux does and reports Linux status words (<sys/wait.h>'s macros apply);
 * a struct rusage gets the child's CPU time and peak memory (src/rusage.c).
 */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "internal.h"
#include "occlum.h"

pid_t wait4(pid_t pid, int *status, int options, struct rusage *usage) {
    int32_t st = 0, child = 0;
    struct occlum_rusage k;
    int32_t rc = usage != NULL
        ? __occlum_wait4_usage(pid, (uint32_t)options, &st, &child, &k)
        : __occlum_wait4(pid, (uint32_t)options, &st, &child);
    if (rc != 0)
        return __occlum_result(rc);
    /* As Linux: nothing is written when WNOHANG found no exited child. */
    if (child > 0) {
        if (status != NULL)
            *status = st;
        if (usage != NULL)
            __occlum_fill_rusage(&k, usage);
    }
    return child;
}

pid_t wait3(int *status, int options, struct rusage *usage) {
    return wait4(-1, status, options, usage);
}

pid_t waitpid(pid_t pid, int *status, int options) {
    return wait4(pid, status, options, NULL);
}

pid_t wait(int *status) {
    return wait4(-1, status, 0, NULL);
}

/* waitid on wait4. Only exits exist (no stopped or continued children), so
 * WEXITED is required. Without a kernel counterpart, so EINVAL: WNOWAIT
 * (leave the child waitable) and P_PGID 1 (wait4's -1 means any child). */
int waitid(idtype_t idtype, id_t id, siginfo_t *info, int options) {
    pid_t pid;
    switch (idtype) {
    case P_ALL:
        pid = -1;
        break;
    case P_PID:
        if (id == 0 || id > 0x7fffffff)
            goto invalid;
        pid = (pid_t)id;
        break;
    case P_PGID:
        if (id == 1 || id > 0x7fffffff)
            goto invalid;
        pid = -(pid_t)id; /* 0: the caller's group */
        break;
    default:
        goto invalid;
    }
    if (!(options & WEXITED) || (options & WNOWAIT) ||
        (options & ~(WNOHANG | WEXITED | WSTOPPED | WCONTINUED)))
        goto invalid;
    int status = 0;
    pid_t child = wait4(pid, &status, options & WNOHANG, NULL);
    if (child < 0)
        return -1;
    if (info != NULL) {
        memset(info, 0, sizeof *info);
        if (child > 0) {
            info->si_signo = SIGCHLD;
            info->si_pid = child;
            if (WIFEXITED(status)) {
                info->si_code = CLD_EXITED;
                info->si_status = WEXITSTATUS(status);
            } else {
                info->si_code = WCOREDUMP(status) ? CLD_DUMPED : CLD_KILLED;
                info->si_status = WTERMSIG(status);
            }
        }
    }
    return 0;

invalid:
    errno = EINVAL;
    return -1;
}
