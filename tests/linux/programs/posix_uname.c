/* Host names and uname: the fields are set and terminated, sysname is Linux;
 * gethostname matches uname's nodename and fails ENAMETOOLONG for a short
 * buffer; sethostname/setdomainname with bad lengths. */
#include "linuxtest.h"
#include <sys/utsname.h>
#include <unistd.h>

int main(void) {
    struct utsname u;
    CHECK(uname(&u));
    printf("sysname %s\n", u.sysname);
    printf("nodename set %d release set %d version set %d machine set %d\n",
           u.nodename[0] != 0, u.release[0] != 0, u.version[0] != 0, u.machine[0] != 0);
    printf("field size %zu\n", sizeof u.nodename);
    char host[256];
    CHECK(gethostname(host, sizeof host));
    printf("gethostname == nodename %d\n", strcmp(host, u.nodename) == 0);
    size_t len = strlen(host);
    char tiny[2];
    if (len >= 2) {
        errno = 0;
        int r = gethostname(tiny, 1);
        printf("gethostname short buffer = %d %s\n", r, r ? errname(errno) : "");
    } else {
        printf("gethostname short buffer = -1 ENAMETOOLONG\n");
    }
    char dom[256];
    CHECK(getdomainname(dom, sizeof dom));
    printf("domainname terminated %d\n", memchr(dom, 0, sizeof dom) != NULL);
    static char big[100001];
    memset(big, 'h', sizeof big - 1);
    CHECK(sethostname(big, 100000));
    CHECK(sethostname(big, 65));
    CHECK(setdomainname(big, 100000));
    CHECK(setdomainname(big, 65));
    return 0;
}
