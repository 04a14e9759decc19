
/*
 * The Redis client of the shipper, one connection a worker, on nginx's
 * event loop: nginx's peer connection owns the socket, commands are
 * formatted here, hiredis's reader only parses the replies and a queue
 * matches them in order to the commands (hiredis's async API aborts the
 * process on a reply no callback waits for).  Redis is not trusted: a
 * reply nothing waits for, a protocol error, a reply over the bounds
 * (bytes, elements, depth: ngx_http_push_approval_module.h), or no reply
 * in time closes the connection; every reply still awaited is told NULL,
 * once.  Addresses are numeric or unix sockets (no resolver call).
 * Reconnects come from a cancelable backoff timer.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_redis.h"

#include <hiredis/hiredis.h>


#define NGX_HTTP_PUSH_APPROVAL_REDIS_BACKOFF_MIN  100
#define NGX_HTTP_PUSH_APPROVAL_REDIS_BACKOFF_MAX  5000
#define NGX_HTTP_PUSH_APPROVAL_REDIS_TIMEOUT      5000
#define NGX_HTTP_PUSH_APPROVAL_REDIS_READ         16384
#define NGX_HTTP_PUSH_APPROVAL_REDIS_OUT_MIN      16384
#define NGX_HTTP_PUSH_APPROVAL_REDIS_OUT_MAX      (8 * 1024 * 1024)


#if (HIREDIS_MAJOR >= 1)
typedef size_t  ngx_http_push_approval_redis_elts_t;
#else
typedef int     ngx_http_push_approval_redis_elts_t;
#endif


typedef struct {
    ngx_peer_connection_t                 peer;
    ngx_http_push_approval_redis_proto_t  proto;
    ngx_http_push_approval_redis_conf_t  *conf;
    ngx_http_push_approval_redis_up_pt    up_handler;
    ngx_event_t                           reconnect;   /* cancelable */
    ngx_event_t                           timeout;     /* cancelable */
    u_char                               *in;
    u_char                               *out;         /* ngx_alloc() */
    u_char                               *out_pos;
    u_char                               *out_last;
    u_char                               *out_end;
    ngx_msec_t                            backoff;
    ngx_uint_t                            errors;      /* logged in a row */
    unsigned                              up:1;
    unsigned                              connecting:1;
    unsigned                              exiting:1;
} ngx_http_push_approval_redis_t;


static ngx_int_t ngx_http_push_approval_redis_sockaddr(ngx_cycle_t *cycle,
    ngx_http_push_approval_redis_t *rd);
static void ngx_http_push_approval_redis_connect(ngx_event_t *ev);
static void ngx_http_push_approval_redis_established(
    ngx_http_push_approval_redis_t *rd);
static void ngx_http_push_approval_redis_auth_done(void *reply, void *data);
static ngx_int_t ngx_http_push_approval_redis_send(
    ngx_http_push_approval_redis_t *rd,
    ngx_http_push_approval_redis_reply_pt fn, void *data, int argc,
    const char **argv, const size_t *len);
static ngx_int_t ngx_http_push_approval_redis_format(
    ngx_http_push_approval_redis_t *rd, int argc, const char **argv,
    const size_t *len);
static void ngx_http_push_approval_redis_write(ngx_event_t *ev);
static void ngx_http_push_approval_redis_read(ngx_event_t *ev);
static void ngx_http_push_approval_redis_timeout(ngx_event_t *ev);
static void ngx_http_push_approval_redis_close(
    ngx_http_push_approval_redis_t *rd);
static void ngx_http_push_approval_redis_retry(
    ngx_http_push_approval_redis_t *rd);
static void *ngx_http_push_approval_redis_array(const redisReadTask *task,
    ngx_http_push_approval_redis_elts_t elements);


static ngx_http_push_approval_redis_t  *ngx_http_push_approval_redis;

static redisReplyObjectFunctions        ngx_http_push_approval_redis_fn;
static void *(*ngx_http_push_approval_redis_create_array)(
    const redisReadTask *task, ngx_http_push_approval_redis_elts_t elements);


