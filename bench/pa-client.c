/*
 * bench/pa-client.c -- the load generator for what wrk cannot do (issue 4,
 * figures 3 to 6): hold thousands of requests open, time a resume against
 * the decision that caused it, run full challenge cycles, and send requests
 * at a constant rate. HTTP/1.1 on loopback, keep-alive, epoll.
 *
 *   pa-client hold   -p PORT -n N -u PATH [-A AGENT] [-b ADDR] [-t SECS]
 *       N connections, each sends GET PATH ("%d" in PATH becomes the
 *       connection's number), at most 256 connecting at a time. Prints
 *       "sent N" once all requests are written, then obeys commands on
 *       stdin: "close" closes every connection; "approve PATH" posts
 *       decision=approve to PATH on a connection of its own and waits for
 *       the N responses. Prints one line of key=value at the end.
 *   pa-client cycles -p PORT -n ROUNDS -u PATH [-W 1|2] [-o FILE] [-c CONSOLE]
 *       ROUNDS full challenge cycles, one after another: GET PATH (with
 *       "%d" the round) on connection H, poll CONSOLE (default
 *       /_pa/console/?who=ops) on connection D until the challenge is
 *       listed (matched by its user: the u= argument of PATH), POST
 *       decision=approve to its approve_url on D, read both responses. The
 *       resume latency is from the end of the approve response to the end
 *       of the held one. With -W 2, H and D are on different workers (told
 *       apart by GET /pid, which answers $pid), swapped every round; -o
 *       writes a line per round. Each response must be 200, the resumed one
 *       with Set-Cookie, and with X-Pid (when sent) of its worker. -R RATE
 *       starts a cycle every 1/RATE s at most (paced).
 *   pa-client load   -p PORT -n TOTAL -c CONNS -u PATH [-A AGENT] [-H HDR]...
 *       closed loop: CONNS connections send TOTAL requests in all.
 *   pa-client rate   -p PORT -R RATE -d SECS -c CONNS -u PATH [-A AGENT] [-H HDR]...
 *       open loop: a request every 1/RATE s, on an idle connection (queued
 *       when none is idle); latency counted from when the request was due,
 *       so a stall is not hidden (no coordinated omission).
 *
 * Exit status 0 when every response was as expected, 1 otherwise.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>


#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define MAX_HDRS  8


typedef struct {
    char      *buf;
    size_t     len, cap;
    int        status;
    size_t     hdr_len;          /* 0 until the header is complete */
    long       clen;             /* -1: none */
    int        chunked;
    int        close;
} resp_t;

typedef struct {
    int        fd;
    int        state;            /* 0 connecting, 1 sent, 2 done, 3 idle */
    size_t     off;              /* bytes of the request written */
    uint64_t   due;              /* rate: when the request was due */
    resp_t     r;
} conn_t;


static const char  *host = "127.0.0.1";
static int          port;
static const char  *bind_addr;
static const char  *path;
static const char  *agent = "pa-bench/1 (pa-client)";
static const char  *hdrs[MAX_HDRS];
static int          nhdrs;


static void
die(const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    fprintf(stderr, "pa-client: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}


static uint64_t
now_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ull + ts.tv_nsec;
}


static void
raise_nofile(long n)
{
    struct rlimit  rl;

    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur >= (rlim_t) n) {
        return;
    }
    rl.rlim_cur = n;
    if (rl.rlim_max < (rlim_t) n) {
        rl.rlim_max = n;
    }
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        die("setrlimit(NOFILE, %ld): %s (run as root, or raise ulimit -n)",
            n, strerror(errno));
    }
}


static int
open_conn(int nonblock)
{
    int                 fd, one = 1;
    struct sockaddr_in  sa;

    fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0) {
        die("socket: %s", strerror(errno));
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    if (bind_addr) {
        /* a port is chosen at connect(): the 4-tuple, not the address
         * alone, must be unique, so one source address serves ~28k
         * connections per destination */
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        if (inet_pton(AF_INET, bind_addr, &sa.sin_addr) != 1) {
            die("bad -b address %s", bind_addr);
        }
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0) {
            die("bind %s: %s", bind_addr, strerror(errno));
        }
    }

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    inet_pton(AF_INET, host, &sa.sin_addr);

    if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0
        && errno != EINPROGRESS)
    {
        die("connect 127.0.0.1:%d: %s", port, strerror(errno));
    }

    return fd;
}


