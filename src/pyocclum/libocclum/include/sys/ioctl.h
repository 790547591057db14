/*
 * sys/ioctl.h: wasi-libc's (FIONREAD, FIONBIO), plus the terminal requests
 * with Linux's values and struct winsize; ioctl goes to src/posix_termios.c
 * (ENOTTY for them on anything but the console).
 */
#pragma GCC system_header

#if !defined(_PYOCCLUM_IOCTL_LABELS) && !defined(__OCCLUM_BUILDING_LIBOCCLUM)
#define _PYOCCLUM_IOCTL_LABELS
#ifdef __cplusplus
extern "C" {
#endif
int ioctl(int, int, ...) __asm__("__occlum_wrap_ioctl");
#ifdef __cplusplus
}
#endif
#endif

#include_next <sys/ioctl.h>

#ifndef _PYOCCLUM_SYS_IOCTL_H
#define _PYOCCLUM_SYS_IOCTL_H
#define TCGETS 0x5401
#define TCSETS 0x5402
#define TCSETSW 0x5403
#define TCSETSF 0x5404
#define TIOCGPGRP 0x540F
#define TIOCSPGRP 0x5410
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define __NEED_struct_winsize
#include <bits/alltypes.h>
#endif
