/*
 * sys/timerfd.h: missing from wasi-libc. Linux's declarations and values;
 * TFD_CLOEXEC and TFD_NONBLOCK are O_CLOEXEC and O_NONBLOCK, as on Linux
 * (libocclum's values, translated for the kernel). The clock is a
 * clockid_t (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME: wasi-libc's
 * clock ids are pointers). src/events.c.
 */
#ifndef _SYS_TIMERFD_H
#define _SYS_TIMERFD_H

#pragma GCC system_header

#include <fcntl.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TFD_NONBLOCK O_NONBLOCK
#define TFD_CLOEXEC O_CLOEXEC

#define TFD_TIMER_ABSTIME 1
#define TFD_TIMER_CANCEL_ON_SET (1 << 1)

/* clockid_t, not Linux's int: wasi-libc's CLOCK_* are pointers. */
int timerfd_create(clockid_t, int);
int timerfd_settime(int, int, const struct itimerspec *, struct itimerspec *);
int timerfd_gettime(int, struct itimerspec *);

#ifdef __cplusplus
}
#endif

#endif