/* --- requests and responses ------------------------------------------------ */

static char *
build_get(const char *p, long n)
{
    char        *req, uri[4096];
    const char  *pc;
    size_t       len;
    int          i;

    if (strlen(p) > 2000) {
        die("path too long");
    }
    if ((pc = strstr(p, "%d"))) {
        snprintf(uri, sizeof(uri), "%.*s%ld%s", (int) (pc - p), p, n, pc + 2);
    } else {
        snprintf(uri, sizeof(uri), "%s", p);
    }

    len = strlen(uri) + strlen(agent) + 256;
    for (i = 0; i < nhdrs; i++) {
        len += strlen(hdrs[i]) + 2;
    }
    req = malloc(len);
    if (req == NULL) {
        die("out of memory");
    }

    len = sprintf(req, "GET %s HTTP/1.1\r\nHost: bench.local\r\n"
                  "User-Agent: %s\r\n", uri, agent);
    for (i = 0; i < nhdrs; i++) {
        len += sprintf(req + len, "%s\r\n", hdrs[i]);
    }
    sprintf(req + len, "\r\n");

    return req;
}


static char *
build_simple(const char *method, const char *p, const char *accept,
    const char *body)
{
    char  *req;

    req = malloc(strlen(p) + strlen(agent) + (body ? strlen(body) : 0) + 512);
    if (req == NULL) {
        die("out of memory");
    }

    if (body) {
        sprintf(req, "%s %s HTTP/1.1\r\nHost: bench.local\r\nUser-Agent: %s\r\n"
                "Accept: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                "Content-Length: %zu\r\n\r\n%s", method, p, agent, accept,
                strlen(body), body);
    } else {
        sprintf(req, "%s %s HTTP/1.1\r\nHost: bench.local\r\nUser-Agent: %s\r\n"
                "Accept: %s\r\n\r\n", method, p, agent, accept);
    }

    return req;
}


static void
resp_reset(resp_t *r)
{
    r->len = 0;
    r->status = 0;
    r->hdr_len = 0;
    r->clen = -1;
    r->chunked = 0;
    r->close = 0;
}


/* the value of header NAME in the response, in a static buffer, or NULL */
static const char *
resp_header(resp_t *r, const char *name)
{
    static char   val[512];
    size_t        nl = strlen(name);
    char         *p, *end, *e;

    end = r->buf + r->hdr_len;
    for (p = r->buf; p < end; p++) {
        p = memchr(p, '\n', end - p);
        if (p == NULL || p + 1 + nl >= end) {
            break;
        }
        if (strncasecmp(p + 1, name, nl) == 0 && p[1 + nl] == ':') {
            p += 2 + nl;
            while (*p == ' ') {
                p++;
            }
            e = memchr(p, '\r', end - p);
            if (e == NULL) {
                return NULL;
            }
            snprintf(val, sizeof(val), "%.*s", (int) (e - p), p);
            return val;
        }
    }

    return NULL;
}


/* 1: complete, 0: more needed, -1: malformed */
static int
resp_complete(resp_t *r)
{
    char        *e;
    const char  *v;

    if (r->hdr_len == 0) {
        e = memmem(r->buf, r->len, "\r\n\r\n", 4);
        if (e == NULL) {
            return 0;
        }
        r->hdr_len = e + 4 - r->buf;
        if (r->len < 12 || strncmp(r->buf, "HTTP/1.", 7) != 0) {
            return -1;
        }
        r->status = atoi(r->buf + 9);
        if ((v = resp_header(r, "Content-Length"))) {
            r->clen = atol(v);
        }
        if ((v = resp_header(r, "Transfer-Encoding")) && strcasestr(v, "chunked")) {
            r->chunked = 1;
        }
        if ((v = resp_header(r, "Connection")) && strcasestr(v, "close")) {
            r->close = 1;
        }
    }

    if (r->chunked) {
        return r->len >= r->hdr_len + 5
               && memcmp(r->buf + r->len - 5, "0\r\n\r\n", 5) == 0;
    }
    if (r->clen >= 0) {
        return r->len >= r->hdr_len + (size_t) r->clen;
    }
    return r->status == 204 || r->status == 304 || (r->status >= 100 && r->status < 200);
}


