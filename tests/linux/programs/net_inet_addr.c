/* Address text and lookups that need no socket: inet_pton/ntop/aton/addr/
 * ntoa edge cases, byte order, the IN6_IS_ADDR_* macros, getaddrinfo for
 * numeric hosts, localhost, NULL hosts (AI_PASSIVE) and numeric services,
 * getnameinfo with NI_NUMERIC*, if_nametoindex("lo"), getifaddrs' lo. ("localhost" for AF_INET6
 * and ports past 65535 are left out: glibc's answers depend on the host's
 * /etc/hosts, and it takes port 65536 as 0 where musl's code says EAI_SERVICE.) */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "linuxtest.h"

static const char *eai(int e) {
    switch (e) {
#define X(n) case n: return #n;
    X(EAI_BADFLAGS) X(EAI_NONAME) X(EAI_AGAIN) X(EAI_FAIL) X(EAI_FAMILY) X(EAI_SOCKTYPE)
    X(EAI_SERVICE) X(EAI_MEMORY) X(EAI_SYSTEM) X(EAI_OVERFLOW)
#undef X
    case 0: return "0";
    default: return "EAI_?";
    }
}

static void pton4(const char *s) {
    struct in_addr a = {0};
    int r = inet_pton(AF_INET, s, &a);
    printf("pton4 '%s' = %d", s, r);
    if (r == 1)
        printf(" %08x", ntohl(a.s_addr));
    printf("\n");
}

static void pton6(const char *s) {
    unsigned char a[16];
    char back[INET6_ADDRSTRLEN];
    int r = inet_pton(AF_INET6, s, a);
    printf("pton6 '%s' = %d", s, r);
    if (r == 1)
        printf(" -> %s", inet_ntop(AF_INET6, a, back, sizeof back));
    printf("\n");
}

static void aton(const char *s) {
    struct in_addr a = {0};
    int r = inet_aton(s, &a);
    printf("aton '%s' = %d", s, r);
    if (r)
        printf(" %s", inet_ntoa(a));
    printf(" addr %08x\n", ntohl(inet_addr(s)));
}

static void show_ai(const char *host, const char *serv, int family, int socktype, int flags) {
    struct addrinfo hints = {.ai_family = family, .ai_socktype = socktype, .ai_flags = flags};
    struct addrinfo *res = NULL;
    int r = getaddrinfo(host, serv, &hints, &res);
    printf("gai(%s, %s, fam %d, type %d, flags %#x) = %s\n", host ? host : "NULL",
           serv ? serv : "NULL", family, socktype, flags, eai(r));
    if (r != 0)
        return;
    for (struct addrinfo *p = res; p; p = p->ai_next) {
        char h[NI_MAXHOST], s[NI_MAXSERV];
        int g = getnameinfo(p->ai_addr, p->ai_addrlen, h, sizeof h, s, sizeof s,
                            NI_NUMERICHOST | NI_NUMERICSERV);
        printf("  %s type %s proto %d len %u -> %s port %s canon %s\n",
               p->ai_family == AF_INET ? "inet" : p->ai_family == AF_INET6 ? "inet6" : "?",
               p->ai_socktype == SOCK_STREAM ? "stream" : p->ai_socktype == SOCK_DGRAM ? "dgram" : "other",
               p->ai_protocol, p->ai_addrlen, g == 0 ? h : eai(g), g == 0 ? s : "-",
               p->ai_canonname ? p->ai_canonname : "-");
    }
    freeaddrinfo(res);
}