ngx_int_t
ngx_http_push_approval_redis_init(ngx_cycle_t *cycle,
    ngx_http_push_approval_redis_conf_t *conf,
    ngx_http_push_approval_redis_up_pt handler)
{
    ngx_http_push_approval_redis_t  *rd;

    rd = ngx_pcalloc(cycle->pool, sizeof(ngx_http_push_approval_redis_t));
    if (rd == NULL) {
        return NGX_ERROR;
    }

    rd->in = ngx_palloc(cycle->pool, NGX_HTTP_PUSH_APPROVAL_REDIS_READ);
    if (rd->in == NULL) {
        return NGX_ERROR;
    }

    rd->conf = conf;
    rd->up_handler = handler;
    rd->backoff = NGX_HTTP_PUSH_APPROVAL_REDIS_BACKOFF_MIN;

    if (ngx_http_push_approval_redis_sockaddr(cycle, rd) != NGX_OK) {
        return NGX_ERROR;
    }

    rd->reconnect.handler = ngx_http_push_approval_redis_connect;
    rd->reconnect.log = cycle->log;
    rd->reconnect.data = rd;
    rd->reconnect.cancelable = 1;

    rd->timeout.handler = ngx_http_push_approval_redis_timeout;
    rd->timeout.log = cycle->log;
    rd->timeout.data = rd;
    rd->timeout.cancelable = 1;

    ngx_http_push_approval_redis = rd;

    ngx_http_push_approval_redis_connect(&rd->reconnect);

    return NGX_OK;
}


static ngx_int_t
ngx_http_push_approval_redis_sockaddr(ngx_cycle_t *cycle,
    ngx_http_push_approval_redis_t *rd)
{
    ngx_addr_t                            addr;
    struct sockaddr_un                   *sun;
    ngx_http_push_approval_redis_conf_t  *conf;

    conf = rd->conf;

    rd->peer.name = &conf->addr;
    rd->peer.get = ngx_event_get_peer;
    rd->peer.log = cycle->log;
    rd->peer.log_error = NGX_ERROR_ERR;

    if (conf->unix_path.len) {
        sun = ngx_pcalloc(cycle->pool, sizeof(struct sockaddr_un));
        if (sun == NULL || conf->unix_path.len >= sizeof(sun->sun_path)) {
            return NGX_ERROR;
        }

        sun->sun_family = AF_UNIX;
        ngx_memcpy(sun->sun_path, conf->unix_path.data, conf->unix_path.len);

        rd->peer.sockaddr = (struct sockaddr *) sun;
        rd->peer.socklen = sizeof(struct sockaddr_un);

        return NGX_OK;
    }

    if (ngx_parse_addr(cycle->pool, &addr, conf->host.data, conf->host.len)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "push_approval: invalid redis address \"%V\"",
                      &conf->addr);
        return NGX_ERROR;
    }

    ngx_inet_set_port(addr.sockaddr, (in_port_t) conf->port);

    rd->peer.sockaddr = addr.sockaddr;
    rd->peer.socklen = addr.socklen;

    return NGX_OK;
}


void
ngx_http_push_approval_redis_exit(void)
{
    ngx_http_push_approval_redis_t  *rd;

    rd = ngx_http_push_approval_redis;

    if (rd == NULL) {
        return;
    }

    rd->exiting = 1;

    ngx_http_push_approval_event_cancel(&rd->reconnect);

    ngx_http_push_approval_redis_close(rd);

    if (rd->out) {
        ngx_free(rd->out);
        rd->out = NULL;
    }

    ngx_http_push_approval_redis = NULL;
}


ngx_uint_t
ngx_http_push_approval_redis_is_up(void)
{
    return ngx_http_push_approval_redis && ngx_http_push_approval_redis->up;
}


static void
ngx_http_push_approval_redis_connect(ngx_event_t *ev)
{
    ngx_int_t                             rc;
    ngx_file_info_t                       fi;
    ngx_connection_t                     *c;
    ngx_http_push_approval_redis_t       *rd = ev->data;
    ngx_http_push_approval_redis_conf_t  *conf;

    conf = rd->conf;

    /* nginx logs a missing socket file as [crit] */

    if (conf->unix_path.len
        && ngx_file_info(conf->unix_path.data, &fi) == NGX_FILE_ERROR)
    {
        ngx_log_error(NGX_LOG_ERR, ev->log, ngx_errno,
                      "push_approval: redis connect to \"%V\" failed",
                      &conf->addr);
        ngx_http_push_approval_redis_retry(rd);
        return;
    }

    if (ngx_http_push_approval_redis_proto_init(&rd->proto, ev->log,
                                                &conf->addr)
        != NGX_OK)
    {
        ngx_http_push_approval_redis_retry(rd);
        return;
    }

    rd->peer.connection = NULL;

    rc = ngx_event_connect_peer(&rd->peer);

    if (rc != NGX_OK && rc != NGX_AGAIN) {
        ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                      "push_approval: redis connect to \"%V\" failed",
                      &conf->addr);
        rd->peer.connection = NULL;
        ngx_http_push_approval_redis_proto_reset(&rd->proto);
        ngx_http_push_approval_redis_retry(rd);
        return;
    }

    c = rd->peer.connection;
    c->data = rd;
    c->read->handler = ngx_http_push_approval_redis_read;
    c->write->handler = ngx_http_push_approval_redis_write;

    rd->out_pos = rd->out;
    rd->out_last = rd->out;

    if (rc == NGX_AGAIN) {
        rd->connecting = 1;
        ngx_add_timer(&rd->timeout, NGX_HTTP_PUSH_APPROVAL_REDIS_TIMEOUT);
        return;
    }

    ngx_http_push_approval_redis_established(rd);
}


