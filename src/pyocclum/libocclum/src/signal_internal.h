/* What init.c's trampoline, abort and sleeps call (signal_*.c); not for users. */
#ifndef _PYOCCLUM_SIGNAL_INTERNAL_H
#define _PYOCCLUM_SIGNAL_INTERNAL_H

#include <stdint.h>
#include <time.h>

#include "occlum.h"

_Static_assert(sizeof(struct occlum_siginfo) == 32, "siginfo record is 32 bytes");

/* Run a handler for the kernel (signal_deliver.c); returns the mask to restore. */
uint64_t __occlum_signal_deliver(uint32_t handler, int flags, const struct occlum_siginfo *info,
                                 uint64_t mask);
/* Fill a siginfo_t from a kernel record (signal_deliver.c). */
void __occlum_siginfo_from(siginfo_t *si, const struct occlum_siginfo *info);

/* signal_sleep.c */
_Noreturn void __occlum_abort(void);
int __occlum_clock_nanosleep(clockid_t clock, int flags, const struct timespec *req,
                             struct timespec *rem);
unsigned __occlum_sleep(unsigned seconds);

#endif
