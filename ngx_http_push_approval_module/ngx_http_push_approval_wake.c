
/*
 * Waking the worker that holds a request.
 *
 * Each worker binds a datagram socket in Linux's abstract namespace under
 * a name of 128 random bits, and registers its pid and that name in every
 * zone.  A decision sends the challenge id to every registered worker; a
 * worker that receives an id posts the wake events of its local waiters
 * for it.  Waiters always re-read the zone, so a lost datagram only
 * delays: a cancelable 1 s timer re-checks the waiters whenever a zone's
 * decision counter moved.
 *
 * Any local process may bind abstract names and send to them: the names
 * cannot be guessed before they exist, so nobody can take a worker's name
 * first; a worker that cannot bind runs on the 1 s re-check alone; and a
 * datagram is only ever a hint to re-read the zone, whoever sent it.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_wake.h"
#include "ngx_http_push_approval_challenge.h"
#include "ngx_http_push_approval_keys.h"
#include "ngx_http_push_approval_workers.h"
#include "ngx_http_push_approval_zone.h"

#include <sys/un.h>


#define NGX_HTTP_PUSH_APPROVAL_POLL        1000
#define NGX_HTTP_PUSH_APPROVAL_RECV_BATCH  256


static ngx_int_t ngx_http_push_approval_wake_open(ngx_cycle_t *cycle,
    ngx_http_push_approval_main_conf_t *pmcf);
static void ngx_http_push_approval_wake_recv(ngx_event_t *rev);
static void ngx_http_push_approval_wake_id(u_char *id);
static void ngx_http_push_approval_wake_shutdown(void);
static void ngx_http_push_approval_poll(ngx_event_t *ev);
static void ngx_http_push_approval_waiter_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static void ngx_http_push_approval_wake_resume(ngx_event_t *ev);
static socklen_t ngx_http_push_approval_wake_addr(struct sockaddr_un *sun,
    u_char *name);


#define ngx_http_push_approval_waiter_ctx(n)                                  \
    ((ngx_http_push_approval_ctx_t *)                                         \
     ((u_char *) (n) - offsetof(ngx_http_push_approval_ctx_t, waiter)))


static ngx_connection_t   *ngx_http_push_approval_wake_conn;
static ngx_http_push_approval_worker_t  ngx_http_push_approval_wake_self;
static ngx_uint_t          ngx_http_push_approval_wake_bound;
static ngx_rbtree_t        ngx_http_push_approval_waiters;
static ngx_rbtree_node_t   ngx_http_push_approval_waiters_sentinel;
static ngx_event_t         ngx_http_push_approval_poll_ev;
static ngx_uint_t          ngx_http_push_approval_decisions;
static ngx_uint_t          ngx_http_push_approval_nwaiters;


ngx_int_t
ngx_http_push_approval_wake_init(ngx_cycle_t *cycle)
{
    ngx_http_push_approval_main_conf_t  *pmcf;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    pmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_push_approval_module);
    if (pmcf == NULL || pmcf->zones.nelts == 0) {
        return NGX_OK;
    }

    ngx_rbtree_init(&ngx_http_push_approval_waiters,
                    &ngx_http_push_approval_waiters_sentinel,
                    ngx_http_push_approval_waiter_insert);

    ngx_http_push_approval_poll_ev.handler = ngx_http_push_approval_poll;
    ngx_http_push_approval_poll_ev.log = cycle->log;
    ngx_http_push_approval_poll_ev.data = pmcf;
    ngx_http_push_approval_poll_ev.cancelable = 1;

    ngx_add_timer(&ngx_http_push_approval_poll_ev,
                  NGX_HTTP_PUSH_APPROVAL_POLL);

    /* without its socket a worker still serves: the re-check wakes */
    (void) ngx_http_push_approval_wake_open(cycle, pmcf);

    return NGX_OK;
}


/*
 * Each failure logs one [error] and leaves the worker on the 1 s re-check.
 * The connection is kept even when unbound: it sends wake-ups to the other
 * workers, and worker_shutdown_timeout finds paused requests through it.
 */

