/* A prefork HTTP/1.1 static file server in plain POSIX C, set up as the Occlum
 * paper's lighttpd was: one master, N worker processes sharing one listening socket.
 *
 *   httpd [-p PORT] [-b ADDR] [-r DOCROOT] [-w WORKERS] [-a] [-t SECONDS]
 *
 * -p the TCP port (default 8080; 0: any free port), -b the IPv4 address to bind
 * (default 0.0.0.0), -r the folder served (default /root/www), -w the number of
 * workers (default 4), -a an access log line per request on stderr (off by
 * default), -t the keep-alive idle timeout in seconds (default 10; 0: none), which
 * also bounds how long a write to a client that stopped reading may block.
 *
 * The master creates the listening socket (SO_REUSEADDR, bind, listen), prints
 * one line "httpd: listening on ADDR:PORT, N workers, root DOCROOT" on stdout
 * once it is ready (the port as bound: -p 0 picks a free one), and starts the
 * workers with posix_spawn of this same program with "--worker FD" (the
 * listening socket, inherited: it is not close-on-exec). Inside PyOcclum there
 * is no fork (WebAssembly has no way to copy a running process), so spawn is the
 * only way; the native build uses the same path, so both run the same logic.
 *
 * The master then waits: a worker that dies is restarted (if workers keep dying
 * within a second of starting, five times in a row, the master gives up: exit
 * status 1). On SIGTERM or SIGINT it sends SIGTERM to every worker, waits for
 * them (SIGKILL after 5 s), and exits 0.
 *
 * A worker accepts one connection at a time (a blocking accept on the shared
 * socket: the kernel hands each connection to one of the waiting workers) and
 * serves requests on it until the client closes it, asks for it to be closed,
 * sends something unusable, or stays idle past the keep-alive timeout. HTTP/1.1
 * connections are kept alive unless "Connection: close"; HTTP/1.0 ones are
 * closed unless "Connection: keep-alive". GET and HEAD; other methods 405. The
 * request target is percent-decoded, then any ".." segment is refused (403), so
 * nothing outside the document root is reachable by its path. A request may
 * arrive in pieces and several may arrive at once (pipelining): each is
 * answered in order. A client that goes away mid-request or mid-response only
 * ends that connection.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_WORKERS 64
/* A request's head (request line and headers) must fit in this. */
#define HEAD_MAX 8192
/* Longest request target (414 beyond). */
#define TARGET_MAX 2048
/* The response buffer: headers and, for files that fit, the whole body (one write). */
#define OUT_MAX (256 * 1024)

struct options {
    int port;
    const char *bind_addr;
    const char *root;
    int workers;
    int access_log;
    int timeout;
    int worker_fd; /* -1: the master */
};

static void usage(void) {
    fprintf(stderr, "usage: httpd [-p PORT] [-b ADDR] [-r DOCROOT] [-w WORKERS] [-a] "
                    "[-t SECONDS]\n");
    exit(2);
}

static int number(const char *text, const char *what, int lo, int hi) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "httpd: %s must be a number from %d to %d, not '%s'\n", what, lo, hi,
                text);
        exit(2);
    }
    return (int)v;
}

static struct options parse_args(int argc, char **argv) {
    struct options o = {8080, "0.0.0.0", "/root/www", 4, 0, 10, -1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-a") == 0) {
            o.access_log = 1;
            continue;
        }
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (strcmp(a, "-p") == 0)
            o.port = number(v, "the port (-p)", 0, 65535);
        else if (strcmp(a, "-b") == 0)
            o.bind_addr = v;
        else if (strcmp(a, "-r") == 0)
            o.root = v;
        else if (strcmp(a, "-w") == 0)
            o.workers = number(v, "the number of workers (-w)", 1, MAX_WORKERS);
        else if (strcmp(a, "-t") == 0)
            o.timeout = number(v, "the keep-alive timeout (-t)", 0, 3600);
        else if (strcmp(a, "--worker") == 0)
            o.worker_fd = number(v, "the listening fd (--worker)", 0, 1 << 20);
        else
            usage();
    }
    return o;
}

