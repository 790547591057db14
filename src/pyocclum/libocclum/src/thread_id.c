/* gettid (every build: in a program without threads it is the pid). */
#include <sys/types.h>
#include <unistd.h>

#include "internal.h"

pid_t gettid(void) {
    return __occlum_gettid();
}
