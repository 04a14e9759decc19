
/*
 * Revocations that outlive a restart.  At start, in the master before the
 * workers fork (init_module), the `revoked` events of the journal that are
 * younger than the longest cookie lifetime (24h) are read back into every
 * zone that this cycle created empty: each becomes a revoked grant that
 * lives as long as the cookies it stops could.  A zone kept across a
 * reload still holds its revocations and is not read into again.
 *
 * The journal is trusted for nothing but revocations, which can only
 * refuse cookies: a line that cannot be read is skipped (one warning per
 * file).  A revocation that finds no room in the zone, or a journal file
 * that cannot be read, is made up for by refusing, until the revocation
 * would have run out, every cookie whose grant the zone does not know.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_recover.h"
#include "ngx_http_push_approval_grant.h"
#include "ngx_http_push_approval_line.h"
#include "ngx_http_push_approval_parse.h"
#include "ngx_http_push_approval_zone.h"

#include <sys/file.h>


#define NGX_HTTP_PUSH_APPROVAL_RECOVER_LINE   (64 * 1024)
#define NGX_HTTP_PUSH_APPROVAL_LOCK_OWNER     1024
#define NGX_HTTP_PUSH_APPROVAL_LOCK_FDS       1024
#define NGX_HTTP_PUSH_APPROVAL_RECOVER_TTL    (24 * 60 * 60)


typedef struct {
    ngx_log_t                        *log;
    ngx_http_push_approval_zone_t   **zones;        /* the empty ones */
    ngx_uint_t                        nzones;
    ngx_uint_t                       *lost;         /* per zone */
    time_t                           *lost_until;   /* per zone */
    time_t                            now;
    uint64_t                          since;        /* ms: older is skipped */
    ngx_uint_t                        recovered;
    u_char                           *buf;
    u_char                           *dec;          /* of a line */

    /* the file being read */
    u_char                           *path;
    ngx_uint_t                        line;
    ngx_uint_t                        bad;
    ngx_uint_t                        first_bad;
} ngx_http_push_approval_recover_t;


/* what recover needs of one line */
static ngx_int_t ngx_http_push_approval_recover_dir(
    ngx_http_push_approval_recover_t *rec, ngx_str_t *dir, ngx_pool_t *pool);
static ngx_uint_t ngx_http_push_approval_recover_name(u_char *name,
    size_t len);
static void ngx_http_push_approval_recover_file(
    ngx_http_push_approval_recover_t *rec);
static ngx_int_t ngx_http_push_approval_recover_read(
    ngx_http_push_approval_recover_t *rec, ngx_fd_t fd);
static void ngx_http_push_approval_recover_line(
    ngx_http_push_approval_recover_t *rec, u_char *p, u_char *last);
static void ngx_http_push_approval_recover_bad(
    ngx_http_push_approval_recover_t *rec);
static void ngx_http_push_approval_recover_lost(
    ngx_http_push_approval_recover_t *rec, ngx_uint_t i, time_t until);
static void ngx_http_push_approval_recover_report(
    ngx_http_push_approval_recover_t *rec, ngx_str_t *dir);
static ngx_int_t ngx_http_push_approval_recover_lock(ngx_cycle_t *cycle,
    ngx_str_t *dir);
static ngx_int_t ngx_http_push_approval_lock_test(ngx_cycle_t *cycle,
    u_char *path);
static ngx_fd_t ngx_http_push_approval_lock_inherited(ngx_fd_t self,
    ngx_file_info_t *fi);
static void ngx_http_push_approval_lock_owner(ngx_fd_t fd, u_char *buf);


static ngx_fd_t          ngx_http_push_approval_lock_fd = NGX_INVALID_FILE;
static ngx_file_info_t   ngx_http_push_approval_lock_fi;


/*
 * init_module: the journal directory is locked first.  Not read back for
 * "nginx -t" (nothing runs on the zones it makes), nor for a cycle whose
 * zones were all kept.  Only an allocation failure or the lock stops
 * nginx; whatever the journal holds never does.
 */