/* read what is there; 1: the response is complete, 0: not yet, -1: error or EOF */
static int
resp_read(int fd, resp_t *r)
{
    ssize_t  n;
    int      rc;

    for ( ;; ) {
        if (r->cap - r->len < 4096) {
            r->cap = r->cap ? r->cap * 2 : 8192;
            r->buf = realloc(r->buf, r->cap);
            if (r->buf == NULL) {
                die("out of memory");
            }
        }
        n = read(fd, r->buf + r->len, r->cap - r->len - 1);
        if (n > 0) {
            r->len += n;
            r->buf[r->len] = '\0';
            rc = resp_complete(r);
            if (rc != 0) {
                return rc;
            }
            continue;
        }
        if (n == 0) {
            return -1;
        }
        if (errno == EAGAIN || errno == EINTR) {
            return 0;
        }
        return -1;
    }
}


static void
write_all(int fd, const char *s, size_t len)
{
    ssize_t  n;

    while (len) {
        n = write(fd, s, len);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                struct pollfd  p = { fd, POLLOUT, 0 };
                poll(&p, 1, 1000);
                continue;
            }
            die("write: %s", strerror(errno));
        }
        s += n;
        len -= n;
    }
}


/* a blocking request/response on fd (nonblocking fds are polled) */
static void
xfer(int fd, const char *req, resp_t *r, int timeout_ms)
{
    struct pollfd  p = { fd, POLLIN, 0 };
    int            rc;

    resp_reset(r);
    write_all(fd, req, strlen(req));
    for ( ;; ) {
        if (poll(&p, 1, timeout_ms) <= 0) {
            die("no response within %d ms to: %.60s", timeout_ms, req);
        }
        rc = resp_read(fd, r);
        if (rc == 1) {
            return;
        }
        if (rc < 0) {
            die("connection lost waiting for a response to: %.60s", req);
        }
    }
}


static const char *
resp_body(resp_t *r)
{
    return r->buf + r->hdr_len;
}


/* --- statistics --------------------------------------------------------------- */

static int
cmp_i64(const void *a, const void *b)
{
    int64_t  x = *(const int64_t *) a, y = *(const int64_t *) b;

    return x < y ? -1 : x > y;
}


static int64_t
pct(int64_t *v, size_t n, double p)
{
    size_t  i;

    if (n == 0) {
        return 0;
    }
    i = (size_t) (p / 100.0 * n);
    if (i >= n) {
        i = n - 1;
    }
    return v[i];
}


/* --- hold --------------------------------------------------------------------- */

