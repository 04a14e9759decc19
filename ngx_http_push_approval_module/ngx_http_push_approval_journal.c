
/*
 * The journal: the embedded, append-only audit sink.  Each worker is one
 * writer with its own hash chain (seq counts up from 1, prev is the SHA-256
 * of the writer's previous line) in its own NDJSON file.  Events are
 * buffered and written with one write(2) by the end of the event-loop
 * cycle in which they happened (a posted event), fsync'ed first with
 * sync=fsync.  A file renamed away (log rotation, then USR1) is noticed
 * within a second and the chain goes on in a new file.
 */


#include "ngx_http_push_approval_module.h"

#include <openssl/sha.h>


/*
 * A batch is written past FLUSH; the rest is room for events that come
 * while the zone's mutex is held, when nothing may be written.
 */
#define NGX_HTTP_PUSH_APPROVAL_JOURNAL_BUF   (256 * 1024)
#define NGX_HTTP_PUSH_APPROVAL_JOURNAL_FLUSH (128 * 1024)
#define NGX_HTTP_PUSH_APPROVAL_CHECK_FILE    1000
#define NGX_HTTP_PUSH_APPROVAL_CHECKPOINT    1000    /* lines */
#define NGX_HTTP_PUSH_APPROVAL_HEADS_MAX     (16 * 1024)

#define ngx_http_push_approval_journal_lit(p, s)                              \
    ngx_cpymem(p, s, sizeof(s) - 1)


typedef struct {
    ngx_fd_t                      fd;
    ngx_str_t                     path;         /* of the current file */
    ngx_str_t                     writer;       /* node:pid:start */
    ngx_str_t                     node;         /* JSON-escaped */
    uint64_t                      seq;
    u_char                        prev[SHA256_DIGEST_LENGTH * 2];
    u_char                       *buf;
    size_t                        len;
    ngx_uint_t                    fsync;
    ngx_event_t                   flush;        /* posted */
    ngx_event_t                   check;        /* rotation timer */
    ngx_uint_t                    events;
    ngx_uint_t                    since;        /* the last checkpoint */
    ngx_uint_t                    hold;         /* no write(2) now */
    void                         *pkey;         /* the audit key */
    u_char                       *kid;
    ngx_atomic_t                 *counter;      /* in the first zone */
} ngx_http_push_approval_journal_t;


static void ngx_http_push_approval_journal_flush_handler(ngx_event_t *ev);
static void ngx_http_push_approval_journal_check(ngx_event_t *ev);
static ngx_int_t ngx_http_push_approval_journal_open(ngx_cycle_t *cycle);
static void ngx_http_push_approval_journal_sync_dir(ngx_cycle_t *cycle);
static void ngx_http_push_approval_journal_write(u_char *p, size_t len);
static void ngx_http_push_approval_journal_line(const char *event,
    ngx_str_t *fields, ngx_uint_t sign);
static void ngx_http_push_approval_journal_checkpoint(void);


static ngx_http_push_approval_journal_t  *ngx_http_push_approval_journal;


