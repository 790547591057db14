/* sys/vfs.h: as on Linux, the same as <sys/statfs.h>. */
#pragma GCC system_header
#include <sys/statfs.h>
