/* The mount table: setmntent("/proc/mounts") lists "/" and "/proc",
 * hasmntopt, addmntent to a file of our own and reading it back with
 * getmntent_r (escapes of spaces), endmntent; and ulimit's file-size limit
 * in 512-byte blocks, set and read back. */
#include "linuxtest.h"
#include <limits.h>
#include <mntent.h>
#include <ulimit.h>

int main(void) {
    FILE *f = setmntent("/proc/mounts", "r");
    MUST(f != NULL);
    struct mntent *m;
    int root = 0, proc = 0, fields = 1;
    while ((m = getmntent(f)) != NULL) {
        if (!strcmp(m->mnt_dir, "/")) root = 1;
        if (!strcmp(m->mnt_dir, "/proc") && !strcmp(m->mnt_type, "proc")) proc = 1;
        if (!m->mnt_fsname[0] || !m->mnt_type[0] || !m->mnt_opts[0]) fields = 0;
    }
    printf("/ listed %d, /proc (proc) listed %d, fields set %d\n", root, proc, fields);
    CHECK(endmntent(f));

    f = setmntent("my.tab", "w+");
    MUST(f != NULL);
    struct mntent e = {"/dev/sda 1", "/mnt/with space", "ext4", "rw,noatime,size=10", 0, 2};
    CHECK(addmntent(f, &e));
    rewind(f);
    struct mntent r;
    char buf[256];
    m = getmntent_r(f, &r, buf, sizeof buf);
    MUST(m != NULL);
    printf("read back: '%s' '%s' '%s' '%s' %d %d\n", m->mnt_fsname, m->mnt_dir, m->mnt_type,
           m->mnt_opts, m->mnt_freq, m->mnt_passno);
    printf("hasmntopt noatime %d size %s ro %s\n", hasmntopt(m, "noatime") != NULL,
           hasmntopt(m, "size") ? hasmntopt(m, "size") : "NULL",
           hasmntopt(m, "ro") ? "found" : "NULL");
    printf("next %s\n", getmntent(f) ? "entry" : "NULL");
    CHECK(endmntent(f));
    errno = 0;
    printf("missing file %s\n", setmntent("no/such/tab", "r") ? "opened" : errname(errno));

    long cur = ulimit(UL_GETFSIZE);
    printf("ulimit unlimited %d\n", cur == LONG_MAX);
    CHECK(ulimit(UL_SETFSIZE, 2048L));
    CHECK(ulimit(UL_GETFSIZE));
    CHECK(ulimit(12345));
    return 0;
}
