/* Name lookups through libocclum's resolver, for tests/net/test_libnet_resolver.py:
 * each argument is KIND:NAME and prints one line (addresses sorted, so the
 * order of a DNS answer does not matter):
 *   4: 6: u:  getaddrinfo(NAME) for AF_INET, AF_INET6, AF_UNSPEC (SOCK_STREAM)
 *   a:        AF_UNSPEC with AI_ADDRCONFIG
 *   c:        getaddrinfo with AI_CANONNAME (AF_INET): the canonical name
 *   h:        gethostbyname: h_name and the IPv4 addresses
 *   r:        getnameinfo(NAME, NI_NAMEREQD): the PTR name
 *   s:        getaddrinfo("127.0.0.1", NAME): each result's type and port
 *   p:        getservbyname(NAME, "tcp") and getservbyport of its port */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char *eai(int e) {
    switch (e) {
#define X(n) case n: return #n;
    X(EAI_NONAME) X(EAI_SERVICE) X(EAI_AGAIN) X(EAI_FAIL) X(EAI_NODATA) X(EAI_SYSTEM) X(EAI_MEMORY)
#undef X
    default: return "EAI_?";
    }
}

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void lookup(int family, int flags, const char *name) {
    struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM, .ai_flags = flags};
    struct addrinfo *res;
    int r = getaddrinfo(name, "80", &hints, &res);
    if (r != 0) {
        printf(" %s\n", eai(r));
        return;
    }
    if (flags & AI_CANONNAME) {
        printf(" canon %s\n", res->ai_canonname ? res->ai_canonname : "(null)");
        freeaddrinfo(res);
        return;
    }
    char *list[64];
    int n = 0;
    for (struct addrinfo *p = res; p && n < 64; p = p->ai_next) {
        char h[NI_MAXHOST];
        getnameinfo(p->ai_addr, p->ai_addrlen, h, sizeof h, NULL, 0, NI_NUMERICHOST);
        list[n++] = strdup(h);
    }
    qsort(list, (size_t)n, sizeof *list, cmp);
    for (int i = 0; i < n; i++)
        printf(" %s", list[i]);
    printf("\n");
    freeaddrinfo(res);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        char kind = argv[i][0];
        const char *name = argv[i] + 2;
        printf("%s:", argv[i]);
        if (kind == '4' || kind == '6' || kind == 'u') {
            lookup(kind == '4' ? AF_INET : kind == '6' ? AF_INET6 : AF_UNSPEC, 0, name);
        } else if (kind == 'a') {
            lookup(AF_UNSPEC, AI_ADDRCONFIG, name);
        } else if (kind == 'c') {
            lookup(AF_INET, AI_CANONNAME, name);
        } else if (kind == 'h') {
            struct hostent *h = gethostbyname(name);
            if (!h) {
                printf(" h_errno %d\n", h_errno);
                continue;
            }
            printf(" %s", h->h_name);
            for (char **a = h->h_addr_list; *a; a++) {
                char t[INET_ADDRSTRLEN];
                printf(" %s", inet_ntop(AF_INET, *a, t, sizeof t));
            }
            printf("\n");
        } else if (kind == 's') {
            struct addrinfo hints = {.ai_family = AF_INET}, *res;
            int r = getaddrinfo("127.0.0.1", name, &hints, &res);
            if (r != 0) {
                printf(" %s\n", eai(r));
                continue;
            }
            for (struct addrinfo *p = res; p; p = p->ai_next)
                printf(" %s/%d", p->ai_socktype == SOCK_STREAM ? "stream"
                                 : p->ai_socktype == SOCK_DGRAM ? "dgram" : "raw",
                       ntohs(((struct sockaddr_in *)p->ai_addr)->sin_port));
            printf("\n");
            freeaddrinfo(res);
        } else if (kind == 'p') {
            struct servent *se = getservbyname(name, "tcp");
            if (!se) {
                printf(" none\n");
                continue;
            }
            int port = ntohs((unsigned short)se->s_port);
            printf(" %s %d %s", se->s_name, port, se->s_proto);
            se = getservbyport(htons((unsigned short)port), "tcp");
            printf(" back %s\n", se ? se->s_name : "none");
        } else if (kind == 'r') {
            struct sockaddr_in sin = {.sin_family = AF_INET};
            inet_pton(AF_INET, name, &sin.sin_addr);
            char h[NI_MAXHOST];
            int r = getnameinfo((struct sockaddr *)&sin, sizeof sin, h, sizeof h, NULL, 0,
                                NI_NAMEREQD);
            printf(" %s\n", r ? eai(r) : h);
        }
    }
    return 0;
}
