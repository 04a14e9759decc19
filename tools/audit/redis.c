/*
 * push-approval-audit: the Redis side.  Every reply is checked for its
 * type and shape before it is used; an entry that is not one event is a
 * break of its own, not a crash.  Works with hiredis 0.14 and 1.x (only
 * the calls both have).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "audit.h"


#define PA_PAGE        "1000"
#define PA_ID_MAX      41


static redisReply *
pa_cmd(redisContext *c, int argc, const char **argv)
{
    size_t       len[16];
    redisReply  *r;
    int          i;

    for (i = 0; i < argc && i < 16; i++) {
        len[i] = strlen(argv[i]);
    }

    r = redisCommandArgv(c, argc, argv, len);
    if (r == NULL) {
        fprintf(stderr, "push-approval-audit: redis: %s\n",
                c->err ? c->errstr : "no reply");
        return NULL;
    }

    if (r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "push-approval-audit: redis %s: ", argv[0]);
        pa_safe(stderr, r->str, r->len > 200 ? 200 : r->len);
        fputc('\n', stderr);
        freeReplyObject(r);
        return NULL;
    }

    return r;
}


void *
pa_redis_connect(const pa_redis_opt_t *opt, int block_ms)
{
    redisContext    *c;
    redisReply      *r;
    struct timeval   tv = { 5, 0 };
    const char      *argv[3], *colon;
    char            *host, dbs[24];
    long             port;

    if (strncmp(opt->addr, "unix:", 5) == 0) {
        c = redisConnectUnixWithTimeout(opt->addr + 5, tv);

    } else {
        colon = strrchr(opt->addr, ':');
        port = colon ? strtol(colon + 1, NULL, 10) : 0;
        if (colon == NULL || colon == opt->addr || port <= 0 || port > 65535
            || strspn(colon + 1, "0123456789") != strlen(colon + 1))
        {
            fprintf(stderr, "push-approval-audit: --redis: HOST:PORT or "
                    "unix:/PATH expected\n");
            return NULL;
        }

        host = pa_strndup(opt->addr, (size_t) (colon - opt->addr));
        if (host[0] == '[' && host[strlen(host) - 1] == ']') {
            memmove(host, host + 1, strlen(host));
            host[strlen(host) - 1] = '\0';
        }

        c = redisConnectWithTimeout(host, (int) port, tv);
        free(host);
    }

    if (c == NULL || c->err) {
        fprintf(stderr, "push-approval-audit: cannot connect to redis %s: "
                "%s\n", opt->addr, c ? c->errstr : "out of memory");
        redisFree(c);
        return NULL;
    }

    tv.tv_sec = 10 + block_ms / 1000;
    redisSetTimeout(c, tv);

    if (opt->password) {
        argv[0] = "AUTH";
        argv[1] = opt->password;
        r = pa_cmd(c, 2, argv);
        if (r == NULL) {
            redisFree(c);
            return NULL;
        }

        freeReplyObject(r);
    }

    if (opt->db > 0) {
        snprintf(dbs, sizeof(dbs), "%ld", opt->db);
        argv[0] = "SELECT";
        argv[1] = dbs;
        r = pa_cmd(c, 2, argv);
        if (r == NULL) {
            redisFree(c);
            return NULL;
        }

        freeReplyObject(r);
    }

    return c;
}


void
pa_redis_close(void *c)
{
    redisFree(c);
}


/* the key of a writer's shipping checkpoint (docs/audit-format.md) */
char *
pa_redis_shipped_key(const char *stream, const char *writer)
{
    const char  *open, *close;
    size_t       n;
    char        *key;
    int          tagged;

    open = strchr(stream, '{');
    close = open ? strchr(open + 1, '}') : NULL;
    tagged = close != NULL && close > open + 1;

    n = strlen(stream) + strlen(writer) + 16;
    key = pa_alloc(n);
    snprintf(key, n, tagged ? "%s:shipped:%s" : "{%s}:shipped:%s",
             stream, writer);

    return key;
}


