/* Declarations shared between libocclum's sources; not installed for users. */
#ifndef _PYOCCLUM_INTERNAL_H
#define _PYOCCLUM_INTERNAL_H

/* Asks the kernel for the process's current directory. Returns a malloc'd,
 * NUL-terminated absolute path, or NULL with errno set (to the kernel's
 * errno, e.g. ENOSYS when a test harness does not implement the call). */
char *__occlum_kernel_getcwd(void);

#endif