static int
do_hold(long n, int timeout_s)
{
    int                 ep, i, k, rc, approve_fd = -1, stdin_open = 1;
    long                connecting = 0, next = 0, sent = 0, done = 0, early = 0;
    long                st200 = 0, other = 0, cookies = 0, errors = 0;
    uint64_t            t_sent = 0, t_app_sent = 0, t_app = 0, t_first = 0,
                        t_last = 0, deadline;
    conn_t             *c;
    resp_t              ar = { 0 };
    char               *req, line[4096], *app_req = NULL;
    size_t              linelen = 0, reqlen;
    struct epoll_event  ev, evs[512];

    raise_nofile(n + 256);

    c = calloc(n, sizeof(conn_t));
    ep = epoll_create1(0);
    if (c == NULL || ep < 0) {
        die("out of memory");
    }

    ev.events = EPOLLIN;
    ev.data.u64 = (uint64_t) -1;
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);

    deadline = now_ns() + (uint64_t) timeout_s * 1000000000ull;

    for ( ;; ) {
        /* keep at most 256 connects in flight: the listen queue is finite */
        while (next < n && connecting < 256) {
            c[next].fd = open_conn(1);
            c[next].state = 0;
            ev.events = EPOLLOUT;
            ev.data.u64 = next;
            epoll_ctl(ep, EPOLL_CTL_ADD, c[next].fd, &ev);
            next++;
            connecting++;
        }

        if (done == n || now_ns() > deadline) {
            break;
        }

        k = epoll_wait(ep, evs, 512, 100);

        for (i = 0; i < k; i++) {
            uint64_t  id = evs[i].data.u64;

            if (id == (uint64_t) -1) {            /* a command */
                ssize_t  m = read(0, line + linelen, sizeof(line) - 1 - linelen);
                char    *nl;

                if (m <= 0) {
                    if (m == 0) {
                        epoll_ctl(ep, EPOLL_CTL_DEL, 0, NULL);
                        stdin_open = 0;
                    }
                    continue;
                }
                linelen += m;
                line[linelen] = '\0';
                nl = strchr(line, '\n');
                if (nl == NULL) {
                    continue;
                }
                *nl = '\0';
                if (strcmp(line, "close") == 0) {
                    goto close_all;
                }
                if (strncmp(line, "approve ", 8) == 0) {
                    app_req = build_simple("POST", line + 8, "application/json",
                                           "decision=approve");
                    approve_fd = open_conn(0);
                    t_app_sent = now_ns();
                    write_all(approve_fd, app_req, strlen(app_req));
                    fcntl(approve_fd, F_SETFL, O_NONBLOCK);
                    ev.events = EPOLLIN;
                    ev.data.u64 = (uint64_t) -2;
                    epoll_ctl(ep, EPOLL_CTL_ADD, approve_fd, &ev);
                    deadline = now_ns() + 30000000000ull;
                } else {
                    die("unknown command \"%s\"", line);
                }
                linelen = 0;
                continue;
            }

            if (id == (uint64_t) -2) {            /* the approval */
                rc = resp_read(approve_fd, &ar);
                if (rc == 1) {
                    t_app = now_ns();
                    if (ar.status != 200) {
                        die("the approval got %d: %.200s", ar.status, resp_body(&ar));
                    }
                    epoll_ctl(ep, EPOLL_CTL_DEL, approve_fd, NULL);
                } else if (rc < 0) {
                    die("the approval's connection was lost");
                }
                continue;
            }

            if (c[id].state == 0) {               /* connected */
                int        err = 0;
                socklen_t  el = sizeof(err);

                getsockopt(c[id].fd, SOL_SOCKET, SO_ERROR, &err, &el);
                if (err) {
                    die("connect: %s", strerror(err));
                }
                connecting--;
                req = build_get(path, id);
                reqlen = strlen(req);
                if (write(c[id].fd, req, reqlen) != (ssize_t) reqlen) {
                    die("short write of a request");
                }
                free(req);
                c[id].state = 1;
                ev.events = EPOLLIN;
                ev.data.u64 = id;
                epoll_ctl(ep, EPOLL_CTL_MOD, c[id].fd, &ev);
                if (++sent == n) {
                    t_sent = now_ns();
                    printf("sent %ld\n", n);
                    fflush(stdout);
                }
                continue;
            }

            if (c[id].state == 1) {
                rc = resp_read(c[id].fd, &c[id].r);
                if (rc == 0) {
                    continue;
                }
                t_last = now_ns();
                if (t_first == 0) {
                    t_first = t_last;
                }
                done++;
                c[id].state = 2;
                epoll_ctl(ep, EPOLL_CTL_DEL, c[id].fd, NULL);
                close(c[id].fd);
                c[id].fd = -1;
                if (rc < 0) {
                    errors++;
                    continue;
                }
                if (app_req == NULL) {
                    early++;
                    if (early <= 3) {
                        fprintf(stderr, "pa-client: request %lu answered %d before any "
                                "approval: %.200s\n", id, c[id].r.status,
                                resp_body(&c[id].r));
                    }
                }
                if (c[id].r.status == 200) {
                    st200++;
                } else {
                    other++;
                }
                if (resp_header(&c[id].r, "Set-Cookie")) {
                    cookies++;
                }
                free(c[id].r.buf);
                c[id].r.buf = NULL;
            }
        }
    }

