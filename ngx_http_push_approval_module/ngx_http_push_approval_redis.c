
/*
 * A hiredis asynchronous client on nginx's event loop, one a worker, for
 * the shipper.  hiredis owns the socket: its cleanup hook only takes the
 * nginx connection off the event loop, hiredis closes the fd.  Addresses
 * are numeric or unix sockets (no resolver call).  Reconnects come from a
 * cancelable backoff timer, never from a hiredis callback; commands are
 * sent from a posted event after the connect callback (hiredis 0.14 does
 * not allow them from within it).  Events are level-triggered: hiredis
 * reads at most 16 KB a call.
 */


#include "ngx_http_push_approval_module.h"

#include <hiredis/hiredis.h>
#include <hiredis/async.h>


#define NGX_HTTP_PUSH_APPROVAL_REDIS_BACKOFF_MIN  100
#define NGX_HTTP_PUSH_APPROVAL_REDIS_BACKOFF_MAX  5000
#define NGX_HTTP_PUSH_APPROVAL_REDIS_TIMEOUT      5000


typedef struct {
    redisAsyncContext                  *ac;
    ngx_connection_t                   *c;
    ngx_http_push_approval_redis_conf_t *conf;
    ngx_http_push_approval_redis_up_pt  up_handler;
    ngx_event_t                         reconnect;   /* cancelable */
    ngx_event_t                         ready;       /* posted */
    ngx_event_t                         timeout;     /* cancelable */
    ngx_msec_t                          backoff;
    ngx_uint_t                          up;
    ngx_uint_t                          exiting;
    ngx_uint_t                          errors;      /* logged in a row */
} ngx_http_push_approval_redis_t;


static void ngx_http_push_approval_redis_connect(ngx_event_t *ev);
static ngx_int_t ngx_http_push_approval_redis_attach(
    ngx_http_push_approval_redis_t *rd);
static void ngx_http_push_approval_redis_connected(
    const redisAsyncContext *ac, int status);
static void ngx_http_push_approval_redis_disconnected(
    const redisAsyncContext *ac, int status);
static void ngx_http_push_approval_redis_ready(ngx_event_t *ev);
static void ngx_http_push_approval_redis_auth_done(redisAsyncContext *ac,
    void *reply, void *data);
static void ngx_http_push_approval_redis_retry(
    ngx_http_push_approval_redis_t *rd);
static void ngx_http_push_approval_redis_timeout(ngx_event_t *ev);
static void ngx_http_push_approval_redis_read(ngx_event_t *ev);
static void ngx_http_push_approval_redis_write(ngx_event_t *ev);
static void ngx_http_push_approval_redis_add_read(void *data);
static void ngx_http_push_approval_redis_del_read(void *data);
static void ngx_http_push_approval_redis_add_write(void *data);
static void ngx_http_push_approval_redis_del_write(void *data);
static void ngx_http_push_approval_redis_cleanup(void *data);


static ngx_http_push_approval_redis_t  *ngx_http_push_approval_redis;


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

    rd->conf = conf;
    rd->up_handler = handler;
    rd->backoff = NGX_HTTP_PUSH_APPROVAL_REDIS_BACKOFF_MIN;

    rd->reconnect.handler = ngx_http_push_approval_redis_connect;
    rd->reconnect.log = cycle->log;
    rd->reconnect.data = rd;
    rd->reconnect.cancelable = 1;

    rd->ready.handler = ngx_http_push_approval_redis_ready;
    rd->ready.log = cycle->log;
    rd->ready.data = rd;

    rd->timeout.handler = ngx_http_push_approval_redis_timeout;
    rd->timeout.log = cycle->log;
    rd->timeout.data = rd;
    rd->timeout.cancelable = 1;

    ngx_http_push_approval_redis = rd;

    ngx_http_push_approval_redis_connect(&rd->reconnect);

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
    ngx_http_push_approval_event_cancel(&rd->timeout);
    ngx_http_push_approval_event_cancel(&rd->ready);

    if (rd->ac) {
        redisAsyncFree(rd->ac);     /* callbacks get NULL replies */
        rd->ac = NULL;
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
    ngx_http_push_approval_redis_t       *rd = ev->data;
    ngx_http_push_approval_redis_conf_t  *conf;

    conf = rd->conf;

    if (conf->unix_path.len) {
        rd->ac = redisAsyncConnectUnix((char *) conf->unix_path.data);

    } else {
        rd->ac = redisAsyncConnect((char *) conf->host.data, (int) conf->port);
    }

    if (rd->ac == NULL || rd->ac->err) {
        ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                      "push_approval: redis connect to \"%V\" failed: %s",
                      &conf->addr, rd->ac ? rd->ac->errstr : "no memory");

        if (rd->ac) {
            redisAsyncFree(rd->ac);
            rd->ac = NULL;
        }

        ngx_http_push_approval_redis_retry(rd);
        return;
    }

    if (ngx_http_push_approval_redis_attach(rd) != NGX_OK) {
        redisAsyncFree(rd->ac);
        rd->ac = NULL;
        ngx_http_push_approval_redis_retry(rd);
        return;
    }

    rd->ac->data = rd;
    redisAsyncSetConnectCallback(rd->ac,
                                 ngx_http_push_approval_redis_connected);
    redisAsyncSetDisconnectCallback(rd->ac,
                                    ngx_http_push_approval_redis_disconnected);

    ngx_add_timer(&rd->timeout, NGX_HTTP_PUSH_APPROVAL_REDIS_TIMEOUT);
}


