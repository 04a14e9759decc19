
/*
 * The journal: the embedded, append-only audit sink.  Each worker is one
 * writer with its own hash chain (seq counts up from 1, prev is the SHA-256
 * of the writer's previous line) in its own NDJSON file.  Events are
 * buffered and written with one write(2) by the end of the event-loop
 * cycle in which they happened (a posted event), fsync'ed first with
 * sync=fsync.  A file renamed away (log rotation, then USR1) is noticed
 * within a second and the chain goes on in a new file.
 *
 * A write that fails (disk full, EFBIG, EIO, a short write) loses nothing
 * and never glues two lines: what did not reach the file stays in the
 * buffer, a partly written line is cut off the file again (ftruncate) and
 * written whole later, and a timer retries while anything is pending.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_journal.h"
#include "ngx_http_push_approval_audit.h"
#include "ngx_http_push_approval_escape.h"
#include "ngx_http_push_approval_ship.h"
#include "ngx_http_push_approval_text.h"
#include "ngx_http_push_approval_writers.h"
#include "ngx_http_push_approval_zone.h"

#include <openssl/sha.h>


/*
 * A batch is written past FLUSH; the rest is room for events that come
 * while the zone's mutex is held, when nothing may be written.
 */
#define NGX_HTTP_PUSH_APPROVAL_JOURNAL_BUF   (1024 * 1024)
#define NGX_HTTP_PUSH_APPROVAL_JOURNAL_FLUSH (128 * 1024)

/* kept for the events that are confirmed only once written (revocations) */
#define NGX_HTTP_PUSH_APPROVAL_JOURNAL_RESERVE (64 * 1024)
#define NGX_HTTP_PUSH_APPROVAL_JOURNAL_RETRY 1000
#define NGX_HTTP_PUSH_APPROVAL_JOURNAL_LOG   10    /* s between [error]s */
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
    ngx_event_t                   retry;        /* while writes fail */
    ngx_uint_t                    failing;
    ngx_uint_t                    midline;      /* the file ends torn */
    ngx_uint_t                    failed;       /* writes, not yet logged */
    ngx_uint_t                    lost;         /* events, ever */
    ngx_uint_t                    lost_logged;
    time_t                        logged;
    ngx_uint_t                    events;
    ngx_uint_t                    since;        /* the last checkpoint */
    ngx_uint_t                    hold;         /* no write(2) now */
    void                         *pkey;         /* the audit key */
    u_char                       *kid;
    ngx_atomic_t                 *counter;      /* in the first zone */
} ngx_http_push_approval_journal_t;


static ngx_int_t ngx_http_push_approval_journal_flush(void);
static void ngx_http_push_approval_journal_flush_handler(ngx_event_t *ev);
static void ngx_http_push_approval_journal_check(ngx_event_t *ev);
static ngx_int_t ngx_http_push_approval_journal_open(ngx_cycle_t *cycle,
    ngx_uint_t level);
static void ngx_http_push_approval_journal_sync_dir(ngx_cycle_t *cycle);
static ngx_int_t ngx_http_push_approval_journal_write(ngx_err_t *err);
static void ngx_http_push_approval_journal_cut(size_t torn, ngx_err_t *err);
static void ngx_http_push_approval_journal_failed(ngx_err_t err,
    const char *what);
static void ngx_http_push_approval_journal_retry(ngx_event_t *ev);
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

    j->retry.handler = ngx_http_push_approval_journal_retry;
    j->retry.log = cycle->log;
    j->retry.data = j;
    j->retry.cancelable = 1;

    /* a file over RLIMIT_FSIZE is a failed write, not a dead worker */
    (void) signal(SIGXFSZ, SIG_IGN);

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

    if (ngx_http_push_approval_journal_open(cycle, NGX_LOG_CRIT) != NGX_OK) {
        ngx_http_push_approval_journal = NULL;
        return NGX_ERROR;
    }

    ngx_add_timer(&j->check, NGX_HTTP_PUSH_APPROVAL_CHECK_FILE);

    return NGX_OK;
}


/* after a rotation a failure is retried each second: an [error] every 10 s */