/* connected: authenticate, select, then ship */

static void
ngx_http_push_approval_redis_established(ngx_http_push_approval_redis_t *rd)
{
    u_char                                buf[NGX_INT_T_LEN];
    size_t                                len[2];
    const char                           *argv[2];
    ngx_http_push_approval_redis_conf_t  *conf;

    conf = rd->conf;
    rd->connecting = 0;

    if (rd->timeout.timer_set) {
        ngx_del_timer(&rd->timeout);
    }

    if (conf->password.len) {
        argv[0] = "AUTH";
        len[0] = 4;
        argv[1] = (char *) conf->password.data;
        len[1] = conf->password.len;

        if (ngx_http_push_approval_redis_send(rd,
                                        ngx_http_push_approval_redis_auth_done,
                                        rd, 2, argv, len)
            != NGX_OK)
        {
            goto failed;
        }
    }

    if (conf->db) {
        argv[0] = "SELECT";
        len[0] = 6;
        argv[1] = (char *) buf;
        len[1] = ngx_sprintf(buf, "%ui", conf->db) - buf;

        if (ngx_http_push_approval_redis_send(rd,
                                        ngx_http_push_approval_redis_auth_done,
                                        rd, 2, argv, len)
            != NGX_OK)
        {
            goto failed;
        }
    }

    rd->up = 1;

    if (rd->errors) {
        ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                      "push_approval: redis \"%V\" is up again",
                      &conf->addr);
        rd->errors = 0;
    }

    rd->up_handler();

    return;

failed:

    ngx_http_push_approval_redis_close(rd);
    ngx_http_push_approval_redis_retry(rd);
}


static void
ngx_http_push_approval_redis_auth_done(void *reply, void *data)
{
    redisReply                      *r = reply;
    ngx_http_push_approval_redis_t  *rd = data;

    if (r == NULL || r->type == REDIS_REPLY_STATUS) {
        return;
    }

    /* the reply's text is Redis's; the password is never logged */

    ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                  "push_approval: redis \"%V\" refused AUTH or SELECT: %*s",
                  &rd->conf->addr,
                  r->type == REDIS_REPLY_ERROR ? ngx_min(r->len, 200) : 0,
                  r->type == REDIS_REPLY_ERROR ? r->str : "");

    ngx_http_push_approval_redis_drop();
}


/*
 * The connection is useless (a hung server, a refused login, a reply that
 * makes no sense): start over.  From within a reply's handler the reading
 * stops after the handler and the connection is closed then.
 */

void
ngx_http_push_approval_redis_drop(void)
{
    ngx_http_push_approval_redis_t  *rd;

    rd = ngx_http_push_approval_redis;

    if (rd == NULL || rd->peer.connection == NULL) {
        return;
    }

    if (rd->proto.dispatching) {
        rd->proto.failed = 1;
        return;
    }

    ngx_http_push_approval_redis_close(rd);
    ngx_http_push_approval_redis_retry(rd);
}


static void
ngx_http_push_approval_redis_close(ngx_http_push_approval_redis_t *rd)
{
    rd->up = 0;
    rd->connecting = 0;

    if (rd->timeout.timer_set) {
        ngx_del_timer(&rd->timeout);
    }

    if (rd->peer.connection) {
        ngx_close_connection(rd->peer.connection);
        rd->peer.connection = NULL;
    }

    rd->out_pos = rd->out;
    rd->out_last = rd->out;

    /* the handlers see the connection gone: no command goes now */

    ngx_http_push_approval_redis_proto_reset(&rd->proto);
}