ngx_int_t
ngx_http_push_approval_recover(ngx_cycle_t *cycle)
{
    ngx_int_t                            rc;
    ngx_str_t                            dir;
    ngx_uint_t                           i, n;
    ngx_pool_t                          *pool;
    ngx_http_push_approval_zone_t      **zones;
    ngx_http_push_approval_recover_t     r;
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_push_approval_module);
    if (pmcf == NULL || pmcf->journal == NULL) {
        return NGX_OK;
    }

    if (ngx_http_push_approval_recover_lock(cycle, &pmcf->journal->name)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_test_config) {
        return NGX_OK;
    }

    zones = pmcf->zones.elts;
    n = 0;

    for (i = 0; i < pmcf->zones.nelts; i++) {
        n += zones[i]->fresh;
    }

    if (n == 0) {
        return NGX_OK;
    }

    pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, cycle->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(&r, sizeof(ngx_http_push_approval_recover_t));

    r.log = cycle->log;
    r.now = ngx_time();
    r.since = (uint64_t) (r.now - NGX_HTTP_PUSH_APPROVAL_RECOVER_TTL) * 1000;
    r.zones = ngx_palloc(pool, n * sizeof(ngx_http_push_approval_zone_t *));
    r.lost = ngx_pcalloc(pool, n * sizeof(ngx_uint_t));
    r.lost_until = ngx_pcalloc(pool, n * sizeof(time_t));
    r.buf = ngx_palloc(pool, NGX_HTTP_PUSH_APPROVAL_RECOVER_LINE);
    r.dec = ngx_palloc(pool, NGX_HTTP_PUSH_APPROVAL_RECOVER_LINE);

    if (r.zones == NULL || r.lost == NULL || r.lost_until == NULL
        || r.buf == NULL || r.dec == NULL)
    {
        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    for (i = 0; i < pmcf->zones.nelts; i++) {
        if (zones[i]->fresh) {
            r.zones[r.nzones++] = zones[i];
        }
    }

    dir = pmcf->journal->name;

    rc = ngx_http_push_approval_recover_dir(&r, &dir, pool);

    if (rc == NGX_OK) {
        ngx_http_push_approval_recover_report(&r, &dir);
    }

    ngx_destroy_pool(pool);

    return rc == NGX_ERROR ? NGX_ERROR : NGX_OK;
}


static ngx_int_t
ngx_http_push_approval_recover_dir(ngx_http_push_approval_recover_t *rec,
    ngx_str_t *dir, ngx_pool_t *pool)
{
    u_char      *name, *path;
    size_t       len;
    ngx_dir_t    d;
    ngx_str_t    z;
    ngx_uint_t   i;

    z.len = dir->len;
    z.data = ngx_pnalloc(pool, dir->len + 1);
    if (z.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(z.data, dir->data, dir->len);
    z.data[z.len] = '\0';

    if (ngx_open_dir(&z, &d) == NGX_ERROR) {

        if (ngx_errno == NGX_ENOENT) {
            return NGX_OK;              /* nothing was ever written */
        }

        ngx_log_error(NGX_LOG_ERR, rec->log, ngx_errno,
                      ngx_open_dir_n " \"%s\" failed, revocations cannot be "
                      "read back from the journal", z.data);

        for (i = 0; i < rec->nzones; i++) {
            ngx_http_push_approval_recover_lost(rec, i,
                rec->now + NGX_HTTP_PUSH_APPROVAL_RECOVER_TTL);
        }

        return NGX_OK;
    }

    for ( ;; ) {
        ngx_set_errno(0);

        if (ngx_read_dir(&d) == NGX_ERROR) {
            break;
        }

        name = ngx_de_name(&d);
        len = ngx_de_namelen(&d);

        if (!ngx_http_push_approval_recover_name(name, len)) {
            continue;
        }

        path = ngx_pnalloc(pool, z.len + 1 + len + 1);
        if (path == NULL) {
            (void) ngx_close_dir(&d);
            return NGX_ERROR;
        }

        (void) ngx_sprintf(path, "%V/%*s%Z", &z, len, name);

        rec->path = path;
        ngx_http_push_approval_recover_file(rec);
    }

    if (ngx_errno != NGX_ENOMOREFILES) {
        ngx_log_error(NGX_LOG_ERR, rec->log, ngx_errno,
                      ngx_read_dir_n " \"%s\" failed, revocations may be "
                      "missed", z.data);

        for (i = 0; i < rec->nzones; i++) {
            ngx_http_push_approval_recover_lost(rec, i,
                rec->now + NGX_HTTP_PUSH_APPROVAL_RECOVER_TTL);
        }
    }

    (void) ngx_close_dir(&d);

    return NGX_OK;
}


/*
 * journal-*.ndjson and its rotated names, ".ndjson.N" or ".ndjson-DATE"
 * (digits); compressed files (".gz" and the like) are not read.  name is
 * null-terminated.
 */

static ngx_uint_t
ngx_http_push_approval_recover_name(u_char *name, size_t len)
{
    u_char  *p, *last;

    last = name + len;

    if (len < sizeof("journal-.ndjson") - 1
        || ngx_strncmp(name, "journal-", sizeof("journal-") - 1) != 0)
    {
        return 0;
    }

    p = ngx_strstrn(name + sizeof("journal-") - 1, ".ndjson",
                    sizeof(".ndjson") - 1 - 1);
    if (p == NULL) {
        return 0;
    }

    p += sizeof(".ndjson") - 1;

    if (p == last) {
        return 1;
    }

    if ((*p != '.' && *p != '-') || ++p == last) {
        return 0;
    }

    while (p < last) {
        if (*p < '0' || *p > '9') {
            return 0;
        }

        p++;
    }

    return 1;
}


static void
ngx_http_push_approval_recover_file(ngx_http_push_approval_recover_t *rec)
{
    ngx_fd_t         fd;
    ngx_uint_t       i;
    ngx_file_info_t  fi;

    fd = ngx_open_file(rec->path, NGX_FILE_RDONLY|NGX_FILE_NONBLOCK,
                       NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_ERR, rec->log, ngx_errno,
                      ngx_open_file_n " \"%s\" failed, revocations in it "
                      "cannot be read back", rec->path);
        goto lost;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ERR, rec->log, ngx_errno,
                      ngx_fd_info_n " \"%s\" failed", rec->path);
        (void) ngx_close_file(fd);
        goto lost;
    }

    /* appended to only: a file older than the window has no line in it */

    if (!ngx_is_file(&fi)
        || ngx_file_mtime(&fi) < rec->now - NGX_HTTP_PUSH_APPROVAL_RECOVER_TTL)
    {
        (void) ngx_close_file(fd);
        return;
    }

    rec->line = 0;
    rec->bad = 0;
    rec->first_bad = 0;

    if (ngx_http_push_approval_recover_read(rec, fd) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, rec->log, ngx_errno,
                      ngx_read_fd_n " \"%s\" failed after line %ui",
                      rec->path, rec->line);
        (void) ngx_close_file(fd);
        goto lost;
    }

    (void) ngx_close_file(fd);

    if (rec->bad) {
        ngx_log_error(NGX_LOG_WARN, rec->log, 0,
                      "push_approval: %ui line(s) of the journal \"%s\" "
                      "skipped, malformed or longer than 64k, the first is "
                      "line %ui", rec->bad, rec->path, rec->first_bad);
    }

    return;