static ngx_int_t
ngx_http_push_approval_journal_open(ngx_cycle_t *cycle, ngx_uint_t level)
{
    ngx_fd_t                           fd;
    ngx_http_push_approval_journal_t  *j;

    j = ngx_http_push_approval_journal;

    fd = ngx_open_file(j->path.data, NGX_FILE_APPEND,
                       NGX_FILE_CREATE_OR_OPEN, 0640);
    if (fd == NGX_INVALID_FILE) {
        if (level == NGX_LOG_CRIT
            || ngx_time() - j->logged >= NGX_HTTP_PUSH_APPROVAL_JOURNAL_LOG)
        {
            ngx_log_error(level, cycle->log, ngx_errno,
                          ngx_open_file_n " \"%s\" failed", j->path.data);
            j->logged = ngx_time();
        }

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

    if (ngx_http_push_approval_journal_flush() != NGX_OK && j->len) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "push_approval: the worker exits with %uz bytes of "
                      "audit events not written to the journal \"%s\"",
                      j->len, j->path.data);
    }

    ngx_http_push_approval_writers_leave();

    if (j->check.timer_set) {
        ngx_del_timer(&j->check);
    }

    if (j->retry.timer_set) {
        ngx_del_timer(&j->retry);
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

    ngx_http_push_approval_journal_line(event, fields,
                                        ngx_strcmp(event, "revoked") == 0
                                        ? 2 : 0);

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


/* sign: 1 signs the line; 2 lets it into the buffer's reserve */

static void
ngx_http_push_approval_journal_line(const char *event, ngx_str_t *fields,
    ngx_uint_t sign)
{
    u_char                            *p, *q, *line;
    u_char                             hash[SHA256_DIGEST_LENGTH];
    size_t                             len;
    SHA256_CTX                         sha;
    ngx_time_t                        *tp;
    size_t                             room;
    ngx_http_push_approval_journal_t  *j;

    j = ngx_http_push_approval_journal;

    room = NGX_HTTP_PUSH_APPROVAL_JOURNAL_BUF;

    if (sign != 2) {
        room -= NGX_HTTP_PUSH_APPROVAL_JOURNAL_RESERVE;
    }

    sign = (sign == 1);

    len = sizeof("{\"v\":1,\"ts\":,\"event\":\"\",\"eid\":\"/\","
                 "\"writer\":\"\",\"seq\":,\"node\":\"\",\"prev\":\"\",}\n")
          + NGX_INT64_LEN * 3 + ngx_strlen(event) + 2 * j->writer.len
          + j->node.len
          + sizeof(j->prev) + fields->len
          + (sign ? sizeof(",\"sig\":\"\"") + 86 : 0);

    if (!j->hold && !j->failing
        && j->len + len > NGX_HTTP_PUSH_APPROVAL_JOURNAL_FLUSH)
    {
        (void) ngx_http_push_approval_journal_flush();
    }

    if (j->len + len > room) {
        /* counted, and logged with the failing writes that caused it */
        j->lost++;
        ngx_http_push_approval_writers_failed(0, 1);

        if (!j->failing) {
            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                          "push_approval: no room for a %s event of %uz "
                          "bytes in the journal buffer, the event is lost",
                          event, len);
        }

        return;
    }

    tp = ngx_timeofday();
    j->seq++;

    line = j->buf + j->len;

    /* by hand, not ngx_sprintf(): this runs for every request served */

    p = ngx_http_push_approval_journal_lit(line, "{\"v\":1,\"ts\":");
    p = ngx_http_push_approval_text_uint(p, (uint64_t) tp->sec * 1000
                                             + tp->msec, 1);
    p = ngx_http_push_approval_journal_lit(p, ",\"event\":\"");
    p = ngx_cpymem(p, event, ngx_strlen(event));
    p = ngx_http_push_approval_journal_lit(p, "\",\"eid\":\"");
    p = ngx_cpymem(p, j->writer.data, j->writer.len);
    *p++ = '/';
    p = ngx_http_push_approval_text_uint(p, j->seq, 1);
    p = ngx_http_push_approval_journal_lit(p, "\",\"writer\":\"");
    p = ngx_cpymem(p, j->writer.data, j->writer.len);
    p = ngx_http_push_approval_journal_lit(p, "\",\"seq\":");
    p = ngx_http_push_approval_text_uint(p, j->seq, 1);
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
    ngx_http_push_approval_journal_t  *j;

    j = ngx_http_push_approval_journal;

    /* while the disk fails, the retry timer writes, not every cycle */

    if (j && !j->failing) {
        (void) ngx_http_push_approval_journal_flush();
    }
}


/* NGX_OK: all that was buffered is in the file (and on disk with fsync) */

static ngx_int_t
ngx_http_push_approval_journal_flush(void)
{
    off_t                              before;
    ngx_int_t                          rc;
    ngx_err_t                          err;
    ngx_http_push_approval_journal_t  *j;

    j = ngx_http_push_approval_journal;

    if (j == NULL) {
        return NGX_OK;
    }

    if (j->flush.posted) {
        ngx_delete_posted_event(&j->flush);
    }

    if (j->len == 0) {
        j->failing = 0;
        return NGX_OK;
    }

    before = j->len;
    rc = ngx_http_push_approval_journal_write(&err);

    if (rc == NGX_OK && j->fsync && fdatasync(j->fd) == -1) {
        err = ngx_errno;
        rc = NGX_ERROR;
        ngx_http_push_approval_journal_failed(err, "fdatasync()");

    } else if (rc != NGX_OK) {
        ngx_http_push_approval_journal_failed(err, "write()");
    }

    if (j->len == 0) {
        ngx_http_push_approval_writers_wrote(j->seq, j->prev, before, 0);

    } else {
        ngx_http_push_approval_writers_wrote(0, NULL, before - j->len,
                                             j->len);
    }

    if ((size_t) before != j->len) {
        ngx_http_push_approval_ship_wrote();
    }

    if (rc == NGX_OK && j->failing) {
        j->failing = 0;
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "push_approval: the journal \"%s\" is written again, "
                      "nothing pending", j->path.data);
    }

    return rc;
}