static void
ngx_http_push_approval_redis_retry(ngx_http_push_approval_redis_t *rd)
{
    rd->up = 0;
    rd->errors++;

    if (rd->exiting || rd->reconnect.timer_set) {
        return;
    }

    ngx_add_timer(&rd->reconnect, rd->backoff);

    rd->backoff = ngx_min(rd->backoff * 2,
                          NGX_HTTP_PUSH_APPROVAL_REDIS_BACKOFF_MAX);
}


static void
ngx_http_push_approval_redis_timeout(ngx_event_t *ev)
{
    ngx_http_push_approval_redis_t  *rd = ev->data;

    ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                  "push_approval: redis \"%V\" timed out", &rd->conf->addr);

    ngx_http_push_approval_redis_close(rd);
    ngx_http_push_approval_redis_retry(rd);
}


/* a command; a NULL reply to fn means the connection went away */

ngx_int_t
ngx_http_push_approval_redis_command(ngx_http_push_approval_redis_reply_pt fn,
    void *data, int argc, const char **argv, const size_t *len)
{
    ngx_http_push_approval_redis_t  *rd;

    rd = ngx_http_push_approval_redis;

    if (rd == NULL || rd->peer.connection == NULL || !rd->up
        || rd->proto.failed)
    {
        return NGX_DECLINED;
    }

    return ngx_http_push_approval_redis_send(rd, fn, data, argc, argv, len);
}


/* queued and written from a posted event: fn is never called in here */

static ngx_int_t
ngx_http_push_approval_redis_send(ngx_http_push_approval_redis_t *rd,
    ngx_http_push_approval_redis_reply_pt fn, void *data, int argc,
    const char **argv, const size_t *len)
{
    ngx_connection_t  *c;

    c = rd->peer.connection;

    if (rd->proto.nexpect == NGX_HTTP_PUSH_APPROVAL_REDIS_QUEUE
        || ngx_http_push_approval_redis_format(rd, argc, argv, len) != NGX_OK)
    {
        return NGX_ERROR;
    }

    (void) ngx_http_push_approval_redis_proto_expect(&rd->proto, fn, data);

    /* a reply overdue: the server hangs (SIGSTOP, a full disk) */

    if (!rd->timeout.timer_set) {
        ngx_add_timer(&rd->timeout, NGX_HTTP_PUSH_APPROVAL_REDIS_TIMEOUT);
    }

    if (!c->write->posted) {
        ngx_post_event(c->write, &ngx_posted_events);
    }

    return NGX_OK;
}


/* RESP: *argc, then $len and the bytes of every argument */

static ngx_int_t
ngx_http_push_approval_redis_format(ngx_http_push_approval_redis_t *rd,
    int argc, const char **argv, const size_t *len)
{
    u_char  *p, *out;
    size_t   size, pending;
    int      i;

    size = 1 + NGX_INT_T_LEN + 2;

    for (i = 0; i < argc; i++) {
        size += 1 + NGX_SIZE_T_LEN + 2 + len[i] + 2;
    }

    pending = rd->out_last - rd->out_pos;

    if (pending + size > NGX_HTTP_PUSH_APPROVAL_REDIS_OUT_MAX) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "push_approval: a redis command of %uz bytes is too "
                      "long", size);
        return NGX_ERROR;
    }

    if ((size_t) (rd->out_end - rd->out_last) < size) {

        if ((size_t) (rd->out_end - rd->out) < pending + size) {
            out = ngx_alloc(ngx_max(pending + size,
                                    NGX_HTTP_PUSH_APPROVAL_REDIS_OUT_MIN),
                            ngx_cycle->log);
            if (out == NULL) {
                return NGX_ERROR;
            }

            if (rd->out) {
                ngx_memcpy(out, rd->out_pos, pending);
                ngx_free(rd->out);
            }

            rd->out_end = out + ngx_max(pending + size,
                                        NGX_HTTP_PUSH_APPROVAL_REDIS_OUT_MIN);
            rd->out = out;

        } else {
            ngx_memmove(rd->out, rd->out_pos, pending);
        }

        rd->out_pos = rd->out;
        rd->out_last = rd->out + pending;
    }

    p = ngx_sprintf(rd->out_last, "*%d\r\n", argc);

    for (i = 0; i < argc; i++) {
        p = ngx_sprintf(p, "$%uz\r\n", len[i]);
        p = ngx_cpymem(p, argv[i], len[i]);
        *p++ = CR; *p++ = LF;
    }

    rd->out_last = p;

    return NGX_OK;
}


