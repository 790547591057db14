/* eventfd: counter semantics, EFD_SEMAPHORE, EFD_NONBLOCK (EAGAIN), EFD_CLOEXEC,
 * 8-byte reads and writes (EINVAL below), the largest value, bad flags. */
#include "linuxtest.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

int main(void) {
    uint64_t v = 0;
    CHECK(eventfd(0, 0x12345));
    int fd = eventfd(7, EFD_NONBLOCK | EFD_CLOEXEC);
    MUST(fd >= 0);
    CHECK(fcntl(fd, F_GETFD));
    CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK ? 1 : 0);
    CHECK(read(fd, &v, 4));
    CHECK(read(fd, &v, 8));
    printf("v %llu\n", (unsigned long long)v);
    CHECK(read(fd, &v, 8));
    v = 3;
    CHECK(write(fd, &v, 4));
    CHECK(write(fd, &v, 8));
    CHECK(write(fd, &v, 8));
    char big[16] = {0};
    CHECK(read(fd, big, sizeof big));
    printf("v %llu\n", (unsigned long long)*(uint64_t *)big);
    v = UINT64_MAX;
    CHECK(write(fd, &v, 8));
    v = UINT64_MAX - 1;
    CHECK(write(fd, &v, 8));
    v = 1;
    CHECK(write(fd, &v, 8));
    CHECK(read(fd, &v, 8));
    printf("v == max-1: %d\n", v == UINT64_MAX - 1);
    v = 0;
    CHECK(write(fd, &v, 8));
    CHECK(read(fd, &v, 8));
    CHECK(close(fd));

    /* Semaphore mode: each read takes 1. */
    int sem = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
    MUST(sem >= 0);
    CHECK(fcntl(sem, F_GETFD));
    for (int i = 0; i < 3; i++) {
        v = 0;
        CHECK(read(sem, &v, 8));
        printf("v %llu\n", (unsigned long long)v);
    }
    CHECK(eventfd_write(sem, 5));
    CHECK(eventfd_read(sem, &v));
    printf("v %llu\n", (unsigned long long)v);
    CHECK(close(sem));

    /* Blocking mode with a value ready does not block; eventfd_read/write. */
    int b = eventfd(0, 0);
    MUST(b >= 0);
    CHECK(eventfd_write(b, 40));
    CHECK(eventfd_write(b, 2));
    CHECK(eventfd_read(b, &v));
    printf("v %llu\n", (unsigned long long)v);
    CHECK(close(b));
    CHECK(eventfd_read(b, &v));
    return 0;
}
