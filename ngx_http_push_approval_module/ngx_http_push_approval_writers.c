
/*
 * The node's writers: one slot per worker process that keeps a journal
 * chain, in a small shared zone of its own.  A writer records the seq and
 * hash of the last line it wrote to its file; checkpoints of the other
 * writers vouch for those heads (docs/audit-format.md), and the shipper
 * finds here the chains whose writer is gone.  Slots outlive their
 * writers until the room is needed, so a new worker vouches for the last
 * lines of the ones it replaced.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_writers.h"

#include <openssl/sha.h>


/* a journal writer in the node's registry */

#define NGX_HTTP_PUSH_APPROVAL_WRITER_FREE     0
#define NGX_HTTP_PUSH_APPROVAL_WRITER_LIVE     1
#define NGX_HTTP_PUSH_APPROVAL_WRITER_STOPPED  2
#define NGX_HTTP_PUSH_APPROVAL_WRITER_GONE     3   /* died */

typedef struct {
    ngx_uint_t                    state;
    ngx_pid_t                     pid;
    ngx_msec_t                    ended;
    uint64_t                      seq;          /* last line written */
    u_char                        head[64];     /* its SHA-256, hex */
    off_t                         written;      /* bytes */
    size_t                        pending;      /* bytes not written */
    uint64_t                      shipped;      /* seq in the stream */
    off_t                         shipped_bytes;
    ngx_pid_t                     shipper;      /* who ships the chain */
    ngx_uint_t                    redis_up;
    size_t                        len;
    u_char                        writer[NGX_HTTP_PUSH_APPROVAL_WRITER_LEN];
    size_t                        path_len;
    u_char                        path[NGX_HTTP_PUSH_APPROVAL_WRITER_PATH];
} ngx_http_push_approval_writer_t;


#define NGX_HTTP_PUSH_APPROVAL_WRITERS       64
#define NGX_HTTP_PUSH_APPROVAL_WRITERS_SIZE  (64 * 1024)


typedef struct {
    ngx_http_push_approval_writer_t  slot[NGX_HTTP_PUSH_APPROVAL_WRITERS];
    ngx_atomic_t                     shipped_events;
    ngx_atomic_t                     errors;       /* failed writes */
    ngx_atomic_t                     lost;         /* events */
} ngx_http_push_approval_writers_sh_t;


static ngx_int_t ngx_http_push_approval_writers_init_zone(
    ngx_shm_zone_t *shm_zone, void *data);
static ngx_http_push_approval_writer_t *ngx_http_push_approval_writers_free(
    ngx_http_push_approval_writers_sh_t *sh);
static int ngx_libc_cdecl ngx_http_push_approval_writers_cmp(const void *a,
    const void *b);
static ngx_http_push_approval_writer_t *ngx_http_push_approval_writers_find(
    ngx_http_push_approval_writers_sh_t *sh, u_char *writer, size_t len);


static ngx_shm_zone_t                   *ngx_http_push_approval_writers_zone;
static ngx_http_push_approval_writer_t  *ngx_http_push_approval_self;