/* ---- the worker ------------------------------------------------------------------ */

struct conn {
    int fd;
    char in[HEAD_MAX];
    size_t len; /* bytes in `in` */
};

struct request {
    char method[16];
    char target[TARGET_MAX + 1];
    int minor;      /* HTTP/1.minor */
    int keep_alive; /* the connection stays open after the response */
    int head;       /* HEAD: no body */
    long long body; /* Content-Length of the request's body (skipped) */
};

static const struct options *opts;
static char *out; /* OUT_MAX bytes */
static char date_now[64];
static time_t date_at;

static const char *http_date(void) {
    time_t now = time(NULL);
    if (now != date_at) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(date_now, sizeof date_now, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        date_at = now;
    }
    return date_now;
}

/* Write all of buf; 0, or -1 if the peer went away (or another error). */
static int write_all(int fd, const char *buf, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

static const char *reason(int status) {
    switch (status) {
    case 200: return "OK";
    case 301: return "Moved Permanently";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

static const char *content_type(const char *path) {
    static const char *const types[][2] = {
        {"html", "text/html; charset=utf-8"}, {"htm", "text/html; charset=utf-8"},
        {"txt", "text/plain; charset=utf-8"}, {"css", "text/css"},
        {"js", "text/javascript"},            {"json", "application/json"},
        {"xml", "application/xml"},           {"png", "image/png"},
        {"jpg", "image/jpeg"},                {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},                 {"svg", "image/svg+xml"},
        {"ico", "image/x-icon"},              {"pdf", "application/pdf"},
        {"wasm", "application/wasm"},         {"gz", "application/gzip"},
    };
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    if (dot != NULL)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcasecmp(dot + 1, types[i][0]) == 0)
                return types[i][1];
    return "application/octet-stream";
}

static void log_request(const struct request *r, int status, long long bytes) {
    if (opts->access_log)
        fprintf(stderr, "httpd[%d]: \"%s %s HTTP/1.%d\" %d %lld\n", (int)getpid(),
                r->method[0] ? r->method : "-", r->target[0] ? r->target : "-", r->minor, status,
                bytes);
}

/* The status line and headers into `out`; their length. */
static size_t head(int status, const struct request *r, const char *type, long long length,
                   const char *extra) {
    int n = snprintf(out, OUT_MAX,
                     "HTTP/1.1 %d %s\r\nServer: pyocclum-httpd\r\nDate: %s\r\n"
                     "Content-Type: %s\r\nContent-Length: %lld\r\n%s%s\r\n",
                     status, reason(status), http_date(), type, length, extra,
                     r->keep_alive ? (r->minor == 0 ? "Connection: keep-alive\r\n" : "")
                                   : "Connection: close\r\n");
    return (size_t)n;
}

/* A short HTML page for an error (or the 301); -1 if the peer is gone. */
static int send_status(struct conn *c, struct request *r, int status, const char *extra) {
    char body[256];
    int blen = snprintf(body, sizeof body,
                        "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>"
                        "<body><h1>%d %s</h1></body></html>\n",
                        status, reason(status), status, reason(status));
    size_t n = head(status, r, "text/html; charset=utf-8", blen, extra);
    if (!r->head) {
        memcpy(out + n, body, (size_t)blen);
        n += (size_t)blen;
    }
    log_request(r, status, r->head ? 0 : blen);
    return write_all(c->fd, out, n);
}

static int hexval(char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* The target's path, percent-decoded and checked, into `path` (relative to the
 * root, starting with '/'); 0, or the status to answer with. */
static int clean_path(const char *target, char *path, size_t cap, int *is_dir_request) {
    const char *p = target;
    if (strncasecmp(p, "http://", 7) == 0) { /* absolute-form: skip the authority */
        p = strchr(p + 7, '/');
        if (p == NULL)
            p = "/";
    }
    if (*p != '/')
        return 400;
    char decoded[TARGET_MAX + 1];
    size_t n = 0;
    for (; *p && *p != '?' && *p != '#'; p++) {
        char ch = *p;
        if (ch == '%') {
            int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
            if (hi < 0 || lo < 0)
                return 400;
            ch = (char)(hi * 16 + lo);
            p += 2;
        }
        if ((unsigned char)ch < 0x20 || ch == 0x7f)
            return 400; /* NUL, CR, LF...: never part of a file name here (nor of a header) */
        decoded[n++] = ch;
    }
    decoded[n] = '\0';
    /* Segment by segment: "" and "." vanish, ".." is refused. */
    size_t o = 0;
    char *save = NULL;
    *is_dir_request = n > 0 && decoded[n - 1] == '/';
    for (char *seg = strtok_r(decoded, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
        if (strcmp(seg, ".") == 0)
            continue;
        if (strcmp(seg, "..") == 0)
            return 403;
        size_t len = strlen(seg);
        if (o + 1 + len + 1 > cap)
            return 414;
        path[o++] = '/';
        memcpy(path + o, seg, len);
        o += len;
    }
    if (o == 0) {
        path[o++] = '/';
        *is_dir_request = 1;
    }
    path[o] = '\0';
    return 0;
}

/* Answer a parsed request with the file (or an error); -1 if the connection is done for. */
static int serve(struct conn *c, struct request *r) {
    if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
        return send_status(c, r, 405, "Allow: GET, HEAD\r\n");
    char rel[TARGET_MAX + 16];
    int dir_request;
    int status = clean_path(r->target, rel, sizeof rel - 16, &dir_request);
    if (status != 0) {
        if (status != 403)
            r->keep_alive = 0;
        return send_status(c, r, status, "");
    }
    char path[4096 + TARGET_MAX + 32];
    snprintf(path, sizeof path, "%s%s", opts->root, rel);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    int stated = fd >= 0 && fstat(fd, &st) == 0;
    if (stated && S_ISDIR(st.st_mode)) {
        close(fd);
        fd = -1;
        if (!dir_request) { /* "/dir" -> "/dir/", as every server does */
            char location[TARGET_MAX + 32];
            snprintf(location, sizeof location, "Location: %s/\r\n", rel);
            return send_status(c, r, 301, location);
        }
        strncat(path, rel[1] ? "/index.html" : "index.html", sizeof path - strlen(path) - 1);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT)
            return send_status(c, r, 403, ""); /* no index: no listing either */
        stated = fd >= 0 && fstat(fd, &st) == 0;
    }
    if (fd < 0)
        return send_status(c, r, errno == EACCES ? 403 : 404, "");
    if (!stated || !S_ISREG(st.st_mode)) {
        close(fd);
        return send_status(c, r, 403, "");
    }
    long long size = st.st_size;
    size_t n = head(200, r, content_type(path), size, "");
    int rc = 0;
    if (r->head) {
        rc = write_all(c->fd, out, n);
    } else {
        /* The head and as much of the file as fits go out in one write. */
        long long left = size;
        while (rc == 0) {
            while (left > 0 && n < OUT_MAX) {
                size_t room = OUT_MAX - n;
                ssize_t got = read(fd, out + n, (long long)room < left ? room : (size_t)left);
                if (got < 0 && errno == EINTR)
                    continue;
                if (got <= 0)
                    break;
                n += (size_t)got;
                left -= got;
            }
            if (n == 0)
                break;
            rc = write_all(c->fd, out, n);
            n = 0;
            if (left <= 0)
                break;
        }
        if (rc == 0 && left != 0) {
            /* The file changed size while read: the promised length cannot be kept. */
            fprintf(stderr, "httpd: %s changed while being sent\n", path);
            rc = -1;
        }
    }
    close(fd);
    log_request(r, 200, r->head ? 0 : size);
    return rc;
}

/* Where the head ends (the byte after its blank line) within `len` bytes; 0 if not yet. */
static size_t head_end(const char *buf, size_t len) {
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (i + 1 < len && buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* One token of a comma list header value equals `want` (case-insensitive). */
static int has_token(const char *value, const char *want) {
    size_t wl = strlen(want);
    const char *p = value;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *start = p;
        while (*p && *p != ',' && *p != ' ' && *p != '\t')
            p++;
        if ((size_t)(p - start) == wl && strncasecmp(start, want, wl) == 0)
            return 1;
    }
    return 0;
}

/* Parse the head in buf[0..end) (NUL-terminated in place). 0, or the status to
 * answer with (the connection then closes). */
static int parse(char *buf, size_t end, struct request *r) {
    buf[end - 1] = '\0';
    char *save = NULL;
    char *line = strtok_r(buf, "\n", &save);
    if (line == NULL)
        return 400;
    size_t ll = strlen(line);
    if (ll && line[ll - 1] == '\r')
        line[--ll] = '\0';
    char *sp1 = strchr(line, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (sp1 == NULL || sp2 == NULL || strchr(sp2 + 1, ' ') != NULL)
        return 400;
    *sp1 = *sp2 = '\0';
    const char *method = line, *target = sp1 + 1, *version = sp2 + 1;
    if (*method == '\0' || strlen(method) >= sizeof r->method || *target == '\0')
        return 400;
    for (const char *m = method; *m; m++)
        if (*m < 'A' || *m > 'Z')
            return 400;
    strcpy(r->method, method);
    if (strlen(target) > TARGET_MAX)
        return 414;
    strcpy(r->target, target);
    r->head = strcmp(method, "HEAD") == 0;
    if (strncmp(version, "HTTP/", 5) != 0 || version[5] < '0' || version[5] > '9' ||
        version[6] != '.' || version[7] < '0' || version[7] > '9' || version[8] != '\0')
        return 400;
    if (version[5] != '1')
        return 505;
    r->minor = version[7] - '0';
    r->keep_alive = r->minor >= 1;
    int host = 0;
    for (line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        ll = strlen(line);
        if (ll && line[ll - 1] == '\r')
            line[--ll] = '\0';
        if (ll == 0)
            continue;
        char *colon = strchr(line, ':');
        if (colon == NULL || colon == line || line[0] == ' ' || line[0] == '\t')
            return 400; /* no field name, or an obsolete folded line */
        *colon = '\0';
        char *value = colon + 1;
        while (*value == ' ' || *value == '\t')
            value++;
        for (char *v = value + strlen(value); v > value && (v[-1] == ' ' || v[-1] == '\t');)
            *--v = '\0';
        if (strcasecmp(line, "Connection") == 0) {
            if (has_token(value, "close"))
                r->keep_alive = 0;
            else if (has_token(value, "keep-alive"))
                r->keep_alive = 1;
        } else if (strcasecmp(line, "Host") == 0) {
            host++;
        } else if (strcasecmp(line, "Content-Length") == 0) {
            char *e;
            errno = 0;
            long long v = strtoll(value, &e, 10);
            if (errno || e == value || *e || v < 0)
                return 400;
            r->body = v;
        } else if (strcasecmp(line, "Transfer-Encoding") == 0) {
            return 501;
        }
    }
    if (r->minor >= 1 && host != 1)
        return 400; /* HTTP/1.1 requires exactly one Host header */
    return 0;
}

/* Discard `n` bytes of request body (some may already be in the buffer); -1 if the peer left. */
static int skip_body(struct conn *c, long long n) {
    size_t have = c->len < (unsigned long long)n ? c->len : (size_t)n;
    memmove(c->in, c->in + have, c->len - have);
    c->len -= have;
    n -= (long long)have;
    while (n > 0) {
        char sink[4096];
        ssize_t got = read(c->fd, sink, n < (long long)sizeof sink ? (size_t)n : sizeof sink);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        n -= got;
    }
    return 0;
}

/* Serve one connection until it ends. */
static void serve_connection(int fd) {
    static struct conn c;
    c.fd = fd;
    c.len = 0;
    if (opts->timeout > 0) { /* neither a silent client nor one that stops reading */
        struct timeval tv = {opts->timeout, 0};
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (;;) {
        size_t end;
        /* Read until a whole head is in the buffer (pipelined requests may already be). */
        while ((end = head_end(c.in, c.len)) == 0) {
            if (c.len == HEAD_MAX) {
                struct request r = {.minor = 1};
                int status = memchr(c.in, '\n', c.len) ? 431 : 414;
                send_status(&c, &r, status, "");
                return;
            }
            ssize_t got = read(fd, c.in + c.len, HEAD_MAX - c.len);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                return; /* closed, reset or idle too long: the next client */
            c.len += (size_t)got;
            /* Blank lines before a request line are ignored (RFC 9112, 2.2). */
            size_t skip = 0;
            while (skip < c.len && (c.in[skip] == '\r' || c.in[skip] == '\n'))
                skip++;
            memmove(c.in, c.in + skip, c.len - skip);
            c.len -= skip;
        }
        struct request r = {.minor = 1};
        int status = parse(c.in, end, &r);
        memmove(c.in, c.in + end, c.len - end);
        c.len -= end;
        if (status != 0) {
            r.keep_alive = 0;
            send_status(&c, &r, status, "");
            return;
        }
        if (r.body > 0 && skip_body(&c, r.body) != 0)
            return;
        if (serve(&c, &r) != 0 || !r.keep_alive)
            return;
    }
}

static int worker(const struct options *o) {
    opts = o;
    out = malloc(OUT_MAX);
    if (out == NULL) {
        fprintf(stderr, "httpd: worker: out of memory\n");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN); /* a client gone mid-response is an EPIPE, not a death */
    struct stat st;
    if (fstat(o->worker_fd, &st) != 0 || !S_ISSOCK(st.st_mode)) {
        fprintf(stderr, "httpd: worker: fd %d is not the listening socket\n", o->worker_fd);
        return 2;
    }
    for (;;) {
        int fd = accept(o->worker_fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE ||
                errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                continue;
            perror("httpd: worker: accept");
            return 1;
        }
        serve_connection(fd);
        close(fd);
    }
}

/* ---- the master ------------------------------------------------------------------ */

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t alarmed;

static void on_stop(int sig) { stop_signal = sig; }
static void on_alarm(int sig) { (void)sig; alarmed = 1; }
static void on_child(int sig) { (void)sig; }

struct slot {
    pid_t pid;
    time_t started;
};

static pid_t spawn_worker(char *self, int lfd, const struct options *o) {
    char fd_text[16], workers_text[16], timeout_text[16];
    snprintf(fd_text, sizeof fd_text, "%d", lfd);
    snprintf(workers_text, sizeof workers_text, "%d", o->workers);
    snprintf(timeout_text, sizeof timeout_text, "%d", o->timeout);
    char *args[] = {self, "--worker", fd_text, "-r", (char *)o->root, "-t", timeout_text,
                    o->access_log ? (char *)"-a" : NULL, NULL};
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    int err = posix_spawnp(&pid, self, NULL, &attr, args, environ);
    posix_spawnattr_destroy(&attr);
    if (err != 0) {
        fprintf(stderr, "httpd: cannot start a worker (%s): %s\n", self, strerror(err));
        return -1;
    }
    return pid;
}

static void describe(pid_t pid, int status) {
    if (WIFSIGNALED(status))
        fprintf(stderr, "httpd: worker %d killed by signal %d\n", (int)pid, WTERMSIG(status));
    else
        fprintf(stderr, "httpd: worker %d exited with status %d\n", (int)pid,
                WEXITSTATUS(status));
}

static int master(char *self, const struct options *o) {
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0) {
        perror("httpd: socket");
        return 1;
    }
    int one = 1;
    if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
        perror("httpd: setsockopt(SO_REUSEADDR)");
        return 1;
    }
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)o->port);
    if (inet_pton(AF_INET, o->bind_addr, &addr.sin_addr) != 1) {
        fprintf(stderr, "httpd: -b must be an IPv4 address, not '%s'\n", o->bind_addr);
        return 2;
    }
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        fprintf(stderr, "httpd: bind %s:%d: %s\n", o->bind_addr, o->port, strerror(errno));
        return 1;
    }
    if (listen(lfd, 128) != 0) {
        perror("httpd: listen");
        return 1;
    }
    socklen_t alen = sizeof addr;
    if (getsockname(lfd, (struct sockaddr *)&addr, &alen) != 0) {
        perror("httpd: getsockname");
        return 1;
    }
    struct stat st;
    if (stat(o->root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "httpd: the document root %s is not a folder\n", o->root);
        return 1;
    }

    /* SIGTERM, SIGINT, SIGCHLD and SIGALRM stay blocked except inside sigsuspend,
     * so none can slip in between a check of the flags and the wait. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    sa.sa_handler = on_child;
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t blocked, waiting;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGINT);
    sigaddset(&blocked, SIGCHLD);
    sigaddset(&blocked, SIGALRM);
    sigprocmask(SIG_BLOCK, &blocked, &waiting);
    sigdelset(&waiting, SIGTERM);
    sigdelset(&waiting, SIGINT);
    sigdelset(&waiting, SIGCHLD);
    sigdelset(&waiting, SIGALRM);

    struct slot slots[MAX_WORKERS];
    int alive = 0;
    for (int i = 0; i < o->workers; i++) {
        slots[i].pid = spawn_worker(self, lfd, o);
        slots[i].started = time(NULL);
        if (slots[i].pid < 0)
            stop_signal = SIGTERM;
        else
            alive++;
    }
    int status = 0;
    if (!stop_signal) {
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof ip);
        printf("httpd: listening on %s:%d, %d workers, root %s\n", ip, ntohs(addr.sin_port),
               o->workers, o->root);
        fflush(stdout);
    } else {
        status = 1;
    }

    int quick_deaths = 0;
    while (!stop_signal) {
        int ws;
        pid_t pid;
        while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
            for (int i = 0; i < o->workers; i++) {
                if (slots[i].pid != pid)
                    continue;
                describe(pid, ws);
                quick_deaths = time(NULL) - slots[i].started <= 1 ? quick_deaths + 1 : 0;
                if (quick_deaths >= 5) {
                    fprintf(stderr, "httpd: workers keep dying as they start: giving up\n");
                    slots[i].pid = -1;
                    alive--;
                    stop_signal = SIGTERM;
                    status = 1;
                    break;
                }
                slots[i].pid = spawn_worker(self, lfd, o);
                slots[i].started = time(NULL);
                if (slots[i].pid < 0) {
                    alive--;
                    stop_signal = SIGTERM;
                    status = 1;
                }
            }
        }
        if (!stop_signal)
            sigsuspend(&waiting);
    }

    /* Stop: SIGTERM to every worker, wait (SIGKILL what is left after 5 s). */
    for (int i = 0; i < o->workers; i++)
        if (slots[i].pid > 0)
            kill(slots[i].pid, SIGTERM);
    alarm(5);
    while (alive > 0) {
        int ws;
        pid_t pid;
        while (alive > 0 && (pid = waitpid(-1, &ws, WNOHANG)) > 0) {
            for (int i = 0; i < o->workers; i++) {
                if (slots[i].pid == pid) {
                    slots[i].pid = -1;
                    alive--;
                    if (!(WIFSIGNALED(ws) &&
                          (WTERMSIG(ws) == SIGTERM || WTERMSIG(ws) == SIGINT)))
                        describe(pid, ws);
                }
            }
        }
        if (alive == 0)
            break;
        if (alarmed) {
            fprintf(stderr, "httpd: %d worker(s) still running after 5 s: SIGKILL\n", alive);
            for (int i = 0; i < o->workers; i++)
                if (slots[i].pid > 0)
                    kill(slots[i].pid, SIGKILL);
            alarmed = 0;
            alarm(5);
            continue;
        }
        sigsuspend(&waiting);
    }
    alarm(0);
    close(lfd);
    if (status == 0)
        fprintf(stderr, "httpd: stopped (signal %d)\n", (int)stop_signal);
    return status;
}

int main(int argc, char **argv) {
    struct options o = parse_args(argc, argv);
    if (o.worker_fd >= 0)
        return worker(&o);
    return master(argv[0], &o);
}