static ngx_int_t
ngx_http_push_approval_wake_open(ngx_cycle_t *cycle,
    ngx_http_push_approval_main_conf_t *pmcf)
{
    int                               fd, size;
    socklen_t                         len;
    ngx_uint_t                        i;
    ngx_connection_t                 *c;
    struct sockaddr_un                sun;
    ngx_http_push_approval_zone_t   **zones;
    ngx_http_push_approval_worker_t  *self;

    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        ngx_log_error(NGX_LOG_ERR, cycle->log, ngx_socket_errno,
                      "push_approval: socket() of the wake-up socket "
                      "failed, this worker's paused requests resume "
                      "within 1 s of a decision instead");
        return NGX_ERROR;
    }

    c = ngx_get_connection(fd, cycle->log);
    if (c == NULL) {
        close(fd);
        ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                      "push_approval: no connection for the wake-up socket, "
                      "this worker's paused requests resume within 1 s of "
                      "a decision instead");
        return NGX_ERROR;
    }

    c->read->handler = ngx_http_push_approval_wake_recv;
    c->read->log = cycle->log;
    c->write->log = cycle->log;

    ngx_http_push_approval_wake_conn = c;

    self = &ngx_http_push_approval_wake_self;
    self->pid = ngx_pid;

    if (ngx_http_push_approval_random(self->name,
                                      NGX_HTTP_PUSH_APPROVAL_WAKE_NAME)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                      "push_approval: RAND_bytes() for the wake-up socket "
                      "failed, this worker's paused requests resume within "
                      "1 s of a decision instead");
        return NGX_ERROR;
    }

    size = 1024 * 1024;
    (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));

    len = ngx_http_push_approval_wake_addr(&sun, self->name);

    if (bind(fd, (struct sockaddr *) &sun, len) == -1) {
        ngx_log_error(NGX_LOG_ERR, cycle->log, ngx_socket_errno,
                      "push_approval: bind() of the wake-up socket failed, "
                      "this worker's paused requests resume within 1 s of "
                      "a decision instead");
        return NGX_ERROR;
    }

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                      "push_approval: the wake-up socket cannot be polled, "
                      "this worker's paused requests resume within 1 s of "
                      "a decision instead");
        return NGX_ERROR;
    }

    ngx_http_push_approval_wake_bound = 1;

    zones = pmcf->zones.elts;
    for (i = 0; i < pmcf->zones.nelts; i++) {
        if (ngx_http_push_approval_workers_register(zones[i], self, 1)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                          "push_approval: more than %d workers use zone "
                          "\"%V\", this worker's paused requests resume "
                          "within 1 s of a decision instead",
                          NGX_HTTP_PUSH_APPROVAL_MAX_WORKERS,
                          &zones[i]->name);
        }
    }

    return NGX_OK;
}


void
ngx_http_push_approval_wake_exit(ngx_cycle_t *cycle)
{
    ngx_uint_t                           i;
    ngx_http_push_approval_zone_t      **zones;
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_push_approval_module);

    if (ngx_http_push_approval_wake_bound) {
        zones = pmcf->zones.elts;
        for (i = 0; i < pmcf->zones.nelts; i++) {
            (void) ngx_http_push_approval_workers_register(zones[i],
                                    &ngx_http_push_approval_wake_self, 0);
        }

        ngx_http_push_approval_wake_bound = 0;
    }

    if (ngx_http_push_approval_poll_ev.timer_set) {
        ngx_del_timer(&ngx_http_push_approval_poll_ev);
    }

    if (ngx_http_push_approval_wake_conn) {
        ngx_close_connection(ngx_http_push_approval_wake_conn);
        ngx_http_push_approval_wake_conn = NULL;
    }
}


static socklen_t
ngx_http_push_approval_wake_addr(struct sockaddr_un *sun, u_char *name)
{
    u_char  *p;

    ngx_memzero(sun, sizeof(struct sockaddr_un));
    sun->sun_family = AF_UNIX;

    /* sun_path[0] == '\0': the abstract namespace, nothing on disk */
    p = ngx_cpymem((u_char *) sun->sun_path + 1, "ngx_push_approval/",
                   sizeof("ngx_push_approval/") - 1);
    p = ngx_hex_dump(p, name, NGX_HTTP_PUSH_APPROVAL_WAKE_NAME);

    return (socklen_t) (p - (u_char *) sun);
}


