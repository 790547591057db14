/*
 * occlum/attestation.h over the /dev/attestation pseudo-files: write the
 * report data (64 bytes, one write), then read the quote or report, which the
 * kernel makes when the file is opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <occlum/attestation.h>

#include "internal.h"

#define ATTEST_DIR OCCLUM_ATTESTATION_DIR "/"

/* Closes fd keeping errno as it was. */
static void close_quietly(int fd) {
    int saved = errno;
    close(fd);
    errno = saved;
}

static int set_report_data(const void *report_data, size_t len) {
    unsigned char data[OCCLUM_REPORT_DATA_SIZE] = {0};
    if (len > sizeof data || (len > 0 && report_data == NULL)) {
        errno = EINVAL;
        return -1;
    }
    if (len > 0)
        memcpy(data, report_data, len);
    int fd = __occlum_wrap_open(ATTEST_DIR "user_report_data", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, data, sizeof data);
    if (n != (ssize_t)sizeof data) {
        if (n >= 0)
            errno = EIO;
        close_quietly(fd);
        return -1;
    }
    return close(fd);
}

/* The whole content of path into buf: its length, or -1 (ERANGE if it does
 * not fit in size bytes). */
static int read_whole(const char *path, void *buf, size_t size) {
    int fd = __occlum_wrap_open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t got = 0;
    for (;;) {
        char extra;
        ssize_t n = got < size ? read(fd, (char *)buf + got, size - got) : read(fd, &extra, 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            close_quietly(fd);
            return -1;
        }
        if (n == 0)
            break;
        if (got == size) {
            close_quietly(fd);
            errno = ERANGE;
            return -1;
        }
        got += (size_t)n;
    }
    close(fd);
    return (int)got;
}

static int get(const char *path, const void *report_data, size_t len, void *out, size_t size) {
    if (set_report_data(report_data, len) != 0)
        return -1;
    return read_whole(path, out, size);
}

int occlum_get_quote(const void *report_data, size_t len, void *quote, size_t quote_size) {
    return get(ATTEST_DIR "quote", report_data, len, quote, quote_size);
}

int occlum_get_report(const void *report_data, size_t len, void *report, size_t report_size) {
    return get(ATTEST_DIR "report", report_data, len, report, report_size);
}

int occlum_attestation_type(char *buf, size_t size) {
    if (size == 0) {
        errno = ERANGE;
        return -1;
    }
    int n = read_whole(ATTEST_DIR "attestation_type", buf, size - 1);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return n;
}
