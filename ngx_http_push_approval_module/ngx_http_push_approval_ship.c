
/*
 * The shipper: journal chains to the Redis stream, in order, exactly once
 * by eid (docs/audit-format.md, "The Redis stream").  The journal is the
 * buffer: a chain is read back from its file, a batch at a time, and one
 * script appends the batch and moves the chain's shipping checkpoint only
 * when the checkpoint is where the batch follows.  Every worker ships its
 * own chain; worker 0 also ships the chains of writers that are gone
 * (reload, crash), found by a look at the journal directory.  A reconnect
 * asks again where every chain is: Redis may have restarted empty.
 * Nothing here runs on a request's path.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_ship.h"
#include "ngx_http_push_approval_adopt.h"
#include "ngx_http_push_approval_line.h"
#include "ngx_http_push_approval_redis.h"
#include "ngx_http_push_approval_writers.h"

#include <hiredis/hiredis.h>


static void ngx_http_push_approval_ship_up(void);
static void ngx_http_push_approval_ship_kick(ngx_event_t *ev);
static void ngx_http_push_approval_ship_gathered(ngx_event_t *ev);
static ngx_int_t ngx_http_push_approval_ship_chain(
    ngx_http_push_approval_chain_t *ch);
static ngx_int_t ngx_http_push_approval_ship_read(
    ngx_http_push_approval_chain_t *ch, ngx_uint_t *argc);
static ngx_uint_t ngx_http_push_approval_ship_gap(
    ngx_http_push_approval_chain_t *ch, ngx_uint_t first,
    ngx_http_push_approval_fields_t *f);
static ngx_uint_t ngx_http_push_approval_ship_args(
    ngx_http_push_approval_fields_t *f, ngx_uint_t a, u_char **decp);
static ngx_int_t ngx_http_push_approval_ship_eof(
    ngx_http_push_approval_chain_t *ch);
static ngx_int_t ngx_http_push_approval_ship_send(
    ngx_http_push_approval_chain_t *ch, ngx_uint_t argc);
static void ngx_http_push_approval_ship_reply(void *reply, void *data);
static ngx_int_t ngx_http_push_approval_ship_valid(redisReply *r);
static void ngx_http_push_approval_ship_account(
    ngx_http_push_approval_chain_t *ch, ngx_uint_t events);
static void ngx_http_push_approval_ship_retry(ngx_event_t *ev);


/*
 * KEYS[1] the stream, KEYS[2] the chain's checkpoint; ARGV[1] the seq the
 * batch follows, ARGV[2] MAXLEN (0: none), ARGV[3] the seq of the batch's
 * last event, then per event the number of its fields and the fields.
 * Returns {1, new checkpoint} or {0, the checkpoint as it is}.
 */

static const char  ngx_http_push_approval_ship_script[] =
    "local cur = tonumber(redis.call('GET', KEYS[2]) or '0')\n"
    "if cur ~= tonumber(ARGV[1]) then return {0, cur} end\n"
    "local i = 4\n"
    "while i <= #ARGV do\n"
    "  local n = tonumber(ARGV[i])\n"
    "  if ARGV[2] == '0' then\n"
    "    redis.call('XADD', KEYS[1], '*', unpack(ARGV, i + 1, i + 2 * n))\n"
    "  else\n"
    "    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*',\n"
    "               unpack(ARGV, i + 1, i + 2 * n))\n"
    "  end\n"
    "  i = i + 1 + 2 * n\n"
    "end\n"
    "redis.call('SET', KEYS[2], ARGV[3])\n"
    "return {1, tonumber(ARGV[3])}\n";


ngx_http_push_approval_ship_t  *ngx_http_push_approval_ship;