int main(void) {
    printf("htons %04x htonl %08x ntohs %04x\n", htons(0x1234), htonl(0x01020304),
           ntohs(htons(0xabcd)));
    const char *v4[] = {"127.0.0.1", "0.0.0.0", "255.255.255.255", "1.2.3", "1.2.3.4.5",
                        "01.2.3.4", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4", "", "1..2.3",
                        "0x7f.0.0.1", "192.168.001.1"};
    for (size_t i = 0; i < sizeof v4 / sizeof *v4; i++)
        pton4(v4[i]);
    const char *v6[] = {"::", "::1", "1::", "fe80::1", "2001:db8::ff00:42:8329",
                        "2001:0db8:0000:0000:0000:0000:0000:0001", "::ffff:1.2.3.4",
                        "::1.2.3.4", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "1:0:0:2::3",
                        "1:0:0:2:0:0:0:3", "1::2:0:0:3", "0:0:1::", "1:2:3:4:5:6:1.2.3.4",
                        ":::", "1:2:3:4:5:6:7:8:9", "12345::", "::g", "1::2::3", "::1.2.3",
                        "::ffff:256.1.1.1", "FFFF::ABCD", "0:0:0:0:0:ffff:0:0", "::0.0.0.1",
                        "::255.255.255.255", "1:0::", "fe80::1%eth0"};
    for (size_t i = 0; i < sizeof v6 / sizeof *v6; i++)
        pton6(v6[i]);
    unsigned char any[16];
    CHECK(inet_pton(12345, "1.2.3.4", any));
    char small[8];
    struct in_addr lo = {htonl(INADDR_LOOPBACK)};
    errno = 0;
    const char *t = inet_ntop(AF_INET, &lo, small, 8);
    printf("ntop short buffer %s %s\n", t ? "ok" : "NULL", errname(errno));
    errno = 0;
    t = inet_ntop(12345, &lo, small, 8);
    printf("ntop bad family %s %s\n", t ? "ok" : "NULL", errname(errno));
    const char *a4[] = {"127.0.0.1", "127.1", "0x7f000001", "017700000001", "1.2.3.4 junk",
                        "1.2.3.4junk", "255.255.255.255", "4294967296", "", "1.2.3.256"};
    for (size_t i = 0; i < sizeof a4 / sizeof *a4; i++)
        aton(a4[i]);

    struct in6_addr z = IN6ADDR_ANY_INIT, l = IN6ADDR_LOOPBACK_INIT;
    printf("unspecified %d %d loopback %d %d any==in6addr_any %d loop==in6addr_loopback %d\n",
           IN6_IS_ADDR_UNSPECIFIED(&z), IN6_IS_ADDR_UNSPECIFIED(&l), IN6_IS_ADDR_LOOPBACK(&l),
           IN6_IS_ADDR_LOOPBACK(&z), IN6_ARE_ADDR_EQUAL(&z, &in6addr_any),
           IN6_ARE_ADDR_EQUAL(&l, &in6addr_loopback));
    struct in6_addr m, ll;
    inet_pton(AF_INET6, "::ffff:10.0.0.1", &m);
    inet_pton(AF_INET6, "fe80::1", &ll);
    printf("v4mapped %d linklocal %d multicast %d\n", IN6_IS_ADDR_V4MAPPED(&m),
           IN6_IS_ADDR_LINKLOCAL(&ll), IN6_IS_ADDR_MULTICAST(&ll));

    show_ai("127.0.0.1", "80", AF_UNSPEC, SOCK_STREAM, 0);
    show_ai("127.0.0.1", "53", AF_INET, 0, AI_NUMERICHOST | AI_NUMERICSERV);
    show_ai("::1", "8080", AF_UNSPEC, SOCK_DGRAM, 0);
    show_ai("::1", "8080", AF_INET, SOCK_DGRAM, 0);
    show_ai("1.2.3.4", "0", AF_INET6, SOCK_STREAM, 0);
    show_ai("1.2.3.4", "0", AF_INET6, SOCK_STREAM, AI_V4MAPPED);
    show_ai(NULL, "8080", AF_INET, SOCK_STREAM, AI_PASSIVE);
    show_ai(NULL, "8080", AF_INET6, SOCK_STREAM, AI_PASSIVE);
    show_ai(NULL, "8080", AF_INET, SOCK_STREAM, 0);
    show_ai(NULL, "8080", AF_INET6, SOCK_DGRAM, 0);
    show_ai("localhost", "22", AF_INET, SOCK_STREAM, 0);
    show_ai("127.0.0.1", "7", AF_INET, SOCK_STREAM, AI_CANONNAME | AI_NUMERICHOST);
    show_ai("not-an-address", "80", AF_INET, SOCK_STREAM, AI_NUMERICHOST);
    show_ai("127.0.0.1", "http-not-a-number", AF_INET, SOCK_STREAM, AI_NUMERICSERV);
    show_ai("127.0.0.1", "80", 12345, SOCK_STREAM, 0);
    show_ai("127.0.0.1", "80", AF_INET, 12345, 0);
    show_ai(NULL, NULL, AF_INET, SOCK_STREAM, 0);
    show_ai("127.0.0.1", "80", AF_INET, SOCK_STREAM, 0x10000);

    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(443),
                              .sin_addr.s_addr = htonl(0x0a000102)};
    char h[NI_MAXHOST], s[NI_MAXSERV];
    int g = getnameinfo((struct sockaddr *)&sin, sizeof sin, h, sizeof h, s, sizeof s,
                        NI_NUMERICHOST | NI_NUMERICSERV);
    printf("getnameinfo %s %s %s\n", eai(g), h, s);
    g = getnameinfo((struct sockaddr *)&sin, sizeof sin, h, 4, NULL, 0, NI_NUMERICHOST);
    printf("getnameinfo short host buffer %s\n", eai(g));
    g = getnameinfo((struct sockaddr *)&sin, 4, h, sizeof h, NULL, 0, NI_NUMERICHOST);
    printf("getnameinfo short addrlen %s\n", eai(g));
    struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(80)};
    inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
    g = getnameinfo((struct sockaddr *)&s6, sizeof s6, h, sizeof h, s, sizeof s,
                    NI_NUMERICHOST | NI_NUMERICSERV);
    printf("getnameinfo6 %s %s %s\n", eai(g), h, s);
    g = getnameinfo((struct sockaddr *)&sin, sizeof sin, h, sizeof h, NULL, 0, NI_NAMEREQD | NI_NUMERICHOST);
    printf("getnameinfo NAMEREQD|NUMERICHOST %s\n", eai(g));

    struct ifaddrs *ifs;
    CHECK(getifaddrs(&ifs));
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next)
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && !strcmp(i->ifa_name, "lo"))
            printf("getifaddrs: lo %s up %d loopback %d\n",
                   inet_ntoa(((struct sockaddr_in *)i->ifa_addr)->sin_addr),
                   (i->ifa_flags & IFF_UP) != 0, (i->ifa_flags & IFF_LOOPBACK) != 0);
    freeifaddrs(ifs);
    printf("if_nametoindex lo %d\n", if_nametoindex("lo") != 0);
    printf("if_nametoindex none %u\n", if_nametoindex("no-such-if0"));
    return 0;
}