int
pa_redis_shipped(void *c, const char *stream, const char *writer,
    int *found, uint64_t *seq)
{
    redisReply  *r;
    const char  *argv[2];
    char        *key;
    int          rc;

    key = pa_redis_shipped_key(stream, writer);
    argv[0] = "GET";
    argv[1] = key;
    r = pa_cmd(c, 2, argv);
    free(key);

    if (r == NULL) {
        return -1;
    }

    rc = 0;
    *found = 0;

    if (r->type == REDIS_REPLY_STRING) {
        *found = 1;
        if (pa_parse_u64(r->str, r->len, seq) != 0) {
            fprintf(stderr, "push-approval-audit: the shipping checkpoint of "
                    "%s is not a number\n", writer);
            rc = -1;
        }

    } else if (r->type != REDIS_REPLY_NIL) {
        fprintf(stderr, "push-approval-audit: redis GET: unexpected reply\n");
        rc = -1;
    }

    freeReplyObject(r);

    return rc;
}


/* a stream entry ID "MS-SEQ" */
static int
pa_id_parse(const char *s, size_t n, uint64_t *ms, uint64_t *seq)
{
    const char  *dash;

    if (n > PA_ID_MAX) {
        return -1;
    }

    dash = memchr(s, '-', n);
    if (dash == NULL) {
        return -1;
    }

    if (pa_parse_u64(s, (size_t) (dash - s), ms) != 0
        || pa_parse_u64(dash + 1, (size_t) (s + n - dash - 1), seq) != 0)
    {
        return -1;
    }

    return 0;
}


static int
pa_id_str(const redisReply *r)
{
    uint64_t  ms, seq;

    return r->type == REDIS_REPLY_STRING
           && pa_id_parse(r->str, r->len, &ms, &seq) == 0;
}


/*
 * One entry [ID, [name, value, ...]] as a record; NULL with err set if it
 * is not one event.  *id gets the entry's ID ("?" if it has none).
 */
static pa_rec_t *
pa_entry(const redisReply *e, char *id, char *err, size_t errlen)
{
    pa_str_t           names[PA_NFIELDS], vals[PA_NFIELDS];
    const redisReply  *fl, *k, *v;
    size_t             i, n;

    strcpy(id, "?");

    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2
        || !pa_id_str(e->element[0]))
    {
        snprintf(err, errlen, "not a stream entry");
        return NULL;
    }

    memcpy(id, e->element[0]->str, e->element[0]->len);
    id[e->element[0]->len] = '\0';

    fl = e->element[1];
    if (fl->type != REDIS_REPLY_ARRAY || fl->elements % 2 != 0
        || fl->elements / 2 > PA_NFIELDS || fl->elements == 0)
    {
        snprintf(err, errlen, "not canonical: the entry's fields are not "
                 "those of an event");
        return NULL;
    }

    n = fl->elements / 2;

    for (i = 0; i < n; i++) {
        k = fl->element[2 * i];
        v = fl->element[2 * i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) {
            snprintf(err, errlen, "not canonical: a field is not a string");
            return NULL;
        }

        names[i].data = k->str;
        names[i].len = k->len;
        vals[i].data = v->str;
        vals[i].len = v->len;
    }

    return pa_line_build(names, vals, n, err, errlen);
}


static void
pa_entry_add(pa_set_t *set, const redisReply *e, char *last)
{
    pa_rec_t  *rec;
    char       id[PA_ID_MAX + 1], err[256];
    size_t     n;

    rec = pa_entry(e, id, err, sizeof(err));

    if (strcmp(id, "?") != 0) {
        strcpy(last, id);
    }

    n = strlen(id) + 16;

    if (rec == NULL) {
        char  origin[PA_ID_MAX + 16];

        snprintf(origin, sizeof(origin), "stream entry %s", id);
        set->skipped++;

        if (set->report) {
            pa_break(set->report, origin, NULL, "%s", err);
        } else {
            fprintf(stderr, "push-approval-audit: %s: %s, skipped\n",
                    origin, err);
        }

        return;
    }

    rec->origin = pa_alloc(n);
    snprintf(rec->origin, n, "stream entry %s", id);
    pa_set_add(set, rec);
}


