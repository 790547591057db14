/*
 * getopt.h: musl's, with getopt_long and getopt_long_only routed to
 * src/posix_getopt.c (optarg reset to NULL at each call, as glibc).
 */
#pragma GCC system_header

#if !defined(_PYOCCLUM_GETOPT_LABELS) && !defined(__OCCLUM_BUILDING_LIBOCCLUM)
#define _PYOCCLUM_GETOPT_LABELS
#ifdef __cplusplus
extern "C" {
#endif
struct option;
int getopt(int, char *const [], const char *) __asm__("__occlum_wrap_getopt");
int getopt_long(int, char *const *, const char *, const struct option *, int *)
    __asm__("__occlum_wrap_getopt_long");
int getopt_long_only(int, char *const *, const char *, const struct option *, int *)
    __asm__("__occlum_wrap_getopt_long_only");
#ifdef __cplusplus
}
#endif
#endif

#include_next <getopt.h>