static void
ngx_http_push_approval_wake_recv(ngx_event_t *rev)
{
    u_char             buf[NGX_HTTP_PUSH_APPROVAL_ID_BYTES + 1];
    ssize_t            n;
    ngx_uint_t         i;
    ngx_connection_t  *c;

    c = rev->data;

    if (c->close) {
        /* worker_shutdown_timeout: answer every held request first */
        ngx_http_push_approval_wake_shutdown();
        return;
    }

    /*
     * Anyone may send here: a datagram of exactly an id's length only
     * makes the waiters for that id re-read the zone; longer ones are cut
     * by recv() and dropped.
     */

    for (i = 0; i < NGX_HTTP_PUSH_APPROVAL_RECV_BATCH; i++) {
        n = recv(c->fd, buf, sizeof(buf), 0);

        if (n == -1) {
            if (ngx_socket_errno != NGX_EAGAIN
                && ngx_socket_errno != NGX_EINTR)
            {
                ngx_log_error(NGX_LOG_ERR, rev->log, ngx_socket_errno,
                              "push_approval: recv() failed");
            }

            return;
        }

        if (n == NGX_HTTP_PUSH_APPROVAL_ID_BYTES) {
            ngx_http_push_approval_wake_id(buf);
        }
    }

    /* more may be queued: continue in the next cycle */
    ngx_post_event(rev, &ngx_posted_events);
}


static void
ngx_http_push_approval_wake_id(u_char *id)
{
    ngx_int_t                      rc;
    ngx_rbtree_node_t             *node, *found, *sentinel;
    ngx_http_push_approval_ctx_t  *ctx;

    node = ngx_http_push_approval_waiters.root;
    sentinel = ngx_http_push_approval_waiters.sentinel;
    found = NULL;

    /* the leftmost waiter for this id: equal ids are adjacent */

    while (node != sentinel) {
        ctx = ngx_http_push_approval_waiter_ctx(node);
        rc = ngx_memcmp(ctx->challenge->id, id,
                        NGX_HTTP_PUSH_APPROVAL_ID_BYTES);

        if (rc >= 0) {
            if (rc == 0) {
                found = node;
            }

            node = node->left;

        } else {
            node = node->right;
        }
    }

    for (node = found; node; node = ngx_rbtree_next(
                                  &ngx_http_push_approval_waiters, node))
    {
        ctx = ngx_http_push_approval_waiter_ctx(node);

        if (ngx_memcmp(ctx->challenge->id, id,
                       NGX_HTTP_PUSH_APPROVAL_ID_BYTES) != 0)
        {
            break;
        }

        if (!ctx->wake.posted) {
            ngx_post_event(&ctx->wake, &ngx_posted_events);
        }
    }
}


static void
ngx_http_push_approval_wake_shutdown(void)
{
    ngx_rbtree_node_t             *node;
    ngx_http_push_approval_ctx_t  *ctx;

    while (ngx_http_push_approval_waiters.root
           != ngx_http_push_approval_waiters.sentinel)
    {
        node = ngx_rbtree_min(ngx_http_push_approval_waiters.root,
                              ngx_http_push_approval_waiters.sentinel);
        ctx = ngx_http_push_approval_waiter_ctx(node);

        ngx_http_push_approval_wake_del(ctx);

        if (ctx->wake.posted) {
            ngx_delete_posted_event(&ctx->wake);
        }

        ctx->shutdown = 1;
        ctx->wake.handler(&ctx->wake);
    }

    if (ngx_http_push_approval_wake_conn
        && ngx_http_push_approval_wake_conn->read->active)
    {
        ngx_del_event(ngx_http_push_approval_wake_conn->read, NGX_READ_EVENT,
                      0);
    }
}


void
ngx_http_push_approval_wake_add(ngx_http_push_approval_ctx_t *ctx)
{
    if (ctx->waiting) {
        return;
    }

    ngx_rbtree_insert(&ngx_http_push_approval_waiters, &ctx->waiter);
    ctx->waiting = 1;
    ngx_http_push_approval_nwaiters++;
}


void
ngx_http_push_approval_wake_del(ngx_http_push_approval_ctx_t *ctx)
{
    if (!ctx->waiting) {
        return;
    }

    ngx_rbtree_delete(&ngx_http_push_approval_waiters, &ctx->waiter);
    ctx->waiting = 0;
    ngx_http_push_approval_nwaiters--;
}


void
ngx_http_push_approval_wake_broadcast(ngx_http_push_approval_zone_t *zone,
    u_char *id)
{
    ngx_err_t                        err;
    socklen_t                        len;
    ngx_uint_t                       i, n;
    struct sockaddr_un               sun;
    ngx_http_push_approval_worker_t  w[NGX_HTTP_PUSH_APPROVAL_MAX_WORKERS];

    if (ngx_http_push_approval_wake_conn == NULL) {
        return;
    }

    n = ngx_http_push_approval_workers_list(zone, w);

    for (i = 0; i < n; i++) {
        len = ngx_http_push_approval_wake_addr(&sun, w[i].name);

        if (sendto(ngx_http_push_approval_wake_conn->fd, id,
                   NGX_HTTP_PUSH_APPROVAL_ID_BYTES, MSG_DONTWAIT,
                   (struct sockaddr *) &sun, len)
            != -1)
        {
            continue;
        }

        err = ngx_socket_errno;

        if (err == ECONNREFUSED || err == ENOENT) {
            /* a worker that is gone without unregistering (a crash) */
            (void) ngx_http_push_approval_workers_register(zone, &w[i], 0);
            continue;
        }

        /* EAGAIN and the like: the safety-net poll catches up */
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, err,
                       "push_approval: wake-up of %P not sent", w[i].pid);
    }
}


