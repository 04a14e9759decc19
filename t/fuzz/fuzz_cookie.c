
/*
 * The approval cookie's value, as it comes in a Cookie header: what
 * ngx_http_push_approval_verify() (cookie.c) does before it needs a
 * request: the size limit, strict base64url decoding into a buffer of
 * NGX_HTTP_PUSH_APPROVAL_COOKIE_MAX bytes, ngx_http_push_approval_cookie_parse(),
 * the key lookup by kid and the MAC.
 *
 * Checked: decoding is canonical (re-encoding gives the input back); a
 * parsed cookie's fields lie inside the decoded value, in order, with the
 * MAC last; a cookie whose MAC verifies was signed with one of the keys.
 */


#include "fuzz.h"
#include "ngx_http_push_approval_cookie.h"


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    pa_fuzz_init();
    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                               *raw, *enc, *end;
    u_char                                mac[NGX_HTTP_PUSH_APPROVAL_MAC_BYTES];
    ngx_str_t                             value, dec, re, part;
    ngx_uint_t                            i;
    ngx_http_push_approval_key_t         *key;
    ngx_http_push_approval_cookie_t       ck;

    if (size > NGX_HTTP_PUSH_APPROVAL_COOKIE_MAX) {
        return 0;       /* RS_OVERSIZED, before any parsing */
    }

    value.data = (u_char *) data;
    value.len = size;

    /* the module decodes into a COOKIE_MAX buffer; the smallest that fits */
    raw = pa_fuzz_dup("", ngx_base64_decoded_length(size));
    dec.data = raw;

    if (ngx_http_push_approval_b64url_decode(&dec, &value) != NGX_OK) {
        free(raw);
        return 0;
    }

    PA_CHECK(dec.len <= ngx_base64_decoded_length(size));

    /* canonical: one encoding per byte string */
    enc = pa_fuzz_dup("", ngx_base64_encoded_length(dec.len));
    re.data = enc;
    ngx_http_push_approval_b64url_encode(&re, &dec);
    PA_CHECK(re.len == size && ngx_memcmp(enc, data, size) == 0);
    free(enc);

    /* parse from an exact-size copy, so that ASan sees any overread */
    enc = pa_fuzz_dup(raw, dec.len);
    free(raw);
    raw = enc;
    end = raw + dec.len;

    ngx_memzero(&ck, sizeof(ck));

    if (ngx_http_push_approval_cookie_parse(raw, dec.len, &ck) != NGX_OK) {
        free(raw);
        return 0;
    }

    PA_CHECK(ck.start == raw);
    PA_CHECK(ck.kid_len >= 1 && ck.kid_len <= NGX_HTTP_PUSH_APPROVAL_KID_MAX);
    PA_CHECK(ck.kid == raw + 2);
    PA_CHECK(ck.id == ck.kid + ck.kid_len);
    PA_CHECK(ck.user > ck.id && ck.server > ck.user && ck.scope > ck.server
             && ck.approver > ck.scope && ck.ip > ck.approver
             && ck.agent > ck.ip);
    PA_CHECK(ck.agent + NGX_HTTP_PUSH_APPROVAL_HASH_BYTES == ck.signed_end);
    PA_CHECK(ck.mac == ck.signed_end);
    PA_CHECK(ck.mac + NGX_HTTP_PUSH_APPROVAL_MAC_BYTES == end);

    /* the rest of verify() that needs no request: the key and the MAC */

    key = NULL;
    for (i = 0; i < pa_fuzz_ring.nkeys; i++) {
        if (pa_fuzz_ring.keys[i].kid_len == ck.kid_len
            && ngx_memcmp(pa_fuzz_ring.keys[i].kid, ck.kid, ck.kid_len) == 0)
        {
            key = &pa_fuzz_ring.keys[i];
            break;
        }
    }

    if (key) {
        part.data = ck.start;
        part.len = ck.signed_end - ck.start;
        (void) ngx_http_push_approval_keyed_hmac(&key->cookie_mac, &part, 1,
                                                 mac);

        if (ngx_http_push_approval_mac_equal(mac, ck.mac, sizeof(mac))) {
            /* a valid signature (a seed from a real nginx): one bit off fails */
            mac[size % sizeof(mac)] ^= 0x01;
            PA_CHECK(!ngx_http_push_approval_mac_equal(mac, ck.mac,
                                                       sizeof(mac)));
        }
    }

    free(raw);

    return 0;
}