static ngx_int_t
ngx_http_push_approval_redis_attach(ngx_http_push_approval_redis_t *rd)
{
    ngx_connection_t  *c;

    c = ngx_get_connection(rd->ac->c.fd, ngx_cycle->log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    c->data = rd;
    c->read->handler = ngx_http_push_approval_redis_read;
    c->write->handler = ngx_http_push_approval_redis_write;
    c->read->log = ngx_cycle->log;
    c->write->log = ngx_cycle->log;

    rd->c = c;

    rd->ac->ev.data = rd;
    rd->ac->ev.addRead = ngx_http_push_approval_redis_add_read;
    rd->ac->ev.delRead = ngx_http_push_approval_redis_del_read;
    rd->ac->ev.addWrite = ngx_http_push_approval_redis_add_write;
    rd->ac->ev.delWrite = ngx_http_push_approval_redis_del_write;
    rd->ac->ev.cleanup = ngx_http_push_approval_redis_cleanup;

    return NGX_OK;
}


static void
ngx_http_push_approval_redis_connected(const redisAsyncContext *ac,
    int status)
{
    ngx_http_push_approval_redis_t  *rd = ac->data;

    if (rd->timeout.timer_set) {
        ngx_del_timer(&rd->timeout);
    }

    if (status != REDIS_OK) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "push_approval: redis connect to \"%V\" failed: %s",
                      &rd->conf->addr, ac->errstr);

        rd->ac = NULL;      /* hiredis frees it */
        ngx_http_push_approval_redis_retry(rd);
        return;
    }

    ngx_post_event(&rd->ready, &ngx_posted_events);
}


/* out of the connect callback: authenticate, select, then ship */

static void
ngx_http_push_approval_redis_ready(ngx_event_t *ev)
{
    u_char                                buf[NGX_INT_T_LEN];
    size_t                                len[3];
    const char                           *argv[3];
    ngx_http_push_approval_redis_t       *rd = ev->data;
    ngx_http_push_approval_redis_conf_t  *conf;

    conf = rd->conf;

    if (rd->ac == NULL) {
        return;
    }

    if (conf->password.len) {
        argv[0] = "AUTH";
        len[0] = 4;
        argv[1] = (char *) conf->password.data;
        len[1] = conf->password.len;

        if (redisAsyncCommandArgv(rd->ac,
                                  ngx_http_push_approval_redis_auth_done,
                                  NULL, 2, argv, len)
            != REDIS_OK)
        {
            return;
        }
    }

    if (conf->db) {
        argv[0] = "SELECT";
        len[0] = 6;
        argv[1] = (char *) buf;
        len[1] = ngx_sprintf(buf, "%ui", conf->db) - buf;

        if (redisAsyncCommandArgv(rd->ac,
                                  ngx_http_push_approval_redis_auth_done,
                                  NULL, 2, argv, len)
            != REDIS_OK)
        {
            return;
        }
    }

    rd->up = 1;
    rd->backoff = NGX_HTTP_PUSH_APPROVAL_REDIS_BACKOFF_MIN;

    if (rd->errors) {
        ngx_log_error(NGX_LOG_NOTICE, ev->log, 0,
                      "push_approval: redis \"%V\" is up again",
                      &conf->addr);
        rd->errors = 0;
    }

    rd->up_handler();
}


static void
ngx_http_push_approval_redis_auth_done(redisAsyncContext *ac, void *reply,
    void *data)
{
    redisReply                      *r = reply;
    ngx_http_push_approval_redis_t  *rd = ac->data;

    if (r == NULL || r->type != REDIS_REPLY_ERROR) {
        return;
    }

    /* the reply's text is Redis's; the password is never logged */

    ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                  "push_approval: redis \"%V\" refused AUTH or SELECT: %*s",
                  &rd->conf->addr, ngx_min(r->len, 200), r->str);

    ngx_http_push_approval_redis_drop();
}


/* the connection is useless (a hung server, a refused login): start over */

