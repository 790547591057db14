/* asm/unistd.h: Linux x86-64's __NR_* numbers (they live in <sys/syscall.h>). */
#ifndef _PYOCCLUM_ASM_UNISTD_H
#define _PYOCCLUM_ASM_UNISTD_H
#pragma GCC system_header
#include <sys/syscall.h>
#endif
