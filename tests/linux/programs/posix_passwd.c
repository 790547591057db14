/* The user and group databases and ids: root is uid 0 and gid 0 in
 * /etc/passwd and /etc/group, getpwnam/getpwuid/getgrnam/getgrgid find it by name and id, unknown
 * names and ids give NULL, the _r variants report ERANGE for a small buffer. */
#include "linuxtest.h"
#include <grp.h>
#include <pwd.h>
#include <sys/types.h>
#include <unistd.h>

int main(void) {
    printf("uid %d euid %d gid %d egid %d\n", getuid(), geteuid(), getgid(), getegid());
    uid_t r, e, s;
    CHECK(getresuid(&r, &e, &s));
    printf("resuid %d %d %d\n", r, e, s);
    struct passwd *pw = getpwnam("root");
    printf("getpwnam root: %s\n", pw ? "found" : "NULL");
    if (pw)
        printf("  name %s uid %d gid %d dir %s\n", pw->pw_name, pw->pw_uid, pw->pw_gid,
               pw->pw_dir);
    pw = getpwuid(0);
    printf("getpwuid 0: %s\n", pw ? pw->pw_name : "NULL");
    errno = 0;
    pw = getpwnam("no-such-user-here");
    printf("getpwnam unknown: %s\n", pw ? "found" : "NULL");
    pw = getpwuid(54321);
    printf("getpwuid unknown: %s\n", pw ? "found" : "NULL");

    struct group *gr = getgrnam("root");
    printf("getgrnam root: %s\n", gr ? "found" : "NULL");
    if (gr) printf("  name %s gid %d\n", gr->gr_name, gr->gr_gid);
    gr = getgrgid(0);
    printf("getgrgid 0: %s\n", gr ? gr->gr_name : "NULL");
    gr = getgrnam("no-such-group-here");
    printf("getgrnam unknown: %s\n", gr ? "found" : "NULL");

    struct passwd pwb, *res = NULL;
    char small[4], big[4096];
    CHECK_ERRNO(getpwnam_r("root", &pwb, small, sizeof small, &res));
    CHECK_ERRNO(getpwnam_r("root", &pwb, big, sizeof big, &res));
    printf("getpwnam_r: %s\n", res ? res->pw_name : "NULL");
    CHECK_ERRNO(getpwuid_r(54321, &pwb, big, sizeof big, &res));
    printf("getpwuid_r unknown: %s\n", res ? "found" : "NULL");
    struct group grb, *gres = NULL;
    CHECK_ERRNO(getgrgid_r(0, &grb, big, sizeof big, &gres));
    printf("getgrgid_r: %s\n", gres ? gres->gr_name : "NULL");

    int root_seen = 0;
    setpwent();
    while ((pw = getpwent()) != NULL)
        if (pw->pw_uid == 0 && strcmp(pw->pw_name, "root") == 0) root_seen = 1;
    endpwent();
    printf("getpwent root seen %d\n", root_seen);
    root_seen = 0;
    setgrent();
    while ((gr = getgrent()) != NULL)
        if (gr->gr_gid == 0 && strcmp(gr->gr_name, "root") == 0) root_seen = 1;
    endgrent();
    printf("getgrent root seen %d\n", root_seen);

    CHECK(setuid(0));
    CHECK(setgid(0));
    CHECK(seteuid(0));
    return 0;
}