static void
ngx_http_push_approval_poll(ngx_event_t *ev)
{
    ngx_uint_t                           i, sum, state;
    ngx_rbtree_node_t                   *node;
    ngx_http_push_approval_ctx_t        *ctx;
    ngx_http_push_approval_zone_t      **zones;
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ev->data;
    zones = pmcf->zones.elts;
    sum = 0;

    for (i = 0; i < pmcf->zones.nelts; i++) {
        ngx_http_push_approval_zone_expire(zones[i], 64);
        sum += zones[i]->sh->decisions;
    }

    if (sum != ngx_http_push_approval_decisions
        && ngx_http_push_approval_nwaiters)
    {
        for (node = ngx_rbtree_min(ngx_http_push_approval_waiters.root,
                                   ngx_http_push_approval_waiters.sentinel);
             node;
             node = ngx_rbtree_next(&ngx_http_push_approval_waiters, node))
        {
            ctx = ngx_http_push_approval_waiter_ctx(node);

            if (ngx_http_push_approval_challenge_state(ctx->zone,
                                                       ctx->challenge->id,
                                                       &state)
                    != NGX_OK
                || state != NGX_HTTP_PUSH_APPROVAL_PENDING)
            {
                if (!ctx->wake.posted) {
                    ngx_post_event(&ctx->wake, &ngx_posted_events);
                }
            }
        }
    }

    ngx_http_push_approval_decisions = sum;

    ngx_add_timer(ev, NGX_HTTP_PUSH_APPROVAL_POLL);
}


static void
ngx_http_push_approval_waiter_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_int_t                      rc;
    ngx_rbtree_node_t            **p;
    ngx_http_push_approval_ctx_t  *n, *t;

    n = ngx_http_push_approval_waiter_ctx(node);

    for ( ;; ) {
        t = ngx_http_push_approval_waiter_ctx(temp);

        rc = ngx_memcmp(n->challenge->id, t->challenge->id,
                        NGX_HTTP_PUSH_APPROVAL_ID_BYTES);

        if (rc == 0) {
            rc = (n < t) ? -1 : 1;
        }

        p = (rc < 0) ? &temp->left : &temp->right;

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/* pause: in the waiter index, with a timer at the end of the wait */

void
ngx_http_push_approval_wake_hold(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx)
{
    ngx_msec_int_t  ms;
    ngx_time_t     *tp;

    if (!ctx->wake.handler) {
        ctx->wake.handler = ngx_http_push_approval_wake_resume;
        ctx->wake.data = ctx;
        ctx->wake.log = r->connection->log;
        ctx->timer = ctx->wake;
    }

    ngx_http_push_approval_wake_add(ctx);

    if (ctx->timer.timer_set) {
        return;
    }

    tp = ngx_timeofday();
    ms = (ngx_msec_int_t) (ctx->challenge->expires - tp->sec) * 1000
         - (ngx_msec_int_t) tp->msec + 1;

    ngx_add_timer(&ctx->timer, ms > 0 ? (ngx_msec_t) ms : 1);
}


void
ngx_http_push_approval_wake_unhold(ngx_http_push_approval_ctx_t *ctx)
{
    ngx_http_push_approval_wake_del(ctx);

    if (ctx->timer.timer_set) {
        ngx_del_timer(&ctx->timer);
    }

    if (ctx->wake.posted) {
        ngx_delete_posted_event(&ctx->wake);
    }
}


static void
ngx_http_push_approval_wake_resume(ngx_event_t *ev)
{
    ngx_connection_t              *c;
    ngx_http_request_t            *r;
    ngx_http_push_approval_ctx_t  *ctx;

    ctx = ev->data;
    r = ctx->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    if (ctx->on_wake) {
        ctx->on_wake(ctx);

    } else {
        ngx_http_core_run_phases(r);
    }

    ngx_http_run_posted_requests(c);
}
