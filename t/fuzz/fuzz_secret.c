
/*
 * The secret file (push_approval_secret_file): its content split into
 * lines as ngx_http_push_approval_load_keys() (keys.c) does -- at most
 * 8192 bytes, '\n' ends a line, empty and '#' lines skipped, at most
 * NGX_HTTP_PUSH_APPROVAL_MAX_KEYS keys -- and each line given to
 * ngx_http_push_approval_keys_parse() from an exact-size copy.
 *
 * Checked: a rejected line has a reason; an accepted one has a key id of
 * 1 to 16 characters [A-Za-z0-9_-], copied from the start of the line, and
 * its keys derive the same way twice.
 */


#include "fuzz.h"


#define PA_FUZZ_SECRET_FILE_MAX  8192


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    pa_fuzz_init();
    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                        *line;
    const u_char                  *p, *last, *eol;
    size_t                         i, len;
    ngx_int_t                      rc;
    ngx_uint_t                     nkeys;
    const char                    *err;
    ngx_http_push_approval_key_t   key, again;

    if (size > PA_FUZZ_SECRET_FILE_MAX) {
        return 0;       /* "is too large" */
    }

    p = data;
    last = data + size;
    nkeys = 0;

    for ( /* void */ ; p < last; p = (eol < last) ? eol + 1 : last) {
        eol = memchr(p, '\n', last - p);
        if (eol == NULL) {
            eol = last;
        }

        if (eol == p || *p == '#') {
            continue;
        }

        if (nkeys == NGX_HTTP_PUSH_APPROVAL_MAX_KEYS) {
            break;      /* "too many keys" */
        }

        len = eol - p;
        line = pa_fuzz_dup(p, len);
        err = NULL;
        ngx_memzero(&key, sizeof(key));

        rc = ngx_http_push_approval_keys_parse(line, line + len, &key, &err);

        if (rc != NGX_OK) {
            PA_CHECK(err != NULL && err[0] != '\0');
            free(line);
            break;      /* the first bad line fails the whole file */
        }

        PA_CHECK(key.kid_len >= 1
                 && key.kid_len <= NGX_HTTP_PUSH_APPROVAL_KID_MAX);
        PA_CHECK(key.kid_len < len && line[key.kid_len] == ' ');
        PA_CHECK(ngx_memcmp(key.kid, line, key.kid_len) == 0);

        for (i = 0; i < key.kid_len; i++) {
            PA_CHECK((key.kid[i] >= 'a' && key.kid[i] <= 'z')
                     || (key.kid[i] >= 'A' && key.kid[i] <= 'Z')
                     || (key.kid[i] >= '0' && key.kid[i] <= '9')
                     || key.kid[i] == '-' || key.kid[i] == '_');
        }

        /* deterministic, and the six derived keys differ */
        ngx_memzero(&again, sizeof(again));
        PA_CHECK(ngx_http_push_approval_keys_parse(line, line + len, &again,
                                                   &err)
                 == NGX_OK);
        PA_CHECK(ngx_memcmp(&key, &again, sizeof(key)) == 0);
        PA_CHECK(ngx_memcmp(key.cookie, key.token, 32) != 0
                 && ngx_memcmp(key.token, key.pending, 32) != 0
                 && ngx_memcmp(key.pending, key.user, 32) != 0
                 && ngx_memcmp(key.user, key.path, 32) != 0
                 && ngx_memcmp(key.path, key.code, 32) != 0);

        free(line);
        nkeys++;
    }

    return 0;
}