lost:

    for (i = 0; i < rec->nzones; i++) {
        ngx_http_push_approval_recover_lost(rec, i,
            rec->now + NGX_HTTP_PUSH_APPROVAL_RECOVER_TTL);
    }
}


/* line by line through one 64k buffer; a longer line is skipped whole */

static ngx_int_t
ngx_http_push_approval_recover_read(ngx_http_push_approval_recover_t *rec,
    ngx_fd_t fd)
{
    u_char      *p, *nl, *last;
    size_t       len;
    ssize_t      n;
    ngx_uint_t   skip;

    len = 0;
    skip = 0;

    for ( ;; ) {
        n = ngx_read_fd(fd, rec->buf + len,
                        NGX_HTTP_PUSH_APPROVAL_RECOVER_LINE - len);

        if (n == -1) {
            if (ngx_errno == NGX_EINTR) {
                continue;
            }

            return NGX_ERROR;
        }

        if (n == 0) {
            break;
        }

        p = rec->buf;
        last = rec->buf + len + n;

        while ((nl = ngx_strlchr(p, last, '\n')) != NULL) {

            if (skip) {
                skip = 0;               /* the end of a long line */

            } else {
                rec->line++;
                ngx_http_push_approval_recover_line(rec, p, nl);
            }

            p = nl + 1;
        }

        len = last - p;

        if (len == NGX_HTTP_PUSH_APPROVAL_RECOVER_LINE) {
            if (!skip) {
                rec->line++;
                ngx_http_push_approval_recover_bad(rec);
                skip = 1;
            }

            len = 0;
            continue;
        }

        ngx_memmove(rec->buf, p, len);
    }

    /* a last line without its newline: torn by a crash, or complete */

    if (len && !skip) {
        rec->line++;
        ngx_http_push_approval_recover_line(rec, rec->buf, rec->buf + len);
    }

    return NGX_OK;
}


