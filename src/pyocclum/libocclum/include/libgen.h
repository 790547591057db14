/*
 * libgen.h: musl's POSIX dirname and basename. As with glibc, including it
 * selects the POSIX basename even where <string.h> under _GNU_SOURCE gave
 * the GNU one (include/string.h): the name is defined to itself, which also
 * keeps a later <string.h> from redefining it.
 */
#pragma GCC system_header

#ifdef basename
#undef basename
#endif
#include_next <libgen.h>
#define basename basename
