/*
 * sh: redirections, applied to the shell's own fds and undone after the
 * command (the old fds are kept on fds >= 10, close-on-exec); here-documents.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sh.h"

/* --- redirections --- */

static int heredoc_fd(const char *text) {
    size_t n = strlen(text);
    int p[2];
    if (n <= 4096 && pipe2(p, O_CLOEXEC) == 0) {
        /* fits in the pipe: nobody has to read concurrently */
        write_all(p[1], text, n);
        close(p[1]);
        return p[0];
    }
    static int seq;
    char path[64];
    snprintf(path, sizeof path, "/tmp/.sh-here-%d-%d", (int)getpid(), seq++);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    unlink(path);
    write_all(fd, text, n);
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static void save_fd(struct redir_save *save, int fd) {
    if (!save)
        return;
    for (int i = 0; i < save->n; i++)
        if (save->v[i].fd == fd)
            return;
    if (save->n == save->cap) {
        save->cap = save->cap ? 2 * save->cap : 4;
        save->v = xrealloc(save->v, (size_t)save->cap * sizeof *save->v);
    }
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, 10);
    save->v[save->n].fd = fd;
    save->v[save->n].saved = copy;
    save->n++;
}

int redirs_apply(struct redir *r, struct redir_save *save) {
    for (; r; r = r->next) {
        int fd = r->fd, newfd = -1, is_dup = 0, close_it = 0;
        char *target = NULL;
        if (r->type == R_HERE) {
            char *text = r->here_lit ? xstrdup(r->here) : expand_heredoc(r->here);
            newfd = heredoc_fd(text);
            free(text);
            if (newfd < 0) {
                sh_warn("cannot create here-document: %s", strerror(errno));
                return -1;
            }
        } else {
            target = expand_str(r->word);
            if (r->type == R_DUPIN || r->type == R_DUPOUT) {
                long v;
                if (strcmp(target, "-") == 0) {
                    close_it = 1;
                } else if (parse_int(target, &v) == 0 && v >= 0) {
                    newfd = (int)v;
                    is_dup = 1;
                    if (fcntl(newfd, F_GETFD) < 0) {
                        sh_warn("%d: Bad file descriptor", newfd);
                        free(target);
                        return -1;
                    }
                } else {
                    sh_warn("Syntax error: Bad fd number");
                    free(target);
                    return -1;
                }
            } else {
                int flags = O_RDONLY;
                switch (r->type) {
                case R_OUT:
                    flags = O_WRONLY | O_CREAT | O_TRUNC;
                    if (opt_C) {
                        struct stat st;
                        if (stat(target, &st) == 0 && S_ISREG(st.st_mode)) {
                            sh_warn("cannot create %s: File exists", target);
                            free(target);
                            return -1;
                        }
                    }
                    break;
                case R_CLOBBER: flags = O_WRONLY | O_CREAT | O_TRUNC; break;
                case R_APPEND: flags = O_WRONLY | O_CREAT | O_APPEND; break;
                case R_RDWR: flags = O_RDWR | O_CREAT; break;
                }
                newfd = open(target, flags | O_CLOEXEC, 0666);
                if (newfd < 0) {
                    sh_warn("cannot %s %s: %s", r->type == R_IN ? "open" : "create", target,
                            errno == ENOENT ? "No such file" : strerror(errno));
                    free(target);
                    return -1;
                }
            }
        }
        free(target);
        save_fd(save, fd);
        if (close_it) {
            close(fd);
        } else if (newfd != fd) {
            dup2(newfd, fd);
            if (!is_dup)
                close(newfd);
        } else {
            /* landed on the wanted number: keep it across spawns */
            fcntl(fd, F_SETFD, 0);
        }
    }
    return 0;
}

void redirs_restore(struct redir_save *save) {
    for (int i = save->n - 1; i >= 0; i--) {
        struct saved_fd *s = &save->v[i];
        if (s->saved >= 0) {
            dup2(s->saved, s->fd);
            close(s->saved);
        } else {
            close(s->fd);
        }
    }
    free(save->v);
    save->v = NULL;
    save->n = save->cap = 0;
}

/* Points fd at `to` for a spawn (saving the old one); -1 leaves it alone. */
void move_fd(struct redir_save *save, int to, int fd) {
    if (to < 0 || to == fd)
        return;
    save_fd(save, fd);
    dup2(to, fd);
}