close_all:

    for (i = 0; i < n; i++) {
        if (c[i].fd > 0 && c[i].state != 2) {
            close(c[i].fd);
        }
    }

    (void) stdin_open;

    printf("requests=%ld sent=%ld responses=%ld status200=%ld other=%ld "
           "set_cookie=%ld errors=%ld early=%ld approved=%d "
           "approve_rtt_ms=%.3f first_after_approval_ms=%.3f "
           "last_after_approval_ms=%.3f last_after_sent_ms=%.3f\n",
           n, sent, done, st200, other, cookies, errors, early, t_app != 0,
           t_app ? (t_app - t_app_sent) / 1e6 : 0,
           t_app && t_first ? ((double) t_first - (double) t_app) / 1e6 : 0,
           t_app && t_last ? ((double) t_last - (double) t_app) / 1e6 : 0,
           t_sent && t_last ? ((double) t_last - (double) t_sent) / 1e6 : 0);

    if (early || errors || sent != n) {
        return 1;
    }
    if (app_req && (done != n || st200 != n || cookies != n)) {
        return 1;
    }
    return 0;
}


/* --- cycles (and cross-worker resume) ------------------------------------------- */

static long
pid_of(int fd)
{
    resp_t  r = { 0 };
    char   *req = build_simple("GET", "/pid", "*/*", NULL);
    long    pid;

    xfer(fd, req, &r, 5000);
    free(req);
    if (r.status != 200) {
        die("GET /pid answered %d", r.status);
    }
    pid = atol(resp_body(&r));
    free(r.buf);
    return pid;
}


/* the path of the approve_url of the pending challenge of USER in a console
 * JSON list, or NULL */
static char *
find_approve(const char *body, const char *user)
{
    static char   out[1024];
    char          pat[256];
    const char   *p, *u, *e;

    snprintf(pat, sizeof(pat), "\"user\":\"%s\"", user);
    p = strstr(body, pat);
    if (p == NULL) {
        return NULL;
    }
    u = strstr(p, "\"approve_url\":\"");
    if (u == NULL) {
        return NULL;
    }
    u += 15;
    e = strchr(u, '"');
    if (e == NULL) {
        return NULL;
    }
    /* http://host:port/path -> /path */
    if ((p = strstr(u, "://")) && p < e) {
        p = strchr(p + 3, '/');
        if (p && p < e) {
            u = p;
        }
    }
    snprintf(out, sizeof(out), "%.*s", (int) (e - u), u);
    return out;
}


