/*
 * sendfile and copy_file_range (wasi-libc has neither): copies through a
 * buffer with pread/pwrite, after Linux's checks in Linux's order (the
 * descriptors, their access modes and types, O_APPEND, negative offsets,
 * overlapping ranges of one file). With an offset pointer the input file's
 * offset is left alone and the pointer advances; without, the file offset
 * does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define CHUNK 65536
#define MAX_RW 0x7ffff000L /* Linux's MAX_RW_COUNT */

static int fail(int e) {
    errno = e;
    return -1;
}

/* wasi-libc's O_RDONLY and O_WRONLY are separate bits; O_RDWR is both. */
static int status_flags(int fd, int *fl) {
    *fl = fcntl(fd, F_GETFL);
    return *fl < 0 ? -1 : 0;
}

/* Copy up to count bytes from in at *pos_in (advanced) to out at *pos_out
 * (advanced; -1: at out's file offset, with write). Returns the bytes copied. */
static ssize_t copy_with(char *buf, int in, off_t *pos_in, int out, off_t *pos_out,
                         size_t count) {
    size_t done = 0;
    while (done < count) {
        size_t want = count - done < CHUNK ? count - done : CHUNK;
        ssize_t got = pread(in, buf, want, *pos_in);
        if (got < 0)
            return done ? (ssize_t)done : -1;
        if (got == 0)
            break;
        ssize_t put = 0;
        while (put < got) {
            ssize_t w = *pos_out < 0 ? write(out, buf + put, (size_t)(got - put))
                                     : pwrite(out, buf + put, (size_t)(got - put),
                                              *pos_out + put);
            if (w <= 0) {
                *pos_in += put;
                if (*pos_out >= 0)
                    *pos_out += put;
                done += (size_t)put;
                return done ? (ssize_t)done : -1;
            }
            put += w;
        }
        *pos_in += got;
        if (*pos_out >= 0)
            *pos_out += got;
        done += (size_t)got;
    }
    return (ssize_t)done;
}

/* A buffer per call: threads may copy at the same time. */
static ssize_t copy(int in, off_t *pos_in, int out, off_t *pos_out, size_t count) {
    char *buf = malloc(CHUNK);
    if (buf == NULL)
        return fail(ENOMEM);
    ssize_t n = copy_with(buf, in, pos_in, out, pos_out, count);
    int e = errno;
    free(buf);
    errno = e;
    return n;
}

ssize_t sendfile(int out_fd, int in_fd, off_t *offset, size_t count) {
    int in_fl, out_fl;
    if (status_flags(in_fd, &in_fl) != 0)
        return -1;
    if (!(in_fl & O_RDONLY))
        return fail(EBADF);
    if (offset != NULL && *offset < 0)
        return fail(EINVAL);
    if (status_flags(out_fd, &out_fl) != 0)
        return -1;
    if (!(out_fl & O_WRONLY))
        return fail(EBADF);
    struct stat st;
    if (fstat(in_fd, &st) != 0)
        return -1;
    if (!S_ISREG(st.st_mode) || (out_fl & O_APPEND))
        return fail(EINVAL);
    if (count > (size_t)MAX_RW)
        count = (size_t)MAX_RW;
    if (count == 0)
        return 0;
    off_t pos = offset != NULL ? *offset : lseek(in_fd, 0, SEEK_CUR);
    if (pos < 0)
        return -1;
    off_t no_pos = -1;
    ssize_t n = copy(in_fd, &pos, out_fd, &no_pos, count);
    if (n < 0)
        return -1;
    if (offset != NULL)
        *offset = pos;
    else if (lseek(in_fd, pos, SEEK_SET) < 0)
        return -1;
    return n;
}

ssize_t copy_file_range(int fd_in, off_t *off_in, int fd_out, off_t *off_out, size_t len,
                        unsigned flags) {
    if (flags != 0)
        return fail(EINVAL);
    int in_fl, out_fl;
    if (status_flags(fd_in, &in_fl) != 0 || status_flags(fd_out, &out_fl) != 0)
        return -1;
    struct stat si, so;
    if (fstat(fd_in, &si) != 0 || fstat(fd_out, &so) != 0)
        return -1;
    if (S_ISDIR(si.st_mode) || S_ISDIR(so.st_mode))
        return fail(EISDIR);
    if (!S_ISREG(si.st_mode) || !S_ISREG(so.st_mode))
        return fail(EINVAL);
    if (!(in_fl & O_RDONLY) || !(out_fl & O_WRONLY) || (out_fl & O_APPEND))
        return fail(EBADF);
    off_t pos_in = off_in != NULL ? *off_in : lseek(fd_in, 0, SEEK_CUR);
    off_t pos_out = off_out != NULL ? *off_out : lseek(fd_out, 0, SEEK_CUR);
    if (pos_in < 0 || pos_out < 0)
        return fail(EOVERFLOW);
    if (len > (size_t)MAX_RW)
        len = (size_t)MAX_RW;
    size_t count = pos_in >= si.st_size ? 0 : (size_t)(si.st_size - pos_in);
    if (len < count)
        count = len;
    if (si.st_dev == so.st_dev && si.st_ino == so.st_ino && pos_out + (off_t)count > pos_in &&
        pos_out < pos_in + (off_t)count)
        return fail(EINVAL);
    if (count == 0)
        return 0;
    ssize_t n = copy(fd_in, &pos_in, fd_out, &pos_out, count);
    if (n < 0)
        return -1;
    if (off_in != NULL)
        *off_in = pos_in;
    else
        lseek(fd_in, pos_in, SEEK_SET);
    if (off_out != NULL)
        *off_out = pos_out;
    else
        lseek(fd_out, pos_out, SEEK_SET);
    return n;
}
