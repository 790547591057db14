/* sh: reading and running commands from a string, a file or a descriptor. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sh.h"

/* --- reading commands --- */

static int eval_buffer(const char *s, size_t len, int flags) {
    size_t pos = 0;
    int st = exitstatus;
    int outer_pinned = tree_pinned;
    while (pos < len) {
        int ps;
        tree_pinned = 0;
        struct node *t = parse_command_line(s, len, &pos, &ps, 1);
        if (ps == 2)
            sh_exit(2);
        if (!t)
            break;
        if (!opt_n)
            st = eval_tree(t, flags);
        if (!tree_pinned)
            tree_free(t);
        if (evalskip)
            break;
    }
    tree_pinned = outer_pinned;
    return st;
}

int eval_string(const char *s, int flags) { return eval_buffer(s, strlen(s), flags); }

int eval_fd_input(int fd) {
    sbuf buf = {0};
    size_t pos = 0;
    int eof = 0;
    for (;;) {
        int ps = 1;
        struct node *t = NULL;
        tree_pinned = 0;
        if (pos < buf.len || eof)
            t = parse_command_line(buf.s ? buf.s : "", buf.len, &pos, &ps, eof);
        if (ps == 1 && !eof) {
            /* incomplete: read more (never more than a chunk ahead, as dash) */
            if (interactive) {
                int fresh = 1;
                for (size_t k = pos; k < buf.len; k++)
                    if (buf.s[k] != ' ' && buf.s[k] != '\t' && buf.s[k] != '\n')
                        fresh = 0;
                const char *prompt = var_get(fresh ? "PS1" : "PS2");
                if (prompt)
                    write_all(2, prompt, strlen(prompt));
            }
            char chunk[4096];
            ssize_t r = read(fd, chunk, sizeof chunk);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                eof = 1;
            else
                sb_addn(&buf, chunk, (size_t)r);
            continue;
        }
        if (ps == 2 && interactive) {
            /* a typing error: forget what was read (from a terminal: the
             * line), go on, as dash */
            buf.len = pos = 0;
            exitstatus = 2;
            continue;
        }
        if (ps == 2)
            sh_exit(2);
        if (!t)
            break;
        if (!opt_n)
            eval_tree(t, 0);
        if (!tree_pinned)
            tree_free(t);
        evalskip = 0;
        if (pos > 0) {
            memmove(buf.s, buf.s + pos, buf.len - pos);
            buf.len -= pos;
            pos = 0;
        }
    }
    sb_free(&buf);
    return exitstatus;
}

/* Reads a whole file and runs it in this shell (scripts, `.`). */
int eval_file(const char *path, int must_exist) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (!must_exist)
            return 0;
        sh_warn("%s: %s", path, errno == ENOENT ? "No such file" : strerror(errno));
        return -1;
    }
    sbuf b = {0};
    read_all(fd, &b);
    close(fd);
    int st = eval_buffer(b.s ? b.s : "", b.len, 0);
    sb_free(&b);
    return st;
}