static int
do_cycles(long rounds, int workers, const char *out, const char *console,
    double rate)
{
    int            fd[2], h, d, k;
    long           pid[2], i, tries, bad = 0, npos = 0;
    int64_t       *lat;
    resp_t         hr = { 0 }, dr = { 0 };
    char          *req, *creq, user[128], *url, *q;
    FILE          *of = NULL;
    uint64_t       t_app, t_held, t_app_sent, t0, t_run;
    struct pollfd  p[2];

    lat = calloc(rounds, sizeof(int64_t));
    creq = build_simple("GET", console, "application/json", NULL);

    /* two keep-alive connections; with -W 2, one on each worker */
    fd[0] = open_conn(0);
    pid[0] = pid_of(fd[0]);
    for (tries = 0; ; tries++) {
        fd[1] = open_conn(0);
        pid[1] = pid_of(fd[1]);
        if (workers == 1 || pid[1] != pid[0]) {
            break;
        }
        close(fd[1]);
        if (tries > 1000) {
            die("no connection reached a second worker (only pid %ld)", pid[0]);
        }
    }

    if (out && (of = fopen(out, "w")) == NULL) {
        die("%s: %s", out, strerror(errno));
    }
    if (of) {
        fprintf(of, "round\theld_pid\tdecided_pid\tresume_us\tapprove_rtt_us\tcycle_us\n");
    }

    t_run = now_ns();

    for (i = 0; i < rounds; i++) {
        h = (workers == 2) ? (int) (i % 2) : 0;
        d = 1 - h;

        if (rate > 0) {
            /* paced: cycle i starts no earlier than i / rate s in */
            uint64_t  due = t_run + (uint64_t) (i * 1e9 / rate), now = now_ns();

            if (due > now) {
                usleep((due - now) / 1000);
            }
        }

        t0 = now_ns();
        req = build_get(path, i);
        q = strstr(req, "u=");
        if (q == NULL) {
            die("the path needs a u= argument: the user, to find its challenge");
        }
        snprintf(user, sizeof(user), "%.*s", (int) strcspn(q + 2, "& "), q + 2);

        resp_reset(&hr);
        write_all(fd[h], req, strlen(req));
        free(req);

        /* the challenge, once listed */
        url = NULL;
        for (tries = 0; tries < 20000; tries++) {
            xfer(fd[d], creq, &dr, 5000);
            if (dr.status != 200) {
                die("the console answered %d", dr.status);
            }
            url = find_approve(resp_body(&dr), user);
            if (url) {
                break;
            }
            p[0].fd = fd[h];
            p[0].events = POLLIN;
            if (poll(p, 1, 0) > 0) {
                k = resp_read(fd[h], &hr);
                die("round %ld: the request was answered %d before its approval: %.200s",
                    i, hr.status, hr.buf ? resp_body(&hr) : "");
            }
            usleep(200);
        }
        if (url == NULL) {
            die("round %ld: no pending challenge for %s in the console", i, user);
        }

        req = build_simple("POST", url, "application/json", "decision=approve");
        resp_reset(&dr);
        t_app_sent = now_ns();
        write_all(fd[d], req, strlen(req));
        free(req);

        t_app = t_held = 0;
        while (t_app == 0 || t_held == 0) {
            p[0].fd = fd[h];
            p[0].events = t_held ? 0 : POLLIN;
            p[1].fd = fd[d];
            p[1].events = t_app ? 0 : POLLIN;
            if (poll(p, 2, 10000) <= 0) {
                die("round %ld: no response within 10 s (approve %s, held %s)", i,
                    t_app ? "done" : "waiting", t_held ? "done" : "waiting");
            }
            if (p[0].revents) {
                k = resp_read(fd[h], &hr);
                if (k < 0) {
                    die("round %ld: the held request's connection was lost", i);
                }
                if (k == 1) {
                    t_held = now_ns();
                }
            }
            if (p[1].revents) {
                k = resp_read(fd[d], &dr);
                if (k < 0) {
                    die("round %ld: the approval's connection was lost", i);
                }
                if (k == 1) {
                    t_app = now_ns();
                }
            }
        }

        if (dr.status != 200 || hr.status != 200 || !resp_header(&hr, "Set-Cookie")) {
            fprintf(stderr, "pa-client: round %ld: approve %d, held %d%s\n", i,
                    dr.status, hr.status,
                    resp_header(&hr, "Set-Cookie") ? "" : " without Set-Cookie");
            bad++;
        }
        if (resp_header(&hr, "X-Pid") && atol(resp_header(&hr, "X-Pid")) != pid[h]) {
            fprintf(stderr, "pa-client: round %ld: held on %ld, answered by %s\n", i,
                    pid[h], resp_header(&hr, "X-Pid"));
            bad++;
        }
        if (resp_header(&dr, "X-Pid") && atol(resp_header(&dr, "X-Pid")) != pid[d]) {
            fprintf(stderr, "pa-client: round %ld: approved on %ld, answered by %s\n", i,
                    pid[d], resp_header(&dr, "X-Pid"));
            bad++;
        }
        if (hr.close || dr.close) {
            die("round %ld: the server closed a keep-alive connection", i);
        }

        lat[i] = ((int64_t) t_held - (int64_t) t_app) / 1000;
        if (lat[i] >= 0) {
            npos++;
        }
        if (of) {
            fprintf(of, "%ld\t%ld\t%ld\t%lld\t%.0f\t%.0f\n", i, pid[h], pid[d],
                    (long long) lat[i], (t_app - t_app_sent) / 1e3,
                    (now_ns() - t0) / 1e3);
        }
    }

    t_run = now_ns() - t_run;
    if (of) {
        fclose(of);
    }

    qsort(lat, rounds, sizeof(int64_t), cmp_i64);
    printf("rounds=%ld workers=%d pids=%ld,%ld bad=%ld resume_after_approve_response: "
           "p50_us=%lld p90_us=%lld p99_us=%lld max_us=%lld min_us=%lld "
           "held_first=%ld cycles_per_s=%.0f\n",
           rounds, workers, pid[0], pid[1], bad,
           (long long) pct(lat, rounds, 50), (long long) pct(lat, rounds, 90),
           (long long) pct(lat, rounds, 99), (long long) lat[rounds - 1],
           (long long) lat[0], rounds - npos, rounds / (t_run / 1e9));

    return bad ? 1 : 0;
}