ngx_int_t
ngx_http_push_approval_journal_init(ngx_cycle_t *cycle)
{
    u_char                              *p;
    ngx_time_t                          *tp;
    ngx_http_push_approval_journal_t    *j;
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_push_approval_module);
    if (pmcf == NULL || pmcf->journal == NULL) {
        return NGX_OK;
    }

    j = ngx_pcalloc(cycle->pool, sizeof(ngx_http_push_approval_journal_t));
    if (j == NULL) {
        return NGX_ERROR;
    }

    j->buf = ngx_palloc(cycle->pool, NGX_HTTP_PUSH_APPROVAL_JOURNAL_BUF);
    if (j->buf == NULL) {
        return NGX_ERROR;
    }

    tp = ngx_timeofday();

    j->writer.data = ngx_pnalloc(cycle->pool, pmcf->node.len + 2
                                              + NGX_INT64_LEN * 2);
    if (j->writer.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(j->writer.data, "%V:%P:%M", &pmcf->node, ngx_pid,
                    (ngx_msec_t) tp->sec * 1000 + tp->msec);
    j->writer.len = p - j->writer.data;

    j->path.data = ngx_pnalloc(cycle->pool, pmcf->journal->name.len
                                            + sizeof("/journal-.ndjson")
                                            + NGX_INT64_LEN * 2);
    if (j->path.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(j->path.data, "%V/journal-%P-%M.ndjson%Z",
                    &pmcf->journal->name, ngx_pid,
                    (ngx_msec_t) tp->sec * 1000 + tp->msec);
    j->path.len = p - 1 - j->path.data;

    ngx_memset(j->prev, '0', sizeof(j->prev));
    j->node.data = ngx_pnalloc(cycle->pool,
                               ngx_http_push_approval_json_len(&pmcf->node));
    if (j->node.data == NULL) {
        return NGX_ERROR;
    }

    j->node.len = ngx_http_push_approval_json_escape(j->node.data, &pmcf->node)
                  - j->node.data;

    j->fsync = pmcf->journal_fsync;
    j->pkey = pmcf->audit_pkey;
    j->kid = pmcf->audit_kid;
    j->fd = NGX_INVALID_FILE;

    j->flush.handler = ngx_http_push_approval_journal_flush_handler;
    j->flush.log = cycle->log;
    j->flush.data = j;

    j->check.handler = ngx_http_push_approval_journal_check;
    j->check.log = cycle->log;
    j->check.data = cycle;
    j->check.cancelable = 1;

    if (pmcf->zones.nelts) {
        j->counter = &((ngx_http_push_approval_zone_t **)
                       pmcf->zones.elts)[0]->sh->journal_events;
    }

    ngx_http_push_approval_journal = j;

    if (ngx_http_push_approval_writers_join(&j->writer, &j->path) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "push_approval: no slot in the writers' zone");
    }

    if (ngx_http_push_approval_ship_init(cycle, &j->writer, &j->path)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_push_approval_journal_open(cycle) != NGX_OK) {
        ngx_http_push_approval_journal = NULL;
        return NGX_ERROR;
    }

    ngx_add_timer(&j->check, NGX_HTTP_PUSH_APPROVAL_CHECK_FILE);

    return NGX_OK;
}


static ngx_int_t
ngx_http_push_approval_journal_open(ngx_cycle_t *cycle)
{
    ngx_fd_t                           fd;
    ngx_http_push_approval_journal_t  *j;

    j = ngx_http_push_approval_journal;

    fd = ngx_open_file(j->path.data, NGX_FILE_APPEND,
                       NGX_FILE_CREATE_OR_OPEN, 0640);
    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_CRIT, cycle->log, ngx_errno,
                      ngx_open_file_n " \"%s\" failed", j->path.data);
        return NGX_ERROR;
    }

    if (j->fd != NGX_INVALID_FILE) {
        (void) ngx_close_file(j->fd);
    }

    j->fd = fd;

    if (j->fsync) {
        ngx_http_push_approval_journal_sync_dir(cycle);
    }

    return NGX_OK;
}


/* with sync=fsync a new file's name is on disk too, not only its lines */

static void
ngx_http_push_approval_journal_sync_dir(ngx_cycle_t *cycle)
{
    ngx_fd_t                             fd;
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_push_approval_module);

    fd = ngx_open_file(pmcf->journal->name.data, NGX_FILE_RDONLY,
                       NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                      ngx_open_file_n " \"%V\" failed",
                      &pmcf->journal->name);
        return;
    }

    if (fsync(fd) == -1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                      "fsync() of \"%V\" failed", &pmcf->journal->name);
    }

    (void) ngx_close_file(fd);
}


/* the last event of a writer, written at once */

void
ngx_http_push_approval_journal_exit(ngx_cycle_t *cycle)
{
    ngx_http_push_approval_journal_t  *j;

    j = ngx_http_push_approval_journal;

    if (j == NULL) {
        return;
    }

    ngx_http_push_approval_ship_exit();
    ngx_http_push_approval_journal_flush();
    ngx_http_push_approval_writers_leave();

    if (j->check.timer_set) {
        ngx_del_timer(&j->check);
    }

    if (j->fd != NGX_INVALID_FILE) {
        (void) ngx_close_file(j->fd);
        j->fd = NGX_INVALID_FILE;
    }

    ngx_http_push_approval_journal = NULL;
}


ngx_uint_t
ngx_http_push_approval_journal_on(void)
{
    return ngx_http_push_approval_journal != NULL;
}