/* the ID just after id, for the next page of XRANGE */
static void
pa_id_next(const char *id, char *next, size_t n)
{
    uint64_t  ms, seq;

    pa_id_parse(id, strlen(id), &ms, &seq);

    if (seq == UINT64_MAX) {
        ms++;
        seq = 0;
    } else {
        seq++;
    }

    snprintf(next, n, "%llu-%llu", (unsigned long long) ms,
             (unsigned long long) seq);
}


static const redisReply *
pa_info_get(const redisReply *r, const char *name)
{
    size_t  i;

    for (i = 0; i + 1 < r->elements; i += 2) {
        if (r->element[i]->type == REDIS_REPLY_STRING
            && strcmp(r->element[i]->str, name) == 0)
        {
            return r->element[i + 1];
        }
    }

    return NULL;
}


static int
pa_id_cmp(uint64_t ams, uint64_t aseq, uint64_t bms, uint64_t bseq)
{
    if (ams != bms) {
        return ams < bms ? -1 : 1;
    }

    return aseq < bseq ? -1 : (aseq > bseq ? 1 : 0);
}


/*
 * XINFO STREAM: was the stream trimmed (entries gone before its first), or
 * were entries deleted inside it?  Redis 7 says so with
 * max-deleted-entry-id; before 7, set->trimmed is -1 (unknown).
 */
static int
pa_stream_info(redisContext *c, const char *stream, pa_set_t *set)
{
    const redisReply  *md, *fe;
    redisReply        *r;
    const char        *argv[3] = { "XINFO", "STREAM", stream };
    uint64_t           dms, dseq, fms, fseq;

    r = pa_cmd(c, 3, argv);
    if (r == NULL) {
        return -1;
    }

    set->trimmed = -1;

    if (r->type == REDIS_REPLY_ARRAY) {
        md = pa_info_get(r, "max-deleted-entry-id");
        fe = pa_info_get(r, "first-entry");

        if (md && md->type == REDIS_REPLY_STRING
            && pa_id_parse(md->str, md->len, &dms, &dseq) == 0)
        {
            set->trimmed = dms != 0 || dseq != 0;

            if (set->trimmed && fe && fe->type == REDIS_REPLY_ARRAY
                && fe->elements == 2 && pa_id_str(fe->element[0]))
            {
                pa_id_parse(fe->element[0]->str, fe->element[0]->len,
                            &fms, &fseq);
                set->xdel = pa_id_cmp(dms, dseq, fms, fseq) > 0;
            }
        }
    }

    freeReplyObject(r);

    return 0;
}


int
pa_redis_read_stream(void *ctx, const char *stream, pa_set_t *set)
{
    redisContext  *c;
    redisReply    *r;
    const char    *argv[6];
    char           start[PA_ID_MAX + 2], last[PA_ID_MAX + 1];
    size_t         i, n;

    c = ctx;
    set->stream = 1;

    if (pa_stream_info(c, stream, set) != 0) {
        return -1;
    }

    strcpy(start, "-");

    for ( ;; ) {
        argv[0] = "XRANGE";
        argv[1] = stream;
        argv[2] = start;
        argv[3] = "+";
        argv[4] = "COUNT";
        argv[5] = PA_PAGE;

        r = pa_cmd(c, 6, argv);
        if (r == NULL) {
            return -1;
        }

        if (r->type != REDIS_REPLY_ARRAY) {
            fprintf(stderr, "push-approval-audit: redis XRANGE: unexpected "
                    "reply\n");
            freeReplyObject(r);
            return -1;
        }

        n = r->elements;
        last[0] = '\0';

        for (i = 0; i < n; i++) {
            pa_entry_add(set, r->element[i], last);
        }

        freeReplyObject(r);

        if (n < (size_t) atoi(PA_PAGE)) {
            return 0;
        }

        if (last[0] == '\0') {
            fprintf(stderr, "push-approval-audit: redis XRANGE: a page "
                    "without entry IDs\n");
            return -1;
        }

        pa_id_next(last, start, sizeof(start));
    }
}