static void
ngx_http_push_approval_recover_line(ngx_http_push_approval_recover_t *rec,
    u_char *p, u_char *last)
{
    u_char                            id[NGX_HTTP_PUSH_APPROVAL_ID_BYTES];
    time_t                            expires;
    ngx_int_t                         ts;
    ngx_str_t                        *event, *sid, *sts;
    ngx_uint_t                        i, ok;
    ngx_http_push_approval_fields_t   f;

    /* the journal's own lines: anything else is not read */

    if (ngx_http_push_approval_line_parse(p, last, rec->dec, &f) != NGX_OK) {
        ngx_http_push_approval_recover_bad(rec);
        return;
    }

    event = ngx_http_push_approval_line_field(&f, "event");

    if (event == NULL || event->len != sizeof("revoked") - 1
        || ngx_strncmp(event->data, "revoked", sizeof("revoked") - 1) != 0)
    {
        return;
    }

    sid = ngx_http_push_approval_line_field(&f, "id");
    sts = ngx_http_push_approval_line_field(&f, "ts");
    ts = sts ? ngx_atoi(sts->data, sts->len) : NGX_ERROR;

    if (sid == NULL || ts == NGX_ERROR
        || ngx_http_push_approval_parse_id(sid, id) != NGX_OK)
    {
        ngx_http_push_approval_recover_bad(rec);
        return;
    }

    if ((uint64_t) ts < rec->since) {
        return;
    }

    /* a cookie ends at most its TTL after the decision, before this */

    expires = (time_t) (ts / 1000) + NGX_HTTP_PUSH_APPROVAL_RECOVER_TTL;
    ok = 0;

    for (i = 0; i < rec->nzones; i++) {
        if (ngx_http_push_approval_grant_recover(rec->zones[i], id, expires)
            == NGX_OK)
        {
            ok = 1;

        } else {
            ngx_http_push_approval_recover_lost(rec, i, expires);
        }
    }

    rec->recovered += ok;
}


static void
ngx_http_push_approval_recover_bad(ngx_http_push_approval_recover_t *rec)
{
    if (rec->bad++ == 0) {
        rec->first_bad = rec->line;
    }
}


static void
ngx_http_push_approval_recover_lost(ngx_http_push_approval_recover_t *rec,
    ngx_uint_t i, time_t until)
{
    rec->lost[i]++;

    if (rec->lost_until[i] < until) {
        rec->lost_until[i] = until;
    }
}


static void
ngx_http_push_approval_recover_report(ngx_http_push_approval_recover_t *rec,
    ngx_str_t *dir)
{
    ngx_uint_t  i;

    for (i = 0; i < rec->nzones; i++) {

        if (rec->lost[i] == 0) {
            continue;
        }

        ngx_http_push_approval_grant_distrust(rec->zones[i],
                                              rec->lost_until[i]);

        ngx_log_error(NGX_LOG_ERR, rec->log, 0,
                      "push_approval: zone \"%V\" lost %ui revocation(s) of "
                      "the journal (zone full or file unreadable), cookies "
                      "it has no record of are refused as revoked for %T s",
                      &rec->zones[i]->shm_zone->shm.name, rec->lost[i],
                      rec->lost_until[i] - rec->now);
    }

    ngx_log_error(NGX_LOG_NOTICE, rec->log, 0,
                  "push_approval: %ui revocation(s) read back from the "
                  "journal \"%V\"", rec->recovered, dir);
}


/*
 * A journal directory belongs to one nginx: its master holds an flock()
 * on DIR/lock for its life.  The lock is on the open file, so it outlives
 * the fork into a daemon, is shared by the workers, and is found again by
 * the new binary of an upgrade, which inherits the descriptor.  A reload
 * keeps it, or moves it with the directory.
 */