/*
 * Appends one event.  fields is the JSON of the event's own fields,
 * "\"k\":\"v\",..." already escaped, or empty.  The chain fields come first.
 * A checkpoint follows the first and last events of a chain and every
 * NGX_HTTP_PUSH_APPROVAL_CHECKPOINT lines.
 */

void
ngx_http_push_approval_journal_event(const char *event, ngx_str_t *fields)
{
    ngx_http_push_approval_journal_t  *j;

    j = ngx_http_push_approval_journal;

    if (j == NULL) {
        return;
    }

    ngx_http_push_approval_journal_line(event, fields, 0);

    if (++j->since >= NGX_HTTP_PUSH_APPROVAL_CHECKPOINT
        || ngx_strncmp(event, "writer_", sizeof("writer_") - 1) == 0)
    {
        ngx_http_push_approval_journal_checkpoint();
    }
}


/* "key" and "heads", signed by the line itself */

static void
ngx_http_push_approval_journal_checkpoint(void)
{
    u_char                            *p;
    ngx_str_t                          fields;
    ngx_http_push_approval_journal_t  *j;
    static u_char
                      buf[NGX_HTTP_PUSH_APPROVAL_HEADS_MAX + 64];

    j = ngx_http_push_approval_journal;
    j->since = 0;

    if (j->pkey == NULL) {
        return;
    }

    p = ngx_sprintf(buf, "\"key\":\"%*s\",\"heads\":\"",
                    (size_t) NGX_HTTP_PUSH_APPROVAL_AUDIT_KID, j->kid);
    fields.data = buf;
    fields.len = p - buf;

    p = ngx_http_push_approval_writers_heads(p,
                                        buf + NGX_HTTP_PUSH_APPROVAL_HEADS_MAX);

    if ((size_t) (p - buf) == fields.len) {
        fields.len -= sizeof(",\"heads\":\"") - 1;     /* none: left out */

    } else {
        *p++ = '"';
        fields.len = p - buf;
    }

    ngx_http_push_approval_journal_line("checkpoint", &fields, 1);
}


static void
ngx_http_push_approval_journal_line(const char *event, ngx_str_t *fields,
    ngx_uint_t sign)
{
    u_char                            *p, *q, *line;
    u_char                             hash[SHA256_DIGEST_LENGTH];
    size_t                             len;
    SHA256_CTX                         sha;
    ngx_time_t                        *tp;
    ngx_http_push_approval_journal_t  *j;

    j = ngx_http_push_approval_journal;

    len = sizeof("{\"v\":1,\"ts\":,\"event\":\"\",\"eid\":\"/\","
                 "\"writer\":\"\",\"seq\":,\"node\":\"\",\"prev\":\"\",}\n")
          + NGX_INT64_LEN * 3 + ngx_strlen(event) + 2 * j->writer.len
          + j->node.len
          + sizeof(j->prev) + fields->len
          + (sign ? sizeof(",\"sig\":\"\"") + 86 : 0);

    if (!j->hold && j->len + len > NGX_HTTP_PUSH_APPROVAL_JOURNAL_FLUSH) {
        ngx_http_push_approval_journal_flush();
    }

    if (j->len + len > NGX_HTTP_PUSH_APPROVAL_JOURNAL_BUF) {
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                      "push_approval: no room for a %s event of %uz bytes "
                      "in the journal buffer, the event is lost", event, len);
        return;
    }

    tp = ngx_timeofday();
    j->seq++;

    line = j->buf + j->len;

    /* by hand, not ngx_sprintf(): this runs for every request served */

    p = ngx_http_push_approval_journal_lit(line, "{\"v\":1,\"ts\":");
    p = ngx_http_push_approval_event_uint(p, (uint64_t) tp->sec * 1000
                                             + tp->msec, 1);
    p = ngx_http_push_approval_journal_lit(p, ",\"event\":\"");
    p = ngx_cpymem(p, event, ngx_strlen(event));
    p = ngx_http_push_approval_journal_lit(p, "\",\"eid\":\"");
    p = ngx_cpymem(p, j->writer.data, j->writer.len);
    *p++ = '/';
    p = ngx_http_push_approval_event_uint(p, j->seq, 1);
    p = ngx_http_push_approval_journal_lit(p, "\",\"writer\":\"");
    p = ngx_cpymem(p, j->writer.data, j->writer.len);
    p = ngx_http_push_approval_journal_lit(p, "\",\"seq\":");
    p = ngx_http_push_approval_event_uint(p, j->seq, 1);
    p = ngx_http_push_approval_journal_lit(p, ",\"node\":\"");
    p = ngx_cpymem(p, j->node.data, j->node.len);
    p = ngx_http_push_approval_journal_lit(p, "\",\"prev\":\"");
    p = ngx_cpymem(p, j->prev, sizeof(j->prev));
    *p++ = '"';

    if (fields->len) {
        *p++ = ',';
        p = ngx_cpymem(p, fields->data, fields->len);
    }

    if (sign) {
        q = ngx_http_push_approval_audit_sign(j->pkey, line, p);

        if (q == NULL) {
            ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                          "push_approval: signing checkpoint %uL failed, "
                          "it is written without a signature", j->seq);
        } else {
            p = q;
        }
    }

    *p++ = '}';

    /*
     * The next line links to this one, without its newline.  SHA256()
     * looks the digest up again on every call in OpenSSL 3, twice the
     * cost of hashing a line with the low-level calls.
     */

    SHA256_Init(&sha);
    SHA256_Update(&sha, line, p - line);
    SHA256_Final(hash, &sha);
    ngx_hex_dump(j->prev, hash, sizeof(hash));

    *p++ = '\n';
    j->len = p - j->buf;
    j->events++;

    if (j->counter) {
        (void) ngx_atomic_fetch_add(j->counter, 1);
    }

    if (!j->flush.posted) {
        ngx_post_event(&j->flush, &ngx_posted_events);
    }
}