/* the ID of the stream's last entry, "0-0" if it is empty */
static int
pa_last_id(redisContext *c, const char *stream, char *id)
{
    redisReply  *r;
    const char  *argv[6] = { "XREVRANGE", stream, "+", "-", "COUNT", "1" };
    int          rc;

    r = pa_cmd(c, 6, argv);
    if (r == NULL) {
        return -1;
    }

    rc = 0;
    strcpy(id, "0-0");

    if (r->type != REDIS_REPLY_ARRAY) {
        rc = -1;

    } else if (r->elements == 1) {
        if (r->element[0]->type == REDIS_REPLY_ARRAY
            && r->element[0]->elements == 2
            && pa_id_str(r->element[0]->element[0]))
        {
            strcpy(id, r->element[0]->element[0]->str);
        } else {
            rc = -1;
        }
    }

    if (rc != 0) {
        fprintf(stderr, "push-approval-audit: redis XREVRANGE: unexpected "
                "reply\n");
    }

    freeReplyObject(r);

    return rc;
}


static void
pa_follow_entry(const redisReply *e, char *last, const pa_filter_t *flt)
{
    pa_rec_t  *rec;
    char       id[PA_ID_MAX + 1], err[256];

    rec = pa_entry(e, id, err, sizeof(err));

    if (strcmp(id, "?") != 0) {
        strcpy(last, id);
    }

    if (rec == NULL) {
        fprintf(stderr, "push-approval-audit: stream entry %s: %s, "
                "skipped\n", id, err);
        return;
    }

    if (pa_filter_match(flt, rec)) {
        pa_print_rec(rec, flt->csv);
    }

    pa_rec_free(rec);
}


/* one XREAD reply: [[stream, [entries]]] or nil after the block time */
static int
pa_follow_reply(const redisReply *r, char *last, const pa_filter_t *flt)
{
    const redisReply  *s;
    size_t             i;

    if (r->type == REDIS_REPLY_NIL) {
        return 0;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements != 1
        || r->element[0]->type != REDIS_REPLY_ARRAY
        || r->element[0]->elements != 2
        || r->element[0]->element[1]->type != REDIS_REPLY_ARRAY)
    {
        fprintf(stderr, "push-approval-audit: redis XREAD: unexpected "
                "reply\n");
        return -1;
    }

    s = r->element[0]->element[1];

    for (i = 0; i < s->elements; i++) {
        pa_follow_entry(s->element[i], last, flt);
    }

    fflush(stdout);

    return 0;
}


int
pa_redis_follow(void *ctx, const char *stream, const char *from,
    const pa_filter_t *flt)
{
    redisContext  *c;
    redisReply    *r;
    const char    *argv[8];
    char           last[PA_ID_MAX + 1];
    uint64_t       ms, seq;
    int            rc;

    c = ctx;

    if (strcmp(from, "$") == 0) {
        if (pa_last_id(c, stream, last) != 0) {
            return -1;
        }

    } else if (pa_id_parse(from, strlen(from), &ms, &seq) == 0
               || (pa_parse_u64(from, strlen(from), &ms) == 0))
    {
        snprintf(last, sizeof(last), "%s", from);

    } else {
        fprintf(stderr, "push-approval-audit: --from: a stream entry ID "
                "(MS-SEQ) or $ expected\n");
        return -2;
    }

    if (flt->csv) {
        pa_print_csv_header();
        fflush(stdout);
    }

    for ( ;; ) {
        argv[0] = "XREAD";
        argv[1] = "BLOCK";
        argv[2] = "5000";
        argv[3] = "COUNT";
        argv[4] = PA_PAGE;
        argv[5] = "STREAMS";
        argv[6] = stream;
        argv[7] = last;

        r = pa_cmd(c, 8, argv);
        if (r == NULL) {
            return -1;
        }

        rc = pa_follow_reply(r, last, flt);
        freeReplyObject(r);

        if (rc != 0) {
            return -1;
        }
    }
}
