
/*
 * Redis's side of the conversation: the bytes a server sends back, fed
 * to the client's reader and reply queue (redis.c, the proto functions),
 * as a socket would, in chunks.  A hostile server must not crash, abort
 * or exhaust a worker.
 *
 * Input: byte 0, the number of replies awaited (modulo the queue + 1) and
 * whether a handler awaits one more reply when its own comes (as the
 * shipper does); byte 1, the chunk size; the rest, the server's bytes.
 *
 * Checked: every reply awaited is told exactly once, a reply or NULL
 * (when the connection ends); a reply handed over is within the bounds
 * (elements, depth, bytes); a feed that failed fails again; a reply
 * in progress stays under the byte bound.
 */


#include "fuzz.h"
#include "ngx_http_push_approval_redis.h"

#include <hiredis/hiredis.h>


#define PA_FUZZ_REDIS_TOKENS  (4 * NGX_HTTP_PUSH_APPROVAL_REDIS_QUEUE)


typedef struct {
    ngx_http_push_approval_redis_proto_t  *proto;
    ngx_uint_t                             told[PA_FUZZ_REDIS_TOKENS];
    ngx_uint_t                             ntokens;
    ngx_uint_t                             again;
} pa_fuzz_redis_t;


static pa_fuzz_redis_t  pa_fuzz_redis;
static ngx_str_t        pa_fuzz_redis_name = ngx_string("fuzz");


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    pa_fuzz_init();
    return 0;
}


static size_t
pa_fuzz_redis_check(redisReply *r, ngx_uint_t depth)
{
    size_t  i, bytes;

    PA_CHECK(r != NULL);
    PA_CHECK(depth <= NGX_HTTP_PUSH_APPROVAL_REDIS_DEPTH + 1);

    bytes = 4;

    switch (r->type) {

    case REDIS_REPLY_ARRAY:
        PA_CHECK(depth <= NGX_HTTP_PUSH_APPROVAL_REDIS_DEPTH);
        PA_CHECK(r->elements <= NGX_HTTP_PUSH_APPROVAL_REDIS_ELTS);

        for (i = 0; i < r->elements; i++) {
            bytes += pa_fuzz_redis_check(r->element[i], depth + 1);
        }

        break;

    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
        PA_CHECK(r->str != NULL);
        PA_CHECK(r->len <= NGX_HTTP_PUSH_APPROVAL_REDIS_REPLY);
        PA_CHECK(r->str[r->len] == '\0');
        bytes += r->len;
        break;

    default:
        break;
    }

    return bytes;
}


static void
pa_fuzz_redis_handler(void *reply, void *data)
{
    uintptr_t         token = (uintptr_t) data;
    pa_fuzz_redis_t  *f = &pa_fuzz_redis;

    PA_CHECK(token < f->ntokens);
    PA_CHECK(f->told[token] == 0);
    f->told[token] = 1;

    if (reply == NULL) {
        return;
    }

    PA_CHECK(f->proto->dispatching);
    PA_CHECK(pa_fuzz_redis_check(reply, 0)
             <= 4 * NGX_HTTP_PUSH_APPROVAL_REDIS_REPLY);

    /* the next command goes from within the handler */

    if (f->again && f->ntokens < PA_FUZZ_REDIS_TOKENS
        && ngx_http_push_approval_redis_proto_expect(f->proto,
                                                  pa_fuzz_redis_handler,
                                                  (void *) f->ntokens)
           == NGX_OK)
    {
        f->ntokens++;
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                                *copy;
    size_t                                 chunk, n;
    ngx_int_t                              rc;
    ngx_uint_t                             i, k;
    pa_fuzz_redis_t                       *f = &pa_fuzz_redis;
    ngx_http_push_approval_redis_proto_t   proto;

    if (size < 2) {
        return 0;
    }

    ngx_memzero(&proto, sizeof(proto));
    ngx_memzero(f, sizeof(pa_fuzz_redis_t));
    f->proto = &proto;

    PA_CHECK(ngx_http_push_approval_redis_proto_init(&proto, &pa_fuzz_log,
                                                     &pa_fuzz_redis_name)
             == NGX_OK);

    k = data[0] % (NGX_HTTP_PUSH_APPROVAL_REDIS_QUEUE + 1);
    f->again = data[0] & 0x80;
    chunk = 1 + data[1] * 64;

    for (i = 0; i < k; i++) {
        PA_CHECK(ngx_http_push_approval_redis_proto_expect(&proto,
                                                   pa_fuzz_redis_handler,
                                                   (void *) f->ntokens)
                 == NGX_OK);
        f->ntokens++;
    }

    PA_CHECK(ngx_http_push_approval_redis_proto_expect(&proto,
                                                   pa_fuzz_redis_handler,
                                                   (void *) f->ntokens)
             == (k == NGX_HTTP_PUSH_APPROVAL_REDIS_QUEUE ? NGX_ERROR : NGX_OK));
    if (k < NGX_HTTP_PUSH_APPROVAL_REDIS_QUEUE) {
        f->ntokens++;
    }

    data += 2;
    size -= 2;
    rc = NGX_OK;

    while (size) {
        n = ngx_min(chunk, size);

        /* a copy of exactly the bytes read, for ASan to guard */

        copy = pa_fuzz_dup(data, n);
        rc = ngx_http_push_approval_redis_proto_feed(&proto, copy, n);
        free(copy);

        data += n;
        size -= n;

        if (rc != NGX_OK) {
            break;
        }

        PA_CHECK(proto.partial <= NGX_HTTP_PUSH_APPROVAL_REDIS_REPLY);
        PA_CHECK(!proto.dispatching);
    }

    if (rc != NGX_OK) {
        PA_CHECK(ngx_http_push_approval_redis_proto_feed(&proto,
                                                         (u_char *) "+OK\r\n",
                                                         5)
                 == NGX_ERROR);
    }

    /* the connection closes: the rest are told NULL */

    ngx_http_push_approval_redis_proto_reset(&proto);

    PA_CHECK(proto.nexpect == 0 && proto.reader == NULL);

    for (i = 0; i < f->ntokens; i++) {
        PA_CHECK(f->told[i] == 1);
    }

    return 0;
}