static void
ngx_http_push_approval_journal_flush_handler(ngx_event_t *ev)
{
    ngx_http_push_approval_journal_flush();
}


void
ngx_http_push_approval_journal_flush(void)
{
    ngx_http_push_approval_journal_t  *j;

    j = ngx_http_push_approval_journal;

    if (j == NULL || j->len == 0) {
        return;
    }

    ngx_http_push_approval_journal_write(j->buf, j->len);
    ngx_http_push_approval_writers_wrote(j->seq, j->prev, j->len);
    ngx_http_push_approval_ship_wrote();
    j->len = 0;

    if (j->fsync && fdatasync(j->fd) == -1) {
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, ngx_errno,
                      "fdatasync() of \"%s\" failed", j->path.data);
    }

    if (j->flush.posted) {
        ngx_delete_posted_event(&j->flush);
    }
}


/* the one blocking write the module allows itself: small, local, batched */

static void
ngx_http_push_approval_journal_write(u_char *p, size_t len)
{
    ssize_t                            n;
    ngx_http_push_approval_journal_t  *j;

    j = ngx_http_push_approval_journal;

    while (len) {
        n = write(j->fd, p, len);

        if (n == -1) {
            if (ngx_errno == NGX_EINTR) {
                continue;
            }

            ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, ngx_errno,
                          "write() to the journal \"%s\" failed, %uz bytes "
                          "of audit events lost", j->path.data, len);
            return;
        }

        p += n;
        len -= n;
    }
}


/* log rotation: the file was renamed or removed, go on in a new one */

static void
ngx_http_push_approval_journal_check(ngx_event_t *ev)
{
    ngx_file_info_t                    fi, ofi;
    ngx_http_push_approval_journal_t  *j;

    j = ngx_http_push_approval_journal;

    if (j == NULL) {
        return;
    }

    if (ngx_file_info(j->path.data, &fi) == NGX_FILE_ERROR
        || ngx_fd_info(j->fd, &ofi) == NGX_FILE_ERROR
        || ngx_file_uniq(&fi) != ngx_file_uniq(&ofi))
    {
        ngx_http_push_approval_journal_flush();
        (void) ngx_http_push_approval_journal_open(ev->data);
    }

    ngx_add_timer(ev, NGX_HTTP_PUSH_APPROVAL_CHECK_FILE);
}


void
ngx_http_push_approval_journal_hold(ngx_uint_t on)
{
    if (ngx_http_push_approval_journal) {
        ngx_http_push_approval_journal->hold = on;
    }
}


ngx_uint_t
ngx_http_push_approval_journal_count(void)
{
    return ngx_http_push_approval_journal
           ? ngx_http_push_approval_journal->events : 0;
}