static ngx_int_t
ngx_http_push_approval_recover_lock(ngx_cycle_t *cycle, ngx_str_t *dir)
{
    u_char           *path, *p;
    ngx_fd_t          fd, inherited;
    ngx_err_t         err;
    ngx_file_info_t   fi;
    u_char            owner[NGX_HTTP_PUSH_APPROVAL_LOCK_OWNER];

    path = ngx_pnalloc(cycle->pool, dir->len + sizeof("/lock"));
    if (path == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(path, "%V/lock%Z", dir);

    if (ngx_test_config) {
        return ngx_http_push_approval_lock_test(cycle, path);
    }

    fd = ngx_open_file(path, NGX_FILE_RDWR, NGX_FILE_CREATE_OR_OPEN, 0600);

    if (fd == NGX_INVALID_FILE || ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_errno,
                      "push_approval: the journal's lock \"%s\" cannot be "
                      "opened", path);
        if (fd != NGX_INVALID_FILE) {
            (void) ngx_close_file(fd);
        }
        return NGX_ERROR;
    }

    if (ngx_http_push_approval_lock_fd != NGX_INVALID_FILE
        && ngx_file_uniq(&fi)
           == ngx_file_uniq(&ngx_http_push_approval_lock_fi)
        && fi.st_dev == ngx_http_push_approval_lock_fi.st_dev)
    {
        (void) ngx_close_file(fd);      /* a reload: locked already */
        return NGX_OK;
    }

    inherited = ngx_inherited
                ? ngx_http_push_approval_lock_inherited(fd, &fi)
                : NGX_INVALID_FILE;

    if (inherited != NGX_INVALID_FILE) {
        (void) ngx_close_file(fd);
        fd = inherited;
    }

    if (flock(fd, LOCK_EX|LOCK_NB) == -1) {
        err = ngx_errno;
        ngx_http_push_approval_lock_owner(fd, owner);
        ngx_log_error(NGX_LOG_EMERG, cycle->log, err,
                      "push_approval: the journal directory \"%V\" is in "
                      "use by another nginx (%s): give each nginx a journal "
                      "directory of its own with \"push_approval_journal\"",
                      dir, owner);
        (void) ngx_close_file(fd);
        return NGX_ERROR;
    }

    p = ngx_snprintf(owner, sizeof(owner), "configuration %V\n",
                     &cycle->conf_file);

    if (ftruncate(fd, 0) == -1 || pwrite(fd, owner, p - owner, 0) == -1) {
        ngx_log_error(NGX_LOG_WARN, cycle->log, ngx_errno,
                      "push_approval: writing \"%s\" failed", path);
    }

    if (ngx_http_push_approval_lock_fd != NGX_INVALID_FILE) {
        (void) ngx_close_file(ngx_http_push_approval_lock_fd);
    }

    ngx_http_push_approval_lock_fd = fd;
    ngx_http_push_approval_lock_fi = fi;

    return NGX_OK;
}


/*
 * nginx -t: the running nginx of this configuration holds the lock; only
 * another one's is worth a warning, since the test would pass and the
 * start fail.
 */

static ngx_int_t
ngx_http_push_approval_lock_test(ngx_cycle_t *cycle, u_char *path)
{
    size_t    len;
    ngx_fd_t  fd;
    u_char    owner[NGX_HTTP_PUSH_APPROVAL_LOCK_OWNER];

    fd = ngx_open_file(path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        return NGX_OK;
    }

    if (flock(fd, LOCK_EX|LOCK_NB) == -1) {
        ngx_http_push_approval_lock_owner(fd, owner);
        len = ngx_strlen(owner);

        if (len != sizeof("configuration ") - 1 + cycle->conf_file.len
            || ngx_strncmp(owner + sizeof("configuration ") - 1,
                           cycle->conf_file.data, cycle->conf_file.len)
               != 0)
        {
            ngx_log_error(NGX_LOG_WARN, cycle->log, 0,
                          "push_approval: the journal's lock \"%s\" is "
                          "held by another nginx (%s), this one would not "
                          "start", path, owner);
        }
    }

    (void) ngx_close_file(fd);

    return NGX_OK;
}


/* the descriptor of the lock that the old binary of an upgrade held */

static ngx_fd_t
ngx_http_push_approval_lock_inherited(ngx_fd_t self, ngx_file_info_t *fi)
{
    int              flags;
    ngx_fd_t         fd;
    ngx_file_info_t  ofi;

    for (fd = 0; fd < NGX_HTTP_PUSH_APPROVAL_LOCK_FDS; fd++) {
        if (fd == self
            || ngx_fd_info(fd, &ofi) == NGX_FILE_ERROR
            || ngx_file_uniq(&ofi) != ngx_file_uniq(fi)
            || ofi.st_dev != fi->st_dev)
        {
            continue;
        }

        flags = fcntl(fd, F_GETFL);

        if (flags != -1 && (flags & O_ACCMODE) == O_RDWR) {
            return fd;
        }
    }

    return NGX_INVALID_FILE;
}


/* "configuration PATH" as the holder wrote it, printable, terminated */

static void
ngx_http_push_approval_lock_owner(ngx_fd_t fd, u_char *buf)
{
    ssize_t  n, i;

    n = pread(fd, buf, NGX_HTTP_PUSH_APPROVAL_LOCK_OWNER - 1, 0);

    for (i = 0; i < n && buf[i] >= 0x20 && buf[i] < 0x7f; i++) {
        /* void */
    }

    if (i == 0) {
        i = ngx_cpymem(buf, "unknown", sizeof("unknown") - 1) - buf;
    }

    buf[i] = '\0';
}