ngx_int_t
ngx_http_push_approval_ship_init(ngx_cycle_t *cycle, ngx_str_t *writer,
    ngx_str_t *path)
{
    u_char                              *p;
    ngx_http_push_approval_ship_t       *sh;
    ngx_http_push_approval_chain_t      *ch;
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_push_approval_module);
    if (pmcf == NULL || pmcf->redis == NULL) {
        return NGX_OK;
    }

    sh = ngx_pcalloc(cycle->pool, sizeof(ngx_http_push_approval_ship_t));
    if (sh == NULL) {
        return NGX_ERROR;
    }

    sh->buf = ngx_palloc(cycle->pool, NGX_HTTP_PUSH_APPROVAL_SHIP_BUF);
    sh->dec = ngx_palloc(cycle->pool, NGX_HTTP_PUSH_APPROVAL_SHIP_BUF
                                      + NGX_HTTP_PUSH_APPROVAL_SHIP_BATCH
                                        * NGX_INT_T_LEN);
    sh->argv = ngx_palloc(cycle->pool, NGX_HTTP_PUSH_APPROVAL_SHIP_ARGS
                                       * sizeof(char *));
    sh->argvlen = ngx_palloc(cycle->pool, NGX_HTTP_PUSH_APPROVAL_SHIP_ARGS
                                          * sizeof(size_t));

    if (sh->buf == NULL || sh->dec == NULL || sh->argv == NULL
        || sh->argvlen == NULL
        || ngx_array_init(&sh->done, cycle->pool, 16,
                          sizeof(ngx_http_push_approval_done_t))
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    sh->stream = pmcf->stream;
    sh->dir = pmcf->journal->name;
    sh->maxlen_len = ngx_sprintf(sh->maxlen, "%uz", pmcf->stream_maxlen)
                     - sh->maxlen;

    /* the checkpoints hash to the stream's slot in a Redis Cluster */

    sh->key_prefix.data = ngx_pnalloc(cycle->pool, sh->stream.len
                                                   + sizeof("{}:shipped:"));
    if (sh->key_prefix.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_strlchr(sh->stream.data, sh->stream.data + sh->stream.len, '{');

    if (p && ngx_strlchr(p + 2, sh->stream.data + sh->stream.len, '}')) {
        p = ngx_sprintf(sh->key_prefix.data, "%V:shipped:", &sh->stream);

    } else {
        p = ngx_sprintf(sh->key_prefix.data, "{%V}:shipped:", &sh->stream);
    }

    sh->key_prefix.len = p - sh->key_prefix.data;

    sh->kick.handler = ngx_http_push_approval_ship_kick;
    sh->kick.log = cycle->log;
    sh->kick.data = sh;

    sh->scan.handler = ngx_http_push_approval_adopt_scan;
    sh->scan.log = cycle->log;
    sh->scan.data = sh;
    sh->scan.cancelable = 1;

    sh->gather.handler = ngx_http_push_approval_ship_gathered;
    sh->gather.log = cycle->log;
    sh->gather.data = sh;
    sh->gather.cancelable = 1;

    sh->retry.handler = ngx_http_push_approval_ship_retry;
    sh->retry.log = cycle->log;
    sh->retry.data = sh;
    sh->retry.cancelable = 1;

    ch = &sh->chain[0];
    ch->used = 1;
    ch->own = 1;
    ch->fd = NGX_INVALID_FILE;
    ch->writer_len = ngx_min(writer->len, sizeof(ch->writer));
    ngx_memcpy(ch->writer, writer->data, ch->writer_len);
    ngx_cpystrn(ch->path, path->data, ngx_min(path->len + 1,
                                              sizeof(ch->path)));

    ngx_http_push_approval_ship = sh;

    return ngx_http_push_approval_redis_init(cycle, pmcf->redis,
                                             ngx_http_push_approval_ship_up);
}


void
ngx_http_push_approval_ship_exit(void)
{
    ngx_uint_t                      i;
    ngx_http_push_approval_ship_t  *sh;

    sh = ngx_http_push_approval_ship;

    if (sh == NULL) {
        return;
    }

    ngx_http_push_approval_ship = NULL;     /* replies now find nothing */

    ngx_http_push_approval_redis_exit();

    ngx_http_push_approval_event_cancel(&sh->kick);
    ngx_http_push_approval_event_cancel(&sh->scan);
    ngx_http_push_approval_event_cancel(&sh->retry);
    ngx_http_push_approval_event_cancel(&sh->gather);

    for (i = 0; i < NGX_HTTP_PUSH_APPROVAL_SHIP_CHAINS; i++) {
        ngx_http_push_approval_ship_close(&sh->chain[i]);
    }
}


/* the journal wrote: there is something to ship */

void
ngx_http_push_approval_ship_wrote(void)
{
    ngx_http_push_approval_ship_t  *sh;

    sh = ngx_http_push_approval_ship;

    /*
     * A batch a cycle costs the worker as much as a request at a moderate
     * load (bench/ship, figure 5): the events of a few milliseconds go
     * together; a full batch goes at once (ship_reply).
     */

    if (sh && !sh->kick.posted && sh->sending == NULL
        && !sh->gather.timer_set)
    {
        ngx_add_timer(&sh->gather, NGX_HTTP_PUSH_APPROVAL_SHIP_GATHER);
    }
}


void
ngx_http_push_approval_ship_now(void)
{
    ngx_http_push_approval_ship_t  *sh;

    sh = ngx_http_push_approval_ship;

    if (sh && !sh->kick.posted && sh->sending == NULL) {
        ngx_post_event(&sh->kick, &ngx_posted_events);
    }
}


static void
ngx_http_push_approval_ship_gathered(ngx_event_t *ev)
{
    ngx_http_push_approval_ship_now();
}


/* (re)connected: Redis may have restarted empty, ask about every chain */

static void
ngx_http_push_approval_ship_up(void)
{
    ngx_uint_t                      i;
    ngx_http_push_approval_ship_t  *sh;

    sh = ngx_http_push_approval_ship;

    if (sh == NULL) {
        return;
    }

    for (i = 0; i < NGX_HTTP_PUSH_APPROVAL_SHIP_CHAINS; i++) {
        sh->chain[i].known = 0;
    }

    sh->done.nelts = 0;
    sh->sending = NULL;

    if (ngx_worker == 0 && !sh->scan.timer_set) {
        ngx_add_timer(&sh->scan, 1);
    }

    ngx_http_push_approval_ship_now();
}


/* one batch in flight a worker: the next chain that has something */

static void
ngx_http_push_approval_ship_kick(ngx_event_t *ev)
{
    ngx_uint_t                       i, n;
    ngx_http_push_approval_ship_t   *sh = ev->data;
    ngx_http_push_approval_chain_t  *ch;

    if (sh != ngx_http_push_approval_ship || sh->sending
        || !ngx_http_push_approval_redis_is_up() || sh->retry.timer_set)
    {
        return;
    }

    for (n = 0; n < NGX_HTTP_PUSH_APPROVAL_SHIP_CHAINS; n++) {
        i = sh->next;
        sh->next = (sh->next + 1) % NGX_HTTP_PUSH_APPROVAL_SHIP_CHAINS;

        ch = &sh->chain[i];

        if (!ch->used || ch->broken) {
            continue;
        }

        if (ngx_http_push_approval_ship_chain(ch) == NGX_OK) {
            return;     /* sent, or more to read in the next cycle */
        }
    }
}


/*
 * NGX_OK: a batch is in flight or the chain wants another look;
 * NGX_DECLINED: nothing to ship now.
 */

static ngx_int_t
ngx_http_push_approval_ship_chain(ngx_http_push_approval_chain_t *ch)
{
    ngx_int_t                       rc;
    ngx_uint_t                      argc;
    ngx_http_push_approval_ship_t  *sh;

    sh = ngx_http_push_approval_ship;

    if (!ch->known) {
        ch->shipped = 0;
        ch->offset = 0;
        sh->batch_events = 0;
        sh->batch_last = 0;
        return ngx_http_push_approval_ship_send(ch, 8);    /* ask */
    }

    rc = ngx_http_push_approval_ship_read(ch, &argc);

    if (rc == NGX_AGAIN) {
        if (!sh->kick.posted) {
            ngx_post_event(&sh->kick, &ngx_posted_events);
        }

        return NGX_OK;
    }

    if (rc != NGX_OK) {
        return NGX_DECLINED;
    }

    if (sh->batch_events) {
        return ngx_http_push_approval_ship_send(ch, argc);
    }

    if (ngx_http_push_approval_ship_eof(ch) != NGX_AGAIN) {
        return NGX_DECLINED;
    }

    if (!sh->kick.posted) {
        ngx_post_event(&sh->kick, &ngx_posted_events);
    }

    return NGX_OK;
}


/*
 * Reads the lines after ch->shipped into the arguments.  NGX_AGAIN: a
 * buffer of lines already in the stream was passed, read on later.
 */

static ngx_int_t
ngx_http_push_approval_ship_read(ngx_http_push_approval_chain_t *ch,
    ngx_uint_t *argc)
{
    u_char                           *p, *last, *eol, *dec, *passed;
    ssize_t                           n;
    uint64_t                          expect;
    ngx_uint_t                        a;
    ngx_http_push_approval_ship_t    *sh;
    ngx_http_push_approval_fields_t   f;

    sh = ngx_http_push_approval_ship;
    sh->batch_events = 0;

    if (ngx_http_push_approval_ship_open(ch) != NGX_OK) {
        return NGX_ERROR;
    }

    n = pread(ch->fd, sh->buf, NGX_HTTP_PUSH_APPROVAL_SHIP_BUF, ch->offset);
    if (n <= 0) {
        return n == 0 ? NGX_OK : NGX_ERROR;
    }

    p = sh->buf;
    passed = p;
    last = sh->buf + n;
    dec = sh->dec;
    a = 8;

    while (sh->batch_events < NGX_HTTP_PUSH_APPROVAL_SHIP_BATCH) {
        eol = ngx_strlchr(p, last, '\n');
        if (eol == NULL) {
            break;      /* not written yet, or a torn last line */
        }

        expect = sh->batch_events ? sh->batch_last + 1 : ch->shipped + 1;

        if (ngx_http_push_approval_line_parse(p, eol, dec, &f) != NGX_OK
            || f.writer.len != ch->writer_len
            || ngx_strncmp(f.writer.data, ch->writer, ch->writer_len) != 0
            || (f.seq < expect && sh->batch_events)
            || (f.seq > expect
                && !ngx_http_push_approval_ship_gap(ch, p == sh->buf, &f)))
        {
            ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                          "push_approval: the line at offset %O of \"%s\" "
                          "is not the next of its chain, shipping of the "
                          "chain stops", ch->offset + (p - sh->buf),
                          ch->path);
            ch->broken = 1;
            return NGX_ERROR;
        }

        p = eol + 1;

        if (f.seq <= ch->shipped) {
            passed = p;         /* in the stream already */
            continue;
        }

        a = ngx_http_push_approval_ship_args(&f, a, &dec);
        sh->batch_events++;
        sh->batch_last = f.seq;
    }

    if (p == sh->buf && n == NGX_HTTP_PUSH_APPROVAL_SHIP_BUF) {
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                      "push_approval: a line of \"%s\" at offset %O is too "
                      "long, shipping of the chain stops", ch->path,
                      ch->offset);
        ch->broken = 1;
        return NGX_ERROR;
    }

    sh->batch_end = ch->offset + (p - sh->buf);

    /* more in the file than this batch: no reason to wait for it */

    sh->batch_more = sh->batch_events == NGX_HTTP_PUSH_APPROVAL_SHIP_BATCH
                     || n == NGX_HTTP_PUSH_APPROVAL_SHIP_BUF;

    if (passed != sh->buf) {
        ch->offset += passed - sh->buf;
        ngx_http_push_approval_ship_account(ch, 0);
    }

    *argc = a;

    return (sh->batch_events == 0 && passed != sh->buf) ? NGX_AGAIN : NGX_OK;
}