static void
ngx_http_push_approval_redis_write(ngx_event_t *ev)
{
    int                              err;
    ssize_t                          n;
    socklen_t                        len;
    ngx_connection_t                *c = ev->data;
    ngx_http_push_approval_redis_t  *rd = c->data;

    if (rd->connecting) {
        err = 0;
        len = sizeof(int);

        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, (void *) &err, &len)
            == -1)
        {
            err = ngx_socket_errno;
        }

        if (err) {
            ngx_log_error(NGX_LOG_ERR, ev->log, err,
                          "push_approval: redis connect to \"%V\" failed",
                          &rd->conf->addr);
            goto failed;
        }

        ngx_http_push_approval_redis_established(rd);

        return;     /* the commands are written from a posted event */
    }

    while (rd->out_pos < rd->out_last) {
        n = c->send(c, rd->out_pos, rd->out_last - rd->out_pos);

        if (n == NGX_AGAIN) {
            if (ngx_handle_write_event(ev, 0) != NGX_OK) {
                goto failed;
            }

            return;
        }

        if (n == NGX_ERROR) {
            ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                          "push_approval: redis \"%V\" connection lost: "
                          "write error", &rd->conf->addr);
            goto failed;
        }

        rd->out_pos += n;
    }

    rd->out_pos = rd->out;
    rd->out_last = rd->out;

    return;

failed:

    ngx_http_push_approval_redis_close(rd);
    ngx_http_push_approval_redis_retry(rd);
}


/*
 * Read to EAGAIN (nginx's events are edge-triggered).  Bounded: every
 * complete reply must have been awaited and a reply in progress stays
 * under NGX_HTTP_PUSH_APPROVAL_REDIS_REPLY bytes, else it stops.
 */

static void
ngx_http_push_approval_redis_read(ngx_event_t *ev)
{
    ssize_t                          n;
    ngx_uint_t                       waiting;
    ngx_connection_t                *c = ev->data;
    ngx_http_push_approval_redis_t  *rd = c->data;

    if (rd->connecting) {
        return;     /* Redis speaks when spoken to */
    }

    for ( ;; ) {
        n = c->recv(c, rd->in, NGX_HTTP_PUSH_APPROVAL_REDIS_READ);

        if (n == NGX_AGAIN) {
            if (ngx_handle_read_event(ev, 0) != NGX_OK) {
                break;
            }

            return;
        }

        if (n == 0 || n == NGX_ERROR) {
            ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                          "push_approval: redis \"%V\" connection lost: %s",
                          &rd->conf->addr, n == 0 ? "closed" : "read error");
            break;
        }

        waiting = rd->proto.nexpect;

        if (ngx_http_push_approval_redis_proto_feed(&rd->proto, rd->in,
                                                    (size_t) n)
            != NGX_OK)
        {
            break;
        }

        if (rd->proto.nexpect == waiting) {
            continue;
        }

        /*
         * A reply came and made sense: the server works (a server that
         * never does keeps the backoff growing); the next reply has its
         * time from now.
         */

        rd->backoff = NGX_HTTP_PUSH_APPROVAL_REDIS_BACKOFF_MIN;

        if (rd->proto.nexpect == 0) {
            if (rd->timeout.timer_set) {
                ngx_del_timer(&rd->timeout);
            }

        } else {
            ngx_add_timer(&rd->timeout, NGX_HTTP_PUSH_APPROVAL_REDIS_TIMEOUT);
        }
    }

    ngx_http_push_approval_redis_close(rd);
    ngx_http_push_approval_redis_retry(rd);
}


/* the protocol, without a socket (t/fuzz/fuzz_redis.c) */

ngx_int_t
ngx_http_push_approval_redis_proto_init(
    ngx_http_push_approval_redis_proto_t *p, ngx_log_t *log, ngx_str_t *name)
{
    redisReader  *r;

    ngx_http_push_approval_redis_proto_reset(p);

    r = redisReaderCreate();
    if (r == NULL) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "push_approval: redisReaderCreate() failed");
        return NGX_ERROR;
    }

    /* hiredis's own objects (freeReplyObject) with a bounded array */

    if (ngx_http_push_approval_redis_create_array == NULL) {
        ngx_http_push_approval_redis_fn = *r->fn;
        ngx_http_push_approval_redis_create_array = r->fn->createArray;
        ngx_http_push_approval_redis_fn.createArray =
                                            ngx_http_push_approval_redis_array;
    }

    r->fn = &ngx_http_push_approval_redis_fn;
    r->privdata = p;
    r->maxbuf = NGX_HTTP_PUSH_APPROVAL_REDIS_READ;

    p->reader = r;
    p->log = log;
    p->name = name;

    return NGX_OK;
}


