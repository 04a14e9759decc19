
/*
 * A challenge id as it comes in a URL (/_pa/wait/{id}, /_pa/approve/{id},
 * the console): ngx_http_push_approval_parse_id(), and under it the strict
 * base64url decoder ngx_http_push_approval_b64url_decode() on any text.
 *
 * Checked: the decoder writes at most ngx_base64_decoded_length() bytes
 * (the documented buffer size, here an exact heap buffer), and what it
 * accepts it accepts in one encoding only (encoding the result gives the
 * input back); the encoding of any bytes (the input taken as bytes) is
 * accepted and gives them back; an id is accepted exactly when its text is 22 characters
 * that decode to 16 bytes, and it encodes back to the same text.
 */


#include "fuzz.h"


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    pa_fuzz_init();
    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char      *buf, *buf2, *enc, *id;
    ngx_int_t    rc, rc_id;
    ngx_str_t    text, dec, dec2, re;

    text.data = (u_char *) data;
    text.len = size;

    /* the decoder on its own */

    buf = pa_fuzz_dup("", ngx_base64_decoded_length(size));
    dec.data = buf;
    rc = ngx_http_push_approval_b64url_decode(&dec, &text);

    if (rc == NGX_OK) {
        PA_CHECK(dec.len <= ngx_base64_decoded_length(size));
        PA_CHECK(size % 4 != 1);

        enc = pa_fuzz_dup("", ngx_base64_encoded_length(dec.len));
        re.data = enc;
        ngx_http_push_approval_b64url_encode(&re, &dec);
        PA_CHECK(re.len == size && ngx_memcmp(enc, data, size) == 0);
        free(enc);

    } else {
        PA_CHECK(rc == NGX_ERROR);
    }

    /* any bytes survive encoding and decoding */

    enc = pa_fuzz_dup("", ngx_base64_encoded_length(size));
    re.data = enc;
    text.data = (u_char *) data;
    text.len = size;
    ngx_http_push_approval_b64url_encode(&re, &text);

    buf2 = pa_fuzz_dup("", ngx_base64_decoded_length(re.len));
    dec2.data = buf2;
    PA_CHECK(ngx_http_push_approval_b64url_decode(&dec2, &re) == NGX_OK);
    PA_CHECK(dec2.len == size && ngx_memcmp(buf2, data, size) == 0);
    free(buf2);
    free(enc);

    /* the id parser */

    id = pa_fuzz_dup("", NGX_HTTP_PUSH_APPROVAL_ID_BYTES);
    rc_id = ngx_http_push_approval_parse_id(&text, id);

    PA_CHECK(rc_id == NGX_OK || rc_id == NGX_ERROR);
    PA_CHECK((rc_id == NGX_OK)
             == (size == NGX_HTTP_PUSH_APPROVAL_ID_LEN && rc == NGX_OK
                 && dec.len == NGX_HTTP_PUSH_APPROVAL_ID_BYTES));

    if (rc_id == NGX_OK) {
        PA_CHECK(ngx_memcmp(id, buf, NGX_HTTP_PUSH_APPROVAL_ID_BYTES) == 0);
    }

    free(id);
    free(buf);

    return 0;
}