/*
 * The first line of the own chain's file after a rotation, with Redis
 * behind the rotated file (it restarted empty): the lines in between are
 * in the rotated file, which is not read again.
 */

static ngx_uint_t
ngx_http_push_approval_ship_gap(ngx_http_push_approval_chain_t *ch,
    ngx_uint_t first, ngx_http_push_approval_fields_t *f)
{
    if (!first || ch->offset != 0 || ngx_http_push_approval_ship->batch_events)
    {
        return 0;
    }

    ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                  "push_approval: events %uL to %uL of writer \"%*s\" are "
                  "in a rotated journal file and are not shipped again",
                  ch->shipped + 1, f->seq - 1, ch->writer_len, ch->writer);

    return 1;
}


/* one event: the number of its fields, then names and values */

static ngx_uint_t
ngx_http_push_approval_ship_args(ngx_http_push_approval_fields_t *f,
    ngx_uint_t a, u_char **decp)
{
    u_char                         *dec;
    ngx_uint_t                      i;
    ngx_http_push_approval_ship_t  *sh;

    sh = ngx_http_push_approval_ship;

    /* the parser wrote names and values in order: the last value ends it */

    dec = f->value[f->n - 1].data + f->value[f->n - 1].len;

    sh->argv[a] = (char *) dec;
    sh->argvlen[a++] = ngx_sprintf(dec, "%ui", f->n) - dec;
    dec += sh->argvlen[a - 1];

    for (i = 0; i < f->n; i++) {
        sh->argv[a] = (char *) f->key[i].data;
        sh->argvlen[a++] = f->key[i].len;
        sh->argv[a] = (char *) f->value[i].data;
        sh->argvlen[a++] = f->value[i].len;
    }

    *decp = dec;

    return a;
}


