/*
 * sys/utsname.h: missing from wasi-libc. Linux's struct utsname; the kernel
 * fills the first five fields (sysname "Linux", nodename, release, version,
 * machine), libocclum clears the domain name.
 */
#ifndef _SYS_UTSNAME_H
#define _SYS_UTSNAME_H

#pragma GCC system_header

#include <features.h>

#ifdef __cplusplus
extern "C" {
#endif

struct utsname {
    char sysname[65];
    char nodename[65];
    char release[65];
    char version[65];
    char machine[65];
#ifdef _GNU_SOURCE
    char domainname[65];
#else
    char __domainname[65];
#endif
};

int uname(struct utsname *);

#ifdef __cplusplus
}
#endif

#endif
