/*
 * sys/sysinfo.h: missing from wasi-libc. Linux's struct sysinfo (for a
 * 32-bit target: unsigned long is 32 bits, so memory sizes are counted in
 * units of mem_unit bytes). libocclum fills uptime, totalram, freeram,
 * procs and mem_unit from the kernel; the rest is zero.
 */
#ifndef _SYS_SYSINFO_H
#define _SYS_SYSINFO_H

#pragma GCC system_header

#ifdef __cplusplus
extern "C" {
#endif

#define SI_LOAD_SHIFT 16

struct sysinfo {
    unsigned long uptime;
    unsigned long loads[3];
    unsigned long totalram;
    unsigned long freeram;
    unsigned long sharedram;
    unsigned long bufferram;
    unsigned long totalswap;
    unsigned long freeswap;
    unsigned short procs, pad;
    unsigned long totalhigh;
    unsigned long freehigh;
    unsigned mem_unit;
    char __reserved[256];
};

int sysinfo(struct sysinfo *);

/* glibc's (src/posix_gnu.c): the CPUs and memory pages sysconf reports. */
int get_nprocs(void);
int get_nprocs_conf(void);
long get_phys_pages(void);
long get_avphys_pages(void);

#ifdef __cplusplus
}
#endif

#endif