/* --- load (closed loop) and rate (open loop) ------------------------------------- */

static int
do_load(long total, int conns, double rate, double secs)
{
    int                 ep, i, k, rc;
    long                sent = 0, done = 0, st2xx = 0, other = 0, errors = 0,
                        queued_max = 0, nlat = 0, cap_lat;
    uint64_t            t0, t_end, due_next, interval = 0, now;
    int64_t            *lat;
    conn_t             *c;
    char               *req;
    size_t              reqlen;
    int                *idle, nidle = 0;
    struct epoll_event  ev, evs[256];
    struct timespec     ts;

    raise_nofile(conns + 256);

    req = build_get(path, 0);
    reqlen = strlen(req);
    c = calloc(conns, sizeof(conn_t));
    idle = calloc(conns, sizeof(int));
    ep = epoll_create1(0);

    if (rate > 0) {
        interval = (uint64_t) (1e9 / rate);
        total = (long) (rate * secs);
    }
    cap_lat = total;
    lat = malloc(cap_lat * sizeof(int64_t));
    if (c == NULL || idle == NULL || lat == NULL) {
        die("out of memory");
    }

    for (i = 0; i < conns; i++) {
        c[i].fd = open_conn(0);         /* blocking connect, then nonblocking */
        fcntl(c[i].fd, F_SETFL, O_NONBLOCK);
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
        c[i].state = 3;
        idle[nidle++] = i;
    }

    t0 = now_ns();
    due_next = t0;

    while (done < total) {
        now = now_ns();

        /* send: closed loop, every idle connection; open loop, what is due */
        while (nidle > 0 && sent < total && (rate <= 0 || due_next <= now)) {
            i = idle[--nidle];
            c[i].state = 1;
            c[i].due = rate > 0 ? due_next : now;
            resp_reset(&c[i].r);
            if (write(c[i].fd, req, reqlen) != (ssize_t) reqlen) {
                die("short write of a request: %s", strerror(errno));
            }
            sent++;
            due_next += interval;
        }
        if (rate > 0 && sent < total && due_next <= now) {
            long  q = (long) ((now - due_next) / interval) + 1;

            if (q > queued_max) {
                queued_max = q;
            }
        }

        if (rate > 0 && sent < total && nidle > 0) {
            uint64_t  w = due_next > now ? due_next - now : 0;

            ts.tv_sec = w / 1000000000ull;
            ts.tv_nsec = w % 1000000000ull;
        } else {
            ts.tv_sec = 1;
            ts.tv_nsec = 0;
        }

        k = epoll_pwait2(ep, evs, 256, &ts, NULL);
        if (k < 0 && errno != EINTR) {
            die("epoll_pwait2: %s", strerror(errno));
        }

        for (i = 0; i < k; i++) {
            conn_t  *x = &c[evs[i].data.u64];

            if (x->state != 1) {
                die("data on an idle connection (closed by the server?)");
            }
            rc = resp_read(x->fd, &x->r);
            if (rc == 0) {
                continue;
            }
            if (rc < 0) {
                errors++;
                die("a connection was lost after %ld responses", done);
            }
            now = now_ns();
            lat[nlat++] = (int64_t) (now - x->due) / 1000;
            done++;
            if (x->r.status >= 200 && x->r.status < 300) {
                st2xx++;
            } else {
                other++;
                if (other <= 3) {
                    fprintf(stderr, "pa-client: answered %d: %.200s\n", x->r.status,
                            resp_body(&x->r));
                }
            }
            if (x->r.close) {
                die("the server closed a keep-alive connection");
            }
            x->state = 3;
            idle[nidle++] = (int) evs[i].data.u64;
        }
    }

    t_end = now_ns();
    qsort(lat, nlat, sizeof(int64_t), cmp_i64);

    printf("requests=%ld status2xx=%ld other=%ld errors=%ld secs=%.3f req_per_s=%.1f "
           "p50_us=%lld p90_us=%lld p99_us=%lld p999_us=%lld max_us=%lld "
           "offered_per_s=%.1f behind_max=%ld\n",
           done, st2xx, other, errors, (t_end - t0) / 1e9, done / ((t_end - t0) / 1e9),
           (long long) pct(lat, nlat, 50), (long long) pct(lat, nlat, 90),
           (long long) pct(lat, nlat, 99), (long long) pct(lat, nlat, 99.9),
           (long long) (nlat ? lat[nlat - 1] : 0), rate > 0 ? rate : 0.0, queued_max);

    return (other || errors) ? 1 : 0;
}