ngx_int_t
ngx_http_push_approval_ship_open(ngx_http_push_approval_chain_t *ch)
{
    if (ch->fd != NGX_INVALID_FILE) {
        return NGX_OK;
    }

    ch->fd = ngx_open_file(ch->path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (ch->fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, ngx_errno,
                      ngx_open_file_n " \"%s\" failed, the chain is not "
                      "shipped", ch->path);
        ch->broken = 1;
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * All read: the own chain goes on in a new file after a rotation; a chain
 * taken over is finished.
 */

static ngx_int_t
ngx_http_push_approval_ship_eof(ngx_http_push_approval_chain_t *ch)
{
    ngx_file_info_t  fi, ofi;

    if (!ch->own) {
        ngx_http_push_approval_adopt_finish(ch);
        return NGX_DECLINED;
    }

    if (ngx_file_info(ch->path, &fi) == NGX_FILE_ERROR
        || ngx_fd_info(ch->fd, &ofi) == NGX_FILE_ERROR
        || ngx_file_uniq(&fi) == ngx_file_uniq(&ofi))
    {
        return NGX_DECLINED;
    }

    /* rotated: the old file is shipped to its end, the chain goes on */

    ngx_http_push_approval_ship_close(ch);
    ch->base += ch->offset;
    ch->offset = 0;

    return NGX_AGAIN;
}


static ngx_int_t
ngx_http_push_approval_ship_send(ngx_http_push_approval_chain_t *ch,
    ngx_uint_t argc)
{
    u_char                         *p;
    ngx_int_t                       rc;
    ngx_http_push_approval_ship_t  *sh;

    sh = ngx_http_push_approval_ship;

    if (sh->stream.len + ch->writer_len + sizeof("{}:shipped:")
        > sizeof(sh->key))
    {
        ch->broken = 1;
        return NGX_DECLINED;
    }

    p = ngx_sprintf(sh->key, "%V%*s", &sh->key_prefix, ch->writer_len,
                    ch->writer);

    sh->argv[0] = "EVAL";
    sh->argvlen[0] = 4;
    sh->argv[1] = ngx_http_push_approval_ship_script;
    sh->argvlen[1] = sizeof(ngx_http_push_approval_ship_script) - 1;
    sh->argv[2] = "2";
    sh->argvlen[2] = 1;
    sh->argv[3] = (char *) sh->stream.data;
    sh->argvlen[3] = sh->stream.len;
    sh->argv[4] = (char *) sh->key;
    sh->argvlen[4] = p - sh->key;
    sh->argv[5] = (char *) sh->seqs[0];
    sh->argvlen[5] = ngx_sprintf(sh->seqs[0], "%uL", ch->shipped)
                     - sh->seqs[0];
    sh->argv[6] = (char *) sh->maxlen;
    sh->argvlen[6] = sh->maxlen_len;
    sh->argv[7] = (char *) sh->seqs[1];
    sh->argvlen[7] = ngx_sprintf(sh->seqs[1], "%uL", sh->batch_last)
                     - sh->seqs[1];

    rc = ngx_http_push_approval_redis_command(
             ngx_http_push_approval_ship_reply, ch, (int) argc, sh->argv,
             sh->argvlen);

    if (rc != NGX_OK) {
        return NGX_DECLINED;
    }

    sh->sending = ch;

    return NGX_OK;
}


static void
ngx_http_push_approval_ship_reply(void *reply, void *data)
{
    redisReply                      *r = reply;
    ngx_http_push_approval_ship_t   *sh;
    ngx_http_push_approval_chain_t  *ch = data;

    sh = ngx_http_push_approval_ship;

    if (sh == NULL || sh->sending != ch) {
        return;     /* exiting, or an answer from a dropped connection */
    }

    sh->sending = NULL;

    if (r == NULL) {
        return;     /* the connection went away; up() starts over */
    }

    if (r->type == REDIS_REPLY_ERROR) {
        if (sh->errors++ % 60 == 0) {
            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                          "push_approval: redis refused events of \"%*s\": "
                          "%*s", ch->writer_len, ch->writer,
                          ngx_min(r->len, 200), r->str);
        }

        ngx_add_timer(&sh->retry, NGX_HTTP_PUSH_APPROVAL_SHIP_RETRY);
        return;
    }

    /* not what the script returns: not Redis, or not the script */

    if (ngx_http_push_approval_ship_valid(r) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "push_approval: redis sent a reply of type %d to the "
                      "events of \"%*s\", not the script's",
                      r->type, ch->writer_len, ch->writer);
        ngx_http_push_approval_redis_drop();
        return;
    }

    sh->errors = 0;

    if (r->element[0]->integer == 1 && ch->known) {
        ch->shipped = sh->batch_last;
        ch->offset = sh->batch_end;
        ngx_http_push_approval_ship_account(ch, sh->batch_events);

        if (!sh->batch_more) {
            ngx_http_push_approval_ship_wrote();
            return;
        }

    } else {

        /* asked, or the checkpoint moved: read the chain again from there */

        ch->shipped = (uint64_t) r->element[1]->integer;
        ch->offset = 0;
        ch->known = 1;
    }

    ngx_http_push_approval_ship_now();
}


/* {0 or 1, the checkpoint} */

static ngx_int_t
ngx_http_push_approval_ship_valid(redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2
        || r->element[0]->type != REDIS_REPLY_INTEGER
        || r->element[1]->type != REDIS_REPLY_INTEGER
        || (r->element[0]->integer != 0 && r->element[0]->integer != 1)
        || r->element[1]->integer < 0)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* for the metrics: where the chain is in the stream */

static void
ngx_http_push_approval_ship_account(ngx_http_push_approval_chain_t *ch,
    ngx_uint_t events)
{
    ngx_http_push_approval_writers_shipped(ch->writer, ch->writer_len,
                                           ch->shipped, ch->base + ch->offset,
                                           events);
}


static void
ngx_http_push_approval_ship_retry(ngx_event_t *ev)
{
    ngx_http_push_approval_ship_now();
}


void
ngx_http_push_approval_ship_close(ngx_http_push_approval_chain_t *ch)
{
    if (ch->fd != NGX_INVALID_FILE) {
        (void) ngx_close_file(ch->fd);
        ch->fd = NGX_INVALID_FILE;
    }
}
