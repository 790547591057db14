/*
 * system() and popen()/pclose(): posix_spawn of /bin/sh -c CMD, as glibc
 * and musl do. If /bin/sh cannot run, system() returns the status of a
 * shell that exited with 127 (glibc's behaviour) and popen() fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#define SHELL "/bin/sh"

/* waitpid, retried when a signal handler interrupts it. */
static int wait_child(pid_t pid, int *status) {
    pid_t rc;
    while ((rc = waitpid(pid, status, 0)) < 0 && errno == EINTR)
        ;
    return rc < 0 ? -1 : 0;
}

/* While the command runs the caller ignores SIGINT and SIGQUIT and blocks
 * SIGCHLD; the shell starts with the caller's mask and dispositions. */
int system(const char *cmd) {
    if (cmd == NULL)
        return access(SHELL, X_OK) == 0;

    struct sigaction ignore, old_int, old_quit;
    memset(&ignore, 0, sizeof ignore);
    memset(&old_int, 0, sizeof old_int);
    memset(&old_quit, 0, sizeof old_quit);
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGINT, &ignore, &old_int);
    sigaction(SIGQUIT, &ignore, &old_quit);
    sigset_t chld, old_mask;
    sigemptyset(&chld);
    sigemptyset(&old_mask);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old_mask);

    sigset_t reset;
    sigemptyset(&reset);
    if (old_int.sa_handler != SIG_IGN)
        sigaddset(&reset, SIGINT);
    if (old_quit.sa_handler != SIG_IGN)
        sigaddset(&reset, SIGQUIT);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setsigmask(&attr, &old_mask);
    posix_spawnattr_setsigdefault(&attr, &reset);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    char *argv[] = {"sh", "-c", (char *)cmd, NULL};
    pid_t pid;
    int status;
    int err = posix_spawn(&pid, SHELL, NULL, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    if (err == 0) {
        if (wait_child(pid, &status) != 0)
            status = -1;
    } else {
        status = 127 << 8;
    }

    int saved = errno;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    errno = err != 0 ? err : saved;
    return status;
}

/* The open popen() streams and their shells. */
struct popen_child {
    FILE *stream;
    pid_t pid;
    struct popen_child *next;
};
static struct popen_child *children;

FILE *popen(const char *cmd, const char *mode) {
    int reading;
    if (mode[0] == 'r')
        reading = 1;
    else if (mode[0] == 'w')
        reading = 0;
    else {
        errno = EINVAL;
        return NULL;
    }
    for (const char *m = mode + 1; *m != '\0'; m++)
        if (*m != 'e') {
            errno = EINVAL;
            return NULL;
        }

    struct popen_child *child = malloc(sizeof *child);
    if (child == NULL)
        return NULL;
    /* Both ends close-on-exec: the shell gets its end as stdin/stdout only. */
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        free(child);
        return NULL;
    }
    int ours = reading ? fds[0] : fds[1];
    int theirs = reading ? fds[1] : fds[0];
    int target = reading ? STDOUT_FILENO : STDIN_FILENO;
    int err = 0;
    /* dup2 onto itself would keep close-on-exec: move it out of the way. */
    if (theirs == target) {
        int moved = fcntl(theirs, F_DUPFD_CLOEXEC, 0);
        if (moved < 0) {
            err = errno;
            goto fail;
        }
        close(theirs);
        theirs = moved;
    }

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    err = posix_spawn_file_actions_adddup2(&fa, theirs, target);
    /* POSIX: streams of earlier popen() calls are not open in the child. */
    for (struct popen_child *c = children; c != NULL && err == 0; c = c->next)
        err = posix_spawn_file_actions_addclose(&fa, fileno(c->stream));
    if (err == 0) {
        char *argv[] = {"sh", "-c", (char *)cmd, NULL};
        err = posix_spawn(&child->pid, SHELL, &fa, NULL, argv, environ);
    }
    posix_spawn_file_actions_destroy(&fa);
    if (err != 0)
        goto fail;
    close(theirs);
    theirs = -1;
    if (strchr(mode, 'e') == NULL)
        fcntl(ours, F_SETFD, 0);
    child->stream = fdopen(ours, reading ? "r" : "w");
    if (child->stream == NULL) {
        /* Too late to undo the spawn: the shell sees EOF or EPIPE. */
        err = errno;
        close(ours);
        wait_child(child->pid, &(int){0});
        free(child);
        errno = err;
        return NULL;
    }
    child->next = children;
    children = child;
    return child->stream;

fail:
    close(ours);
    if (theirs >= 0)
        close(theirs);
    free(child);
    errno = err;
    return NULL;
}

int pclose(FILE *stream) {
    struct popen_child **link = &children;
    while (*link != NULL && (*link)->stream != stream)
        link = &(*link)->next;
    struct popen_child *child = *link;
    if (child == NULL) {
        errno = ECHILD;
        return -1;
    }
    *link = child->next;
    pid_t pid = child->pid;
    free(child);
    fclose(stream);
    int status;
    return wait_child(pid, &status) == 0 ? status : -1;
}