int
main(int argc, char **argv)
{
    int          opt, conns = 32, workers = 1, timeout = 600;
    long         n = 0;
    double       rate = 0, secs = 0;
    const char  *mode, *out = NULL, *console = "/_pa/console/?who=ops";

    if (argc < 2) {
        die("usage: pa-client hold|cycles|load|rate [options] (see the source)");
    }
    mode = argv[1];
    optind = 2;

    while ((opt = getopt(argc, argv, "p:n:u:A:b:t:W:o:c:H:R:d:")) != -1) {
        switch (opt) {
        case 'p': port = atoi(optarg); break;
        case 'n': n = atol(optarg); break;
        case 'u': path = optarg; break;
        case 'A': agent = optarg; break;
        case 'b': bind_addr = optarg; break;
        case 't': timeout = atoi(optarg); break;
        case 'W': workers = atoi(optarg); break;
        case 'o': out = optarg; break;
        case 'c':
            if (strcmp(mode, "cycles") == 0) {
                console = optarg;
            } else {
                conns = atoi(optarg);
            }
            break;
        case 'H':
            if (nhdrs == MAX_HDRS) {
                die("at most %d -H", MAX_HDRS);
            }
            hdrs[nhdrs++] = optarg;
            break;
        case 'R': rate = atof(optarg); break;
        case 'd': secs = atof(optarg); break;
        default: die("bad option");
        }
    }

    if (port <= 0 || path == NULL) {
        die("-p PORT and -u PATH are required");
    }

    setvbuf(stdout, NULL, _IOLBF, 0);

    if (strcmp(mode, "hold") == 0 && n > 0) {
        return do_hold(n, timeout);
    }
    if (strcmp(mode, "cycles") == 0 && n > 0 && (workers == 1 || workers == 2)) {
        return do_cycles(n, workers, out, console, rate);
    }
    if (strcmp(mode, "load") == 0 && n > 0 && conns > 0) {
        return do_load(n, conns, 0, 0);
    }
    if (strcmp(mode, "rate") == 0 && rate > 0 && secs > 0 && conns > 0) {
        return do_load(0, conns, rate, secs);
    }

    die("bad mode or missing -n/-R/-d");
    return 2;
}