char *
ngx_http_push_approval_writers_conf(ngx_conf_t *cf)
{
    ngx_str_t        name;
    ngx_shm_zone_t  *shm_zone;

    ngx_str_set(&name, "push_approval_writers");

    shm_zone = ngx_shared_memory_add(cf, &name,
                                     NGX_HTTP_PUSH_APPROVAL_WRITERS_SIZE,
                                     &ngx_http_push_approval_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    shm_zone->init = ngx_http_push_approval_writers_init_zone;
    ngx_http_push_approval_writers_zone = shm_zone;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_push_approval_writers_init_zone(ngx_shm_zone_t *shm_zone,
    void *data)
{
    ngx_slab_pool_t                      *shpool;
    ngx_http_push_approval_writers_sh_t  *sh;

    if (data) {
        shm_zone->data = data;      /* a reload: the writers go on */
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        return NGX_OK;
    }

    sh = ngx_slab_calloc(shpool, sizeof(ngx_http_push_approval_writers_sh_t));
    if (sh == NULL) {
        return NGX_ERROR;
    }

    shpool->data = sh;
    shm_zone->data = sh;

    return NGX_OK;
}


#define ngx_http_push_approval_writers_lock()                                 \
    ngx_shmtx_lock(&((ngx_slab_pool_t *)                                      \
                     ngx_http_push_approval_writers_zone->shm.addr)->mutex)

#define ngx_http_push_approval_writers_unlock()                               \
    ngx_shmtx_unlock(&((ngx_slab_pool_t *)                                    \
                       ngx_http_push_approval_writers_zone->shm.addr)->mutex)


/* at a worker's start: a slot for its chain, marking dead writers gone */

ngx_int_t
ngx_http_push_approval_writers_join(ngx_str_t *writer, ngx_str_t *path)
{
    ngx_uint_t                            i;
    ngx_http_push_approval_writer_t      *w;
    ngx_http_push_approval_writers_sh_t  *sh;

    if (ngx_http_push_approval_writers_zone == NULL
        || writer->len > NGX_HTTP_PUSH_APPROVAL_WRITER_LEN
        || path->len > NGX_HTTP_PUSH_APPROVAL_WRITER_PATH)
    {
        return NGX_ERROR;
    }

    sh = ngx_http_push_approval_writers_zone->data;

    ngx_http_push_approval_writers_lock();

    for (i = 0; i < NGX_HTTP_PUSH_APPROVAL_WRITERS; i++) {
        w = &sh->slot[i];

        if (w->state == NGX_HTTP_PUSH_APPROVAL_WRITER_LIVE
            && kill(w->pid, 0) == -1 && ngx_errno == NGX_ESRCH)
        {
            w->state = NGX_HTTP_PUSH_APPROVAL_WRITER_GONE;
        }
    }

    w = ngx_http_push_approval_writers_free(sh);

    ngx_memzero(w, sizeof(ngx_http_push_approval_writer_t));
    w->state = NGX_HTTP_PUSH_APPROVAL_WRITER_LIVE;
    w->pid = ngx_pid;
    w->len = writer->len;
    ngx_memcpy(w->writer, writer->data, writer->len);
    w->path_len = path->len;
    ngx_memcpy(w->path, path->data, path->len);

    ngx_http_push_approval_writers_unlock();

    ngx_http_push_approval_self = w;

    return NGX_OK;
}


/* a free slot, else the one of the writer that ended longest ago */

static ngx_http_push_approval_writer_t *
ngx_http_push_approval_writers_free(ngx_http_push_approval_writers_sh_t *sh)
{
    ngx_uint_t                        i;
    ngx_http_push_approval_writer_t  *w, *oldest;

    oldest = NULL;

    for (i = 0; i < NGX_HTTP_PUSH_APPROVAL_WRITERS; i++) {
        w = &sh->slot[i];

        if (w->state == NGX_HTTP_PUSH_APPROVAL_WRITER_FREE) {
            return w;
        }

        if (w->state != NGX_HTTP_PUSH_APPROVAL_WRITER_LIVE
            && (oldest == NULL || w->ended < oldest->ended))
        {
            oldest = w;
        }
    }

    /* 64 live writers: nginx runs at most 64 workers a generation */

    return oldest ? oldest : &sh->slot[0];
}


/*
 * After a write: the head as it is in the file now (seq 0: the head is
 * unknown after a failed write, and left as it was), and what is pending.
 */

void
ngx_http_push_approval_writers_wrote(uint64_t seq, u_char *head, off_t bytes,
    size_t pending)
{
    ngx_http_push_approval_writer_t  *w;

    w = ngx_http_push_approval_self;

    if (w == NULL) {
        return;
    }

    ngx_http_push_approval_writers_lock();

    if (seq) {
        w->seq = seq;
        ngx_memcpy(w->head, head, sizeof(w->head));
    }

    w->written += bytes;
    w->pending = pending;

    ngx_http_push_approval_writers_unlock();
}


void
ngx_http_push_approval_writers_leave(void)
{
    ngx_http_push_approval_writer_t  *w;

    w = ngx_http_push_approval_self;

    if (w == NULL) {
        return;
    }

    ngx_http_push_approval_writers_lock();

    if (w->pid == ngx_pid) {
        w->state = NGX_HTTP_PUSH_APPROVAL_WRITER_STOPPED;
        w->ended = ngx_current_msec;
    }

    ngx_http_push_approval_writers_unlock();

    ngx_http_push_approval_self = NULL;
}


/*
 * The "heads" of a checkpoint: "writer/seq hash" of every other writer
 * that has written a line, sorted by writer, separated by ",".
 */

u_char *
ngx_http_push_approval_writers_heads(u_char *p, u_char *last)
{
    ngx_uint_t                            i, n;
    ngx_http_push_approval_writer_t      *w;
    ngx_http_push_approval_writers_sh_t  *sh;
    ngx_http_push_approval_writer_t
                              copy[NGX_HTTP_PUSH_APPROVAL_WRITERS];

    if (ngx_http_push_approval_writers_zone == NULL) {
        return p;
    }

    sh = ngx_http_push_approval_writers_zone->data;
    n = 0;

    ngx_http_push_approval_writers_lock();

    for (i = 0; i < NGX_HTTP_PUSH_APPROVAL_WRITERS; i++) {
        w = &sh->slot[i];

        if (w->state != NGX_HTTP_PUSH_APPROVAL_WRITER_FREE && w->seq
            && w != ngx_http_push_approval_self)
        {
            copy[n++] = *w;
        }
    }

    ngx_http_push_approval_writers_unlock();

    ngx_qsort(copy, n, sizeof(ngx_http_push_approval_writer_t),
              ngx_http_push_approval_writers_cmp);

    for (i = 0; i < n; i++) {
        if ((size_t) (last - p) < copy[i].len + NGX_INT64_LEN + 68) {
            break;
        }

        p = ngx_sprintf(p, "%s%*s/%uL %*s", i ? "," : "",
                        copy[i].len, copy[i].writer, copy[i].seq,
                        sizeof(copy[i].head), copy[i].head);
    }

    return p;
}


static int ngx_libc_cdecl
ngx_http_push_approval_writers_cmp(const void *a, const void *b)
{
    const ngx_http_push_approval_writer_t  *wa = a, *wb = b;

    ngx_int_t  rc;

    rc = ngx_memn2cmp((u_char *) wa->writer, (u_char *) wb->writer,
                      wa->len, wb->len);

    return rc < 0 ? -1 : (rc > 0);
}


/* is the file the chain of a writer that runs? */

ngx_uint_t
ngx_http_push_approval_writers_live(u_char *path, size_t len)
{
    ngx_uint_t                            i, live;
    ngx_http_push_approval_writer_t      *w;
    ngx_http_push_approval_writers_sh_t  *sh;

    if (ngx_http_push_approval_writers_zone == NULL) {
        return 0;
    }

    sh = ngx_http_push_approval_writers_zone->data;
    live = 0;

    ngx_http_push_approval_writers_lock();

    for (i = 0; i < NGX_HTTP_PUSH_APPROVAL_WRITERS; i++) {
        w = &sh->slot[i];

        if (w->state != NGX_HTTP_PUSH_APPROVAL_WRITER_LIVE
            || w->path_len != len || ngx_strncmp(w->path, path, len) != 0)
        {
            continue;
        }

        if (kill(w->pid, 0) == -1 && ngx_errno == NGX_ESRCH) {
            w->state = NGX_HTTP_PUSH_APPROVAL_WRITER_GONE;
            w->ended = ngx_current_msec;
            continue;
        }

        live = 1;
    }

    ngx_http_push_approval_writers_unlock();

    return live;
}


/* the shipper moved a chain: its seq and bytes in the stream */

void
ngx_http_push_approval_writers_shipped(u_char *writer, size_t len,
    uint64_t seq, off_t bytes, ngx_uint_t events)
{
    ngx_http_push_approval_writer_t      *w;
    ngx_http_push_approval_writers_sh_t  *sh;

    if (ngx_http_push_approval_writers_zone == NULL) {
        return;
    }

    sh = ngx_http_push_approval_writers_zone->data;

    (void) ngx_atomic_fetch_add(&sh->shipped_events, events);

    ngx_http_push_approval_writers_lock();

    w = ngx_http_push_approval_writers_find(sh, writer, len);

    if (w) {
        w->shipped = seq;
        w->shipped_bytes = bytes;
    }

    ngx_http_push_approval_writers_unlock();
}


off_t
ngx_http_push_approval_writers_written(u_char *writer, size_t len)
{
    off_t                                 written;
    ngx_http_push_approval_writer_t      *w;
    ngx_http_push_approval_writers_sh_t  *sh;

    if (ngx_http_push_approval_writers_zone == NULL) {
        return 0;
    }

    sh = ngx_http_push_approval_writers_zone->data;

    ngx_http_push_approval_writers_lock();

    w = ngx_http_push_approval_writers_find(sh, writer, len);
    written = w ? w->written : 0;

    ngx_http_push_approval_writers_unlock();

    return written;
}


static ngx_http_push_approval_writer_t *
ngx_http_push_approval_writers_find(ngx_http_push_approval_writers_sh_t *sh,
    u_char *writer, size_t len)
{
    ngx_uint_t                        i;
    ngx_http_push_approval_writer_t  *w;

    for (i = 0; i < NGX_HTTP_PUSH_APPROVAL_WRITERS; i++) {
        w = &sh->slot[i];

        if (w->state != NGX_HTTP_PUSH_APPROVAL_WRITER_FREE
            && w->len == len && ngx_strncmp(w->writer, writer, len) == 0)
        {
            return w;
        }
    }

    return NULL;
}


/*
 * The journal's figures for the metrics, node-wide: bytes written to the
 * writers' files and not yet in the stream, bytes the live writers hold
 * and could not write yet, events shipped, failed writes, lost events.
 */

void
ngx_http_push_approval_writers_stats(ngx_http_push_approval_writers_stats_t *st)
{
    ngx_uint_t                            i;
    ngx_http_push_approval_writer_t      *w;
    ngx_http_push_approval_writers_sh_t  *sh;

    ngx_memzero(st, sizeof(ngx_http_push_approval_writers_stats_t));

    if (ngx_http_push_approval_writers_zone == NULL) {
        return;
    }

    sh = ngx_http_push_approval_writers_zone->data;
    st->shipped = sh->shipped_events;
    st->errors = sh->errors;
    st->lost = sh->lost;

    ngx_http_push_approval_writers_lock();

    for (i = 0; i < NGX_HTTP_PUSH_APPROVAL_WRITERS; i++) {
        w = &sh->slot[i];

        if (w->state != NGX_HTTP_PUSH_APPROVAL_WRITER_FREE
            && w->written > w->shipped_bytes)
        {
            st->backlog += w->written - w->shipped_bytes;
        }

        if (w->state == NGX_HTTP_PUSH_APPROVAL_WRITER_LIVE) {
            st->pending += w->pending;
        }
    }

    ngx_http_push_approval_writers_unlock();
}


/* the journal's failed writes and lost events, node-wide */

void
ngx_http_push_approval_writers_failed(ngx_uint_t writes, ngx_uint_t lost)
{
    ngx_http_push_approval_writers_sh_t  *sh;

    if (ngx_http_push_approval_writers_zone == NULL) {
        return;
    }

    sh = ngx_http_push_approval_writers_zone->data;

    (void) ngx_atomic_fetch_add(&sh->errors, writes);
    (void) ngx_atomic_fetch_add(&sh->lost, lost);
}


