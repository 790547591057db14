/*
 * sys/auxv.h: missing from wasi-libc. getauxval() and Linux's AT_* values.
 * libocclum answers AT_PAGESZ (the page size sysconf(_SC_PAGESIZE) gives:
 * 65536, WebAssembly's page), AT_CLKTCK (100), AT_HWCAP/AT_HWCAP2 (0),
 * AT_RANDOM (16 random bytes), AT_SECURE (0), AT_UID/AT_EUID/AT_GID/AT_EGID
 * (0: root), AT_PLATFORM, AT_EXECFN (argv[0]... see src/misc.c); anything
 * else is 0 with errno ENOENT, as glibc.
 */
#ifndef _SYS_AUXV_H
#define _SYS_AUXV_H

#pragma GCC system_header

#ifdef __cplusplus
extern "C" {
#endif

#define AT_NULL 0
#define AT_IGNORE 1
#define AT_EXECFD 2
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_NOTELF 10
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_CLKTCK 17
#define AT_PLATFORM 15
#define AT_HWCAP 16
#define AT_FPUCW 18
#define AT_DCACHEBSIZE 19
#define AT_ICACHEBSIZE 20
#define AT_UCACHEBSIZE 21
#define AT_IGNOREPPC 22
#define AT_SECURE 23
#define AT_BASE_PLATFORM 24
#define AT_RANDOM 25
#define AT_HWCAP2 26
#define AT_HWCAP3 29
#define AT_HWCAP4 30
#define AT_EXECFN 31
#define AT_SYSINFO 32
#define AT_SYSINFO_EHDR 33
#define AT_MINSIGSTKSZ 51

unsigned long getauxval(unsigned long);

#ifdef __cplusplus
}
#endif

#endif
