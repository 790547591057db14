/*
 * sys/eventfd.h: missing from wasi-libc. Linux's declarations; EFD_CLOEXEC
 * and EFD_NONBLOCK are O_CLOEXEC and O_NONBLOCK, as on Linux (libocclum's
 * values, translated for the kernel). src/events.c.
 */
#ifndef _SYS_EVENTFD_H
#define _SYS_EVENTFD_H

#pragma GCC system_header

#include <stdint.h>
#include <fcntl.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t eventfd_t;

#define EFD_SEMAPHORE 1
#define EFD_CLOEXEC O_CLOEXEC
#define EFD_NONBLOCK O_NONBLOCK

int eventfd(unsigned int, int);
int eventfd_read(int, eventfd_t *);
int eventfd_write(int, eventfd_t);

#ifdef __cplusplus
}
#endif

#endif