/*
 * The one blocking write the module allows itself: small, local, batched.
 * What was not written stays at the start of the buffer; the file ends
 * with a whole line unless cutting a torn one off failed (midline).
 */

static ngx_int_t
ngx_http_push_approval_journal_write(ngx_err_t *err)
{
    size_t                             done, whole;
    ssize_t                            n;
    ngx_http_push_approval_journal_t  *j;

    j = ngx_http_push_approval_journal;
    done = 0;
    *err = 0;

    while (done < j->len) {
        n = write(j->fd, j->buf + done, j->len - done);

        if (n == -1 && ngx_errno == NGX_EINTR) {
            continue;
        }

        if (n <= 0) {
            *err = (n == -1) ? ngx_errno : 0;
            break;
        }

        done += n;
    }

    if (done == j->len) {
        j->len = 0;
        j->midline = 0;
        return NGX_OK;
    }

    if (j->midline) {
        if (ngx_strlchr(j->buf, j->buf + done, '\n') == NULL) {
            goto keep;
        }

        j->midline = 0;     /* the torn line is finished */
    }

    for (whole = done; whole && j->buf[whole - 1] != '\n'; whole--) {
        /* void */
    }

    if (whole != done) {
        ngx_http_push_approval_journal_cut(done - whole, err);
        done = j->midline ? done : whole;
    }

keep:

    ngx_memmove(j->buf, j->buf + done, j->len - done);
    j->len -= done;

    return NGX_ERROR;
}


/* the torn end of the file off again, or else the line finished later */

static void
ngx_http_push_approval_journal_cut(size_t torn, ngx_err_t *err)
{
    ngx_file_info_t                    fi;
    ngx_http_push_approval_journal_t  *j;

    j = ngx_http_push_approval_journal;

    if (ngx_fd_info(j->fd, &fi) != NGX_FILE_ERROR
        && ngx_file_size(&fi) >= (off_t) torn
        && ftruncate(j->fd, ngx_file_size(&fi) - torn) == 0)
    {
        return;
    }

    if (*err == 0) {
        *err = ngx_errno;
    }

    j->midline = 1;
}


/* rate-limited [error]s, a metric, and the retry timer */

static void
ngx_http_push_approval_journal_failed(ngx_err_t err, const char *what)
{
    ngx_http_push_approval_journal_t  *j;

    j = ngx_http_push_approval_journal;

    j->failed++;
    ngx_http_push_approval_writers_failed(1, 0);

    if (!j->failing
        || ngx_time() - j->logged >= NGX_HTTP_PUSH_APPROVAL_JOURNAL_LOG)
    {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, err,
                      "push_approval: %s to the journal \"%s\" failed "
                      "(%ui time(s) since the last report), %uz bytes of "
                      "audit events kept to be written again, %ui event(s) "
                      "lost for want of room", what, j->path.data,
                      j->failed, j->len, j->lost - j->lost_logged);
        j->logged = ngx_time();
        j->failed = 0;
        j->lost_logged = j->lost;
    }

    j->failing = 1;

    if (!j->retry.timer_set && !ngx_exiting && !ngx_terminate) {
        ngx_add_timer(&j->retry, NGX_HTTP_PUSH_APPROVAL_JOURNAL_RETRY);
    }
}


static void
ngx_http_push_approval_journal_retry(ngx_event_t *ev)
{
    (void) ngx_http_push_approval_journal_flush();
}


/*
 * For an event that is confirmed only once it is in the journal: mark()
 * before it, confirm() after it writes the buffer out now.
 */

ngx_uint_t
ngx_http_push_approval_journal_mark(void)
{
    return ngx_http_push_approval_journal
           ? ngx_http_push_approval_journal->lost : 0;
}


ngx_int_t
ngx_http_push_approval_journal_confirm(ngx_uint_t mark)
{
    ngx_http_push_approval_journal_t  *j;

    j = ngx_http_push_approval_journal;

    if (j == NULL) {
        return NGX_OK;
    }

    if (j->lost != mark) {
        return NGX_ERROR;
    }

    return ngx_http_push_approval_journal_flush();
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

    /* a torn line is finished in its own file first */

    if (!j->midline
        && (ngx_file_info(j->path.data, &fi) == NGX_FILE_ERROR
            || ngx_fd_info(j->fd, &ofi) == NGX_FILE_ERROR
            || ngx_file_uniq(&fi) != ngx_file_uniq(&ofi)))
    {
        (void) ngx_http_push_approval_journal_flush();

        if (!j->midline) {
            (void) ngx_http_push_approval_journal_open(ev->data,
                                                       NGX_LOG_ERR);
        }
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
