/* O_TMPFILE then linkat(AT_EMPTY_PATH): the unnamed file gets a name; an ordinary
 * file that was unlinked cannot be linked back (ENOENT). */
#include "linuxtest.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
    int fd = open(".", O_TMPFILE | O_RDWR, 0600);
    MUST(fd >= 0);
    CHECK(write(fd, "data", 4));
    CHECK(linkat(fd, "", AT_FDCWD, "named", AT_EMPTY_PATH));
    struct stat st, named;
    CHECK(fstat(fd, &st));
    CHECK(stat("named", &named));
    printf("nlink %ld same file %d size %ld\n", (long)st.st_nlink, named.st_ino == st.st_ino,
           (long)named.st_size);
    CHECK(linkat(fd, "", AT_FDCWD, "named", AT_EMPTY_PATH));
    CHECK(close(fd));
    fd = open("gone", O_CREAT | O_RDWR, 0644);
    MUST(fd >= 0);
    CHECK(unlink("gone"));
    CHECK(linkat(fd, "", AT_FDCWD, "back", AT_EMPTY_PATH));
    return 0;
}
