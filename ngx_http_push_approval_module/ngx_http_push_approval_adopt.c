
/*
 * Taking over chains: worker 0 looks at the journal directory every
 * second and ships the files of writers that are no longer there (a
 * reload's old workers, a crashed worker, the workers before a restart).
 * A file whose events are all in the stream is remembered with its size
 * until the next reconnect, when Redis may have lost them.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_adopt.h"
#include "ngx_http_push_approval_line.h"
#include "ngx_http_push_approval_redis.h"
#include "ngx_http_push_approval_ship.h"
#include "ngx_http_push_approval_writers.h"


static void ngx_http_push_approval_adopt_file(u_char *path, size_t len);
static ngx_int_t ngx_http_push_approval_adopt_first(
    ngx_http_push_approval_chain_t *ch);


void
ngx_http_push_approval_adopt_scan(ngx_event_t *ev)
{
    u_char                          path[NGX_HTTP_PUSH_APPROVAL_WRITER_PATH];
    size_t                          len;
    ngx_dir_t                       dir;
    ngx_http_push_approval_ship_t  *sh = ev->data;

    if (sh != ngx_http_push_approval_ship) {
        return;
    }

    if (!ngx_exiting && !ngx_terminate) {
        ngx_add_timer(&sh->scan, NGX_HTTP_PUSH_APPROVAL_SHIP_SCAN);
    }

    if (!ngx_http_push_approval_redis_is_up()) {
        return;
    }

    if (ngx_open_dir(&sh->dir, &dir) == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ERR, ev->log, ngx_errno,
                      ngx_open_dir_n " \"%V\" failed", &sh->dir);
        return;
    }

    while (ngx_read_dir(&dir) == NGX_OK) {
        len = ngx_de_namelen(&dir);

        if (len < sizeof("journal-.ndjson") || len > 64
            || ngx_strncmp(ngx_de_name(&dir), "journal-", 8) != 0
            || ngx_strcmp(ngx_de_name(&dir) + len - 7, ".ndjson") != 0
            || sh->dir.len + len + 2 > NGX_HTTP_PUSH_APPROVAL_WRITER_PATH)
        {
            continue;
        }

        ngx_sprintf(path, "%V/%*s%Z", &sh->dir, len, ngx_de_name(&dir));
        ngx_http_push_approval_adopt_file(path, sh->dir.len + 1 + len);
    }

    (void) ngx_close_dir(&dir);

    ngx_http_push_approval_ship_now();
}


/* a file of no live writer, not known to be shipped: a chain to take over */

static void
ngx_http_push_approval_adopt_file(u_char *path, size_t len)
{
    ngx_uint_t                       i;
    ngx_file_info_t                  fi;
    ngx_http_push_approval_done_t   *done;
    ngx_http_push_approval_ship_t   *sh;
    ngx_http_push_approval_chain_t  *ch, *free;

    sh = ngx_http_push_approval_ship;

    if (ngx_http_push_approval_writers_live(path, len)
        || ngx_file_info(path, &fi) == NGX_FILE_ERROR)
    {
        return;
    }

    done = sh->done.elts;

    for (i = 0; i < sh->done.nelts; i++) {
        if (ngx_strcmp(done[i].path, path) == 0
            && done[i].size == ngx_file_size(&fi))
        {
            return;
        }
    }

    free = NULL;

    for (i = 0; i < NGX_HTTP_PUSH_APPROVAL_SHIP_CHAINS; i++) {
        ch = &sh->chain[i];

        if (!ch->used) {
            free = free ? free : ch;
            continue;
        }

        if (ngx_strcmp(ch->path, path) == 0) {
            return;
        }
    }

    if (free == NULL) {
        return;     /* the next look, when a chain is done */
    }

    ch = free;
    ngx_memzero(ch, sizeof(ngx_http_push_approval_chain_t));
    ch->fd = NGX_INVALID_FILE;
    ngx_memcpy(ch->path, path, len + 1);

    if (ngx_http_push_approval_adopt_first(ch) != NGX_OK) {
        ngx_http_push_approval_adopt_finish(ch);
        return;
    }

    ch->used = 1;
}


/* the writer of a chain taken over, from its first line */

static ngx_int_t
ngx_http_push_approval_adopt_first(ngx_http_push_approval_chain_t *ch)
{
    u_char                           *eol;
    ssize_t                           n;
    ngx_file_info_t                   fi;
    ngx_http_push_approval_ship_t    *sh;
    ngx_http_push_approval_fields_t   f;

    sh = ngx_http_push_approval_ship;

    if (ngx_http_push_approval_ship_open(ch) != NGX_OK) {
        return NGX_ERROR;
    }

    n = pread(ch->fd, sh->buf, 16384, 0);

    eol = n > 0 ? ngx_strlchr(sh->buf, sh->buf + n, '\n') : NULL;

    if (eol == NULL
        || ngx_http_push_approval_line_parse(sh->buf, eol, sh->dec, &f)
           != NGX_OK
        || f.writer.len > sizeof(ch->writer))
    {
        return NGX_ERROR;
    }

    ch->writer_len = f.writer.len;
    ngx_memcpy(ch->writer, f.writer.data, f.writer.len);

    /* the file is the end of the chain: what the writer wrote before it */

    if (ngx_fd_info(ch->fd, &fi) != NGX_FILE_ERROR) {
        ch->base = ngx_http_push_approval_writers_written(ch->writer,
                                                          ch->writer_len)
                   - ngx_file_size(&fi);
        ch->base = ngx_max(ch->base, 0);
    }

    return NGX_OK;
}


/* a chain taken over is in the stream to its end (or its torn line) */

void
ngx_http_push_approval_adopt_finish(ngx_http_push_approval_chain_t *ch)
{
    ngx_file_info_t                 fi;
    ngx_http_push_approval_done_t  *done;
    ngx_http_push_approval_ship_t  *sh;

    sh = ngx_http_push_approval_ship;

    if (ngx_file_info(ch->path, &fi) != NGX_FILE_ERROR) {
        done = ngx_array_push(&sh->done);

        if (done) {
            ngx_cpystrn(done->path, ch->path, sizeof(done->path));
            done->size = ngx_file_size(&fi);
        }
    }

    ngx_http_push_approval_ship_close(ch);
    ch->used = 0;
}
