/*
 * sys/prctl.h: missing from wasi-libc. prctl() with Linux's PR_* values.
 * libocclum implements PR_SET_NAME/PR_GET_NAME (the kernel's comm: 15
 * bytes and a NUL, shown in /proc/<pid>/comm and status), PR_GET_DUMPABLE/
 * PR_SET_DUMPABLE, PR_GET_PDEATHSIG/PR_SET_PDEATHSIG (recorded),
 * PR_GET_NO_NEW_PRIVS/PR_SET_NO_NEW_PRIVS, PR_GET_KEEPCAPS/PR_SET_KEEPCAPS,
 * PR_GET_TIMERSLACK/PR_SET_TIMERSLACK; other options fail with EINVAL, as
 * Linux answers options it does not know. src/misc.c.
 */
#ifndef _SYS_PRCTL_H
#define _SYS_PRCTL_H

#pragma GCC system_header

#ifdef __cplusplus
extern "C" {
#endif

#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2
#define PR_GET_DUMPABLE 3
#define PR_SET_DUMPABLE 4
#define PR_GET_KEEPCAPS 7
#define PR_SET_KEEPCAPS 8
#define PR_SET_NAME 15
#define PR_GET_NAME 16
#define PR_GET_TIMERSLACK 30
#define PR_SET_TIMERSLACK 29
#define PR_SET_NO_NEW_PRIVS 38
#define PR_GET_NO_NEW_PRIVS 39
#define PR_SET_CHILD_SUBREAPER 36
#define PR_GET_CHILD_SUBREAPER 37

int prctl(int, ...);

#ifdef __cplusplus
}
#endif

#endif