void
ngx_http_push_approval_redis_drop(void)
{
    ngx_http_push_approval_redis_t  *rd;

    rd = ngx_http_push_approval_redis;

    if (rd == NULL || rd->ac == NULL) {
        return;
    }

    /* the disconnect callback runs only for a connected context */

    if (!(rd->ac->c.flags & REDIS_CONNECTED)) {
        redisAsyncFree(rd->ac);
        rd->ac = NULL;
        ngx_http_push_approval_redis_retry(rd);
        return;
    }

    redisAsyncFree(rd->ac);
}


static void
ngx_http_push_approval_redis_disconnected(const redisAsyncContext *ac,
    int status)
{
    ngx_http_push_approval_redis_t  *rd = ac->data;

    rd->ac = NULL;      /* hiredis frees it */
    rd->up = 0;

    if (rd->exiting) {
        return;
    }

    ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                  "push_approval: redis \"%V\" connection lost: %s",
                  &rd->conf->addr, status == REDIS_OK ? "closed" : ac->errstr);

    ngx_http_push_approval_redis_retry(rd);
}


static void
ngx_http_push_approval_redis_retry(ngx_http_push_approval_redis_t *rd)
{
    rd->up = 0;
    rd->errors++;

    if (rd->exiting || rd->reconnect.timer_set) {
        return;
    }

    if (rd->ready.posted) {
        ngx_delete_posted_event(&rd->ready);
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

    ngx_http_push_approval_redis_drop();
}


/* a command; a NULL reply to fn means the connection went away */

ngx_int_t
ngx_http_push_approval_redis_command(ngx_http_push_approval_redis_reply_pt fn,
    void *data, int argc, const char **argv, const size_t *len)
{
    ngx_http_push_approval_redis_t  *rd;

    rd = ngx_http_push_approval_redis;

    if (rd == NULL || rd->ac == NULL || !rd->up) {
        return NGX_DECLINED;
    }

    if (redisAsyncCommandArgv(rd->ac, (redisCallbackFn *) fn, data, argc,
                              argv, len)
        != REDIS_OK)
    {
        return NGX_ERROR;
    }

    /* a reply overdue: the server hangs (SIGSTOP, a full disk) */

    ngx_add_timer(&rd->timeout, NGX_HTTP_PUSH_APPROVAL_REDIS_TIMEOUT);

    return NGX_OK;
}


void
ngx_http_push_approval_redis_replied(void)
{
    ngx_http_push_approval_redis_t  *rd;

    rd = ngx_http_push_approval_redis;

    if (rd && rd->timeout.timer_set) {
        ngx_del_timer(&rd->timeout);
    }
}


static void
ngx_http_push_approval_redis_read(ngx_event_t *ev)
{
    ngx_connection_t                *c = ev->data;
    ngx_http_push_approval_redis_t  *rd = c->data;

    if (rd->ac) {
        redisAsyncHandleRead(rd->ac);
    }
}


static void
ngx_http_push_approval_redis_write(ngx_event_t *ev)
{
    ngx_connection_t                *c = ev->data;
    ngx_http_push_approval_redis_t  *rd = c->data;

    if (rd->ac) {
        redisAsyncHandleWrite(rd->ac);
    }
}


static void
ngx_http_push_approval_redis_add_read(void *data)
{
    ngx_http_push_approval_redis_t  *rd = data;

    if (rd->c && !rd->c->read->active) {
        (void) ngx_add_event(rd->c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT);
    }
}


static void
ngx_http_push_approval_redis_del_read(void *data)
{
    ngx_http_push_approval_redis_t  *rd = data;

    if (rd->c && rd->c->read->active) {
        (void) ngx_del_event(rd->c->read, NGX_READ_EVENT, 0);
    }
}


static void
ngx_http_push_approval_redis_add_write(void *data)
{
    ngx_http_push_approval_redis_t  *rd = data;

    if (rd->c && !rd->c->write->active) {
        (void) ngx_add_event(rd->c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT);
    }
}


static void
ngx_http_push_approval_redis_del_write(void *data)
{
    ngx_http_push_approval_redis_t  *rd = data;

    if (rd->c && rd->c->write->active) {
        (void) ngx_del_event(rd->c->write, NGX_WRITE_EVENT, 0);
    }
}


/* hiredis frees its context and closes the fd after this */

static void
ngx_http_push_approval_redis_cleanup(void *data)
{
    ngx_connection_t                *c;
    ngx_http_push_approval_redis_t  *rd = data;

    c = rd->c;

    if (c == NULL) {
        return;
    }

    ngx_http_push_approval_redis_del_read(rd);
    ngx_http_push_approval_redis_del_write(rd);

    ngx_http_push_approval_event_cancel(c->read);
    ngx_http_push_approval_event_cancel(c->write);

    c->fd = (ngx_socket_t) -1;
    ngx_free_connection(c);

    rd->c = NULL;
}