static void *
ngx_http_push_approval_redis_array(const redisReadTask *task,
    ngx_http_push_approval_redis_elts_t elements)
{
    ngx_uint_t                             depth;
    const redisReadTask                   *t;
    ngx_http_push_approval_redis_proto_t  *p;

    depth = 0;

    for (t = task->parent; t; t = t->parent) {
        depth++;
    }

    if ((long long) elements < 0
        || (long long) elements > NGX_HTTP_PUSH_APPROVAL_REDIS_ELTS
        || depth > NGX_HTTP_PUSH_APPROVAL_REDIS_DEPTH)
    {
        p = task->privdata;
        p->too_big = 1;
        return NULL;    /* the reader fails ("out of memory") */
    }

    return ngx_http_push_approval_redis_create_array(task, elements);
}


ngx_int_t
ngx_http_push_approval_redis_proto_expect(
    ngx_http_push_approval_redis_proto_t *p,
    ngx_http_push_approval_redis_reply_pt handler, void *data)
{
    ngx_http_push_approval_redis_expect_t  *e;

    if (p->nexpect == NGX_HTTP_PUSH_APPROVAL_REDIS_QUEUE) {
        return NGX_ERROR;
    }

    e = &p->expect[(p->head + p->nexpect) % NGX_HTTP_PUSH_APPROVAL_REDIS_QUEUE];
    e->handler = handler;
    e->data = data;

    p->nexpect++;

    return NGX_OK;
}


/*
 * Bytes from Redis: every complete reply to the handler first in the
 * queue.  NGX_ERROR (logged): the connection is to be closed.
 */

ngx_int_t
ngx_http_push_approval_redis_proto_feed(
    ngx_http_push_approval_redis_proto_t *p, u_char *buf, size_t n)
{
    void                                   *reply;
    redisReader                            *r;
    ngx_http_push_approval_redis_expect_t   e;

    r = p->reader;

    if (r == NULL || p->failed) {
        return NGX_ERROR;
    }

    if (redisReaderFeed(r, (const char *) buf, n) != REDIS_OK) {
        goto protocol;
    }

    p->partial += n;

    for ( ;; ) {
        reply = NULL;

        if (redisReaderGetReply(r, &reply) != REDIS_OK) {
            goto protocol;
        }

        if (reply == NULL) {
            break;
        }

        /* what is left belongs to the next reply */

        p->partial = r->len - r->pos;

        if (p->nexpect == 0) {
            freeReplyObject(reply);
            ngx_log_error(NGX_LOG_ERR, p->log, 0,
                          "push_approval: redis \"%V\" sent a reply to no "
                          "command", p->name);
            p->failed = 1;
            return NGX_ERROR;
        }

        e = p->expect[p->head];
        p->head = (p->head + 1) % NGX_HTTP_PUSH_APPROVAL_REDIS_QUEUE;
        p->nexpect--;

        p->dispatching = 1;
        e.handler(reply, e.data);
        p->dispatching = 0;

        freeReplyObject(reply);

        if (p->failed) {
            return NGX_ERROR;       /* the handler logged why */
        }
    }

    if (p->partial > NGX_HTTP_PUSH_APPROVAL_REDIS_REPLY) {
        p->too_big = 1;
        goto protocol;
    }

    return NGX_OK;

protocol:

    ngx_log_error(NGX_LOG_ERR, p->log, 0,
                  "push_approval: redis \"%V\" broke the protocol: %s",
                  p->name, p->too_big ? "a reply too large"
                                      : redisReaderGetError(r));
    p->failed = 1;

    return NGX_ERROR;
}


/* the reader goes; every reply awaited is told NULL, once */

void
ngx_http_push_approval_redis_proto_reset(
    ngx_http_push_approval_redis_proto_t *p)
{
    ngx_http_push_approval_redis_expect_t  e;

    if (p->reader) {
        redisReaderFree(p->reader);
        p->reader = NULL;
    }

    p->failed = 1;      /* no command queued from a handler below */

    while (p->nexpect) {
        e = p->expect[p->head];
        p->head = (p->head + 1) % NGX_HTTP_PUSH_APPROVAL_REDIS_QUEUE;
        p->nexpect--;

        e.handler(NULL, e.data);
    }

    p->head = 0;
    p->partial = 0;
    p->failed = 0;
    p->too_big = 0;
    p->dispatching = 0;
}
