
/*
 * Shared by the libFuzzer targets in t/fuzz/ (see t/fuzz/README.md).
 *
 * Each target is one .c file that includes this header and defines
 * LLVMFuzzerTestOneInput().  They are compiled with the flags of the ASan
 * nginx build (build/asan/objs/Makefile) plus -fsanitize=fuzzer-no-link,
 * and linked with the module's objects (compiled the same way) and the
 * ASan build's nginx objects, nginx.c's main() renamed (t/fuzz/fuzz.mk).
 *
 * The key ring holds two keys, "fz1" (keys[0], it signs) and "fz0": the
 * secret file t/fuzz/make-seeds gives nginx, so the seed corpora made by a
 * real nginx (cookies, tokens, pending secrets, signed wait paths) verify
 * here too.  Test keys only, never used anywhere else.
 */


#ifndef _PA_FUZZ_H_INCLUDED_
#define _PA_FUZZ_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_keys.h"
#include "ngx_http_push_approval_parse.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>


/* the fuzz secret file, line by line ("fz0" is base64url without padding) */
#define PA_FUZZ_KEY_FZ1  "fz1 cL69pYVo+AlrzD3NXI57o8hou9obShjAeQl6ZULPep4="
#define PA_FUZZ_KEY_FZ0                                                       \
    "fz0 4UDM027mg9lw0PIJPcbdMJZEIKQUYQ-e4OSVkRp45QJn4WoMPjZ7cnA7tE8hggqb"


/* an invariant of the code under test: abort (a libFuzzer crash) if false */
#define PA_CHECK(cond)                                                        \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: invariant failed: %s\n",                  \
                    __FILE__, __LINE__, #cond);                               \
            abort();                                                          \
        }                                                                     \
    } while (0)


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);


static ngx_log_t                          pa_fuzz_log;
static ngx_http_push_approval_keyring_t   pa_fuzz_ring;


static ngx_inline void
pa_fuzz_add_key(const char *line)
{
    u_char                        *p;
    size_t                         len;
    const char                    *err;
    ngx_http_push_approval_key_t  *key;

    len = ngx_strlen(line);
    p = malloc(len);
    PA_CHECK(p != NULL);
    ngx_memcpy(p, line, len);

    key = &pa_fuzz_ring.keys[pa_fuzz_ring.nkeys];
    err = NULL;
    if (ngx_http_push_approval_keys_parse(p, p + len, key, &err) != NGX_OK) {
        fprintf(stderr, "fuzz key \"%s\": %s\n", line, err ? err : "?");
        abort();
    }

    pa_fuzz_ring.nkeys++;
    free(p);
}


/* nginx globals the code under test reads; the key ring */

static ngx_inline void
pa_fuzz_init(void)
{
    ngx_pagesize = getpagesize();
    for (ngx_pagesize_shift = 0; (ngx_pagesize >> ngx_pagesize_shift) > 1;
         ngx_pagesize_shift++)
    {
        /* void */
    }
    ngx_cacheline_size = NGX_CPU_CACHE_LINE;

    /* errors only, and nowhere: the log has no file */
    pa_fuzz_log.log_level = 0;

    pa_fuzz_add_key(PA_FUZZ_KEY_FZ1);
    pa_fuzz_add_key(PA_FUZZ_KEY_FZ0);
}


static ngx_inline ngx_pool_t *
pa_fuzz_pool(void)
{
    ngx_pool_t  *pool;

    pool = ngx_create_pool(1024, &pa_fuzz_log);
    PA_CHECK(pool != NULL);

    return pool;
}


/* a heap copy of exactly len bytes (1 for len 0), for ASan to guard */

static ngx_inline u_char *
pa_fuzz_dup(const void *src, size_t len)
{
    u_char  *p;

    p = malloc(len ? len : 1);
    PA_CHECK(p != NULL);

    if (len) {
        ngx_memcpy(p, src, len);
    }

    return p;
}


/* "ID.VALUE" inputs: a 22-character id, '.', the rest (see README.md) */

static ngx_inline ngx_int_t
pa_fuzz_split_id(const uint8_t *data, size_t size, u_char *id,
    ngx_str_t *value)
{
    ngx_str_t  text;

    if (size < NGX_HTTP_PUSH_APPROVAL_ID_LEN + 1
        || data[NGX_HTTP_PUSH_APPROVAL_ID_LEN] != '.')
    {
        return NGX_DECLINED;
    }

    text.data = (u_char *) data;
    text.len = NGX_HTTP_PUSH_APPROVAL_ID_LEN;

    if (ngx_http_push_approval_parse_id(&text, id) != NGX_OK) {
        return NGX_DECLINED;
    }

    value->data = (u_char *) data + NGX_HTTP_PUSH_APPROVAL_ID_LEN + 1;
    value->len = size - NGX_HTTP_PUSH_APPROVAL_ID_LEN - 1;

    return NGX_OK;
}


#endif /* _PA_FUZZ_H_INCLUDED_ */
