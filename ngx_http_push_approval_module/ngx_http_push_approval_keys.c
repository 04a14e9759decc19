
/*
 * The secret file, the keys derived from it, and everything that is an
 * HMAC of a challenge id: decision tokens, pending secrets, code MACs,
 * signed wait paths.  Random ids and codes come from OpenSSL's RAND_bytes.
 *
 * Each derived key is keyed once, when the secret file is read: its HMAC's
 * SHA-256 states after the key^ipad and key^opad blocks are kept, and every
 * MAC starts from copies of them (RFC 2104, as OpenSSL's HMAC does inside).
 * A MAC then costs the SHA-256 blocks of its message and one more, with no
 * allocation and no implementation fetch; the values are HMAC-SHA256's, as
 * a self-test against OpenSSL's HMAC() checks for every key.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_keys.h"
#include "ngx_http_push_approval_parse.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/sha.h>


#define NGX_HTTP_PUSH_APPROVAL_KEY_MIN       32
#define NGX_HTTP_PUSH_APPROVAL_KEY_MAX       64
#define NGX_HTTP_PUSH_APPROVAL_SECRET_FILE_MAX  8192
/* keyed hashes of configuration values kept by a worker, a power of 2 */
#define NGX_HTTP_PUSH_APPROVAL_CONF_HASHES      64


typedef struct {
    const char                    *label;     /* HKDF info */
    size_t                         key;       /* the derived key */
    size_t                         mac;       /* its keyed HMAC */
} ngx_http_push_approval_derived_t;


typedef struct {
    ngx_http_push_approval_mac_key_t  *mk;
    const char                        *label;
    u_char                            *data;
    size_t                             len;
    u_char                             hash[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
} ngx_http_push_approval_conf_hash_t;


static ngx_int_t ngx_http_push_approval_derive(u_char *ikm, size_t len,
    ngx_http_push_approval_key_t *key, const char **err);
static ngx_int_t ngx_http_push_approval_hkdf(u_char *ikm, size_t len,
    const char *label, u_char *out);
static ngx_int_t ngx_http_push_approval_mac_init(
    ngx_http_push_approval_mac_key_t *mk, u_char *key);
static ngx_int_t ngx_http_push_approval_mac_self_test(
    ngx_http_push_approval_mac_key_t *mk, u_char *key);
static void ngx_http_push_approval_keys_cleanup(void *data);


static ngx_http_push_approval_conf_hash_t
    ngx_http_push_approval_conf_hashes[NGX_HTTP_PUSH_APPROVAL_CONF_HASHES];


ngx_http_push_approval_keyring_t *
ngx_http_push_approval_load_keys(ngx_conf_t *cf, ngx_str_t *path)
{
    u_char                            *p, *last, *eol;
    ngx_str_t                          content;
    const char                        *err;
    ngx_uint_t                         line;
    ngx_pool_cleanup_t                *cln;
    ngx_http_push_approval_keyring_t  *ring;

    if (ngx_http_push_approval_read_secret(cf, path, &content) != NGX_OK) {
        return NULL;
    }

    ring = ngx_pcalloc(cf->pool, sizeof(ngx_http_push_approval_keyring_t));
    if (ring == NULL) {
        return NULL;
    }

    /* the keys and their keyed states live as long as the cycle */

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_push_approval_keys_cleanup;
    cln->data = ring;

    p = content.data;
    last = content.data + content.len;

    for (line = 1; p < last; line++, p = eol + 1) {
        eol = ngx_strlchr(p, last, '\n');
        if (eol == NULL) {
            eol = last;
        }

        if (eol == p || *p == '#') {
            continue;
        }

        if (ring->nkeys == NGX_HTTP_PUSH_APPROVAL_MAX_KEYS) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "too many keys in \"%V\", at most %d",
                               path, NGX_HTTP_PUSH_APPROVAL_MAX_KEYS);
            goto failed;
        }

        if (ngx_http_push_approval_keys_parse(p, eol, &ring->keys[ring->nkeys],
                                              &err)
            != NGX_OK)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "line %ui of secret file \"%V\" %s",
                               line, path, err);
            goto failed;
        }

        ring->nkeys++;
    }

    ngx_explicit_memzero(content.data, content.len);

    if (ring->nkeys == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no key in secret file \"%V\"", path);
        return NULL;
    }

    return ring;

failed:

    ngx_explicit_memzero(content.data, content.len);
    return NULL;
}


/*
 * The end of a cycle: its keys and their states are zeroed, and so is the
 * table of configuration hashes, which may point to them and to the
 * cycle's configuration.
 */

static void
ngx_http_push_approval_keys_cleanup(void *data)
{
    ngx_explicit_memzero(data, sizeof(ngx_http_push_approval_keyring_t));
    ngx_explicit_memzero(ngx_http_push_approval_conf_hashes,
                         sizeof(ngx_http_push_approval_conf_hashes));
}


ngx_int_t
ngx_http_push_approval_read_secret(ngx_conf_t *cf, ngx_str_t *path,
    ngx_str_t *content)
{
    ssize_t          n;
    ngx_fd_t         fd;
    ngx_file_info_t  fi;

    fd = ngx_open_file(path->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " secret file \"%V\" failed",
                           path);
        return NGX_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", path);
        goto failed;
    }

    if (!ngx_is_file(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "secret file \"%V\" is not a file", path);
        goto failed;
    }

    if (ngx_file_access(&fi) & 0077) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "secret file \"%V\" is group or world accessible "
                           "(mode 0%d%d%d), use chmod 600", path,
                           (int) (ngx_file_access(&fi) >> 6) & 7,
                           (int) (ngx_file_access(&fi) >> 3) & 7,
                           (int) ngx_file_access(&fi) & 7);
        goto failed;
    }

    if (ngx_file_size(&fi) > NGX_HTTP_PUSH_APPROVAL_SECRET_FILE_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "secret file \"%V\" is too large", path);
        goto failed;
    }

    content->len = (size_t) ngx_file_size(&fi);
    content->data = ngx_pnalloc(cf->pool, content->len + 1);
    if (content->data == NULL) {
        goto failed;
    }

    n = ngx_read_fd(fd, content->data, content->len);
    if (n == -1 || (size_t) n != content->len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_fd_n " \"%V\" failed", path);
        goto failed;
    }

    ngx_close_file(fd);
    return NGX_OK;

failed:

    ngx_close_file(fd);
    return NGX_ERROR;
}


/*
 * One line of the secret file, "KID BASE64", into derived keys.  Pure, so
 * that it can be fuzzed: on error *err says why, for the caller to log.
 */

ngx_int_t
ngx_http_push_approval_keys_parse(u_char *p, u_char *last,
    ngx_http_push_approval_key_t *key, const char **err)
{
    u_char     *sp, buf[NGX_HTTP_PUSH_APPROVAL_KEY_MAX * 2];
    ngx_int_t   rc;
    ngx_str_t   b64, raw;

    if (last > p && last[-1] == '\r') {
        last--;
    }

    sp = ngx_strlchr(p, last, ' ');
    if (sp == NULL || sp == p
        || (size_t) (sp - p) > NGX_HTTP_PUSH_APPROVAL_KID_MAX)
    {
        *err = "is malformed, expected \"KID BASE64\" with a key id of "
               "1 to 16 characters";
        return NGX_ERROR;
    }

    key->kid_len = sp - p;
    ngx_memcpy(key->kid, p, key->kid_len);

    for ( /* void */ ; p < sp; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
        {
            *err = "has a malformed key id, use letters, digits, "
                   "\"-\" and \"_\"";
            return NGX_ERROR;
        }
    }

    b64.data = sp + 1;
    b64.len = last - b64.data;

    *err = "has a malformed base64 key";

    if (b64.len == 0 || b64.len > sizeof(buf) * 4 / 3) {
        return NGX_ERROR;
    }

    raw.data = buf;
    rc = ngx_decode_base64(&raw, &b64);
    if (rc != NGX_OK) {
        rc = ngx_decode_base64url(&raw, &b64);
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    if (raw.len < NGX_HTTP_PUSH_APPROVAL_KEY_MIN
        || raw.len > NGX_HTTP_PUSH_APPROVAL_KEY_MAX)
    {
        ngx_explicit_memzero(buf, sizeof(buf));
        *err = "has a key that is not 32 to 64 bytes long";
        return NGX_ERROR;
    }

    rc = ngx_http_push_approval_derive(raw.data, raw.len, key, err);
    ngx_explicit_memzero(buf, sizeof(buf));

    return rc;
}


#define ngx_http_push_approval_derived_key(label, name)                       \
    { label, offsetof(ngx_http_push_approval_key_t, name),                    \
      offsetof(ngx_http_push_approval_key_t, name##_mac) }

static ngx_http_push_approval_derived_t  ngx_http_push_approval_derived[] = {
    ngx_http_push_approval_derived_key("pa cookie v1", cookie),
    ngx_http_push_approval_derived_key("pa token v1", token),
    ngx_http_push_approval_derived_key("pa pending v1", pending),
    ngx_http_push_approval_derived_key("pa user v1", user),
    ngx_http_push_approval_derived_key("pa path v1", path),
    ngx_http_push_approval_derived_key("pa code v1", code)
};


static ngx_int_t
ngx_http_push_approval_derive(u_char *ikm, size_t len,
    ngx_http_push_approval_key_t *key, const char **err)
{
    u_char                            *k;
    ngx_uint_t                         i;
    ngx_http_push_approval_mac_key_t  *mk;
    ngx_http_push_approval_derived_t  *d;

    for (i = 0; i < sizeof(ngx_http_push_approval_derived)
                    / sizeof(ngx_http_push_approval_derived_t); i++)
    {
        d = &ngx_http_push_approval_derived[i];
        k = (u_char *) key + d->key;
        mk = (ngx_http_push_approval_mac_key_t *) ((u_char *) key + d->mac);

        if (ngx_http_push_approval_hkdf(ikm, len, d->label, k) != NGX_OK) {
            *err = "HKDF failed";
            return NGX_ERROR;
        }

        if (ngx_http_push_approval_mac_init(mk, k) != NGX_OK
            || ngx_http_push_approval_mac_self_test(mk, k) != NGX_OK)
        {
            *err = "HMAC-SHA256 self-test failed";
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* the SHA-256 states after the key's ipad and opad blocks (RFC 2104) */

static ngx_int_t
ngx_http_push_approval_mac_init(ngx_http_push_approval_mac_key_t *mk,
    u_char *key)
{
    u_char      ipad[SHA256_CBLOCK], opad[SHA256_CBLOCK];
    ngx_int_t   rc;
    ngx_uint_t  i;

    ngx_memset(ipad, 0x36, sizeof(ipad));
    ngx_memset(opad, 0x5c, sizeof(opad));

    /* the derived keys are 32 bytes, shorter than a block: used as is */

    for (i = 0; i < 32; i++) {
        ipad[i] ^= key[i];
        opad[i] ^= key[i];
    }

    rc = NGX_ERROR;

    if (SHA256_Init(&mk->inner) == 1
        && SHA256_Update(&mk->inner, ipad, sizeof(ipad)) == 1
        && SHA256_Init(&mk->outer) == 1
        && SHA256_Update(&mk->outer, opad, sizeof(opad)) == 1)
    {
        rc = NGX_OK;
    }

    ngx_explicit_memzero(ipad, sizeof(ipad));
    ngx_explicit_memzero(opad, sizeof(opad));

    return rc;
}


/* the keyed state gives what OpenSSL's HMAC() gives with the raw key */

static ngx_int_t
ngx_http_push_approval_mac_self_test(ngx_http_push_approval_mac_key_t *mk,
    u_char *key)
{
    u_char        msg[4 + 5], want[EVP_MAX_MD_SIZE];
    u_char        got[NGX_HTTP_PUSH_APPROVAL_MAC_BYTES];
    ngx_str_t     part;
    unsigned int  len;

    ngx_str_set(&part, "probe");

    msg[0] = 0;
    msg[1] = 0;
    msg[2] = 0;
    msg[3] = (u_char) part.len;
    ngx_memcpy(&msg[4], part.data, part.len);

    if (HMAC(EVP_sha256(), key, 32, msg, sizeof(msg), want, &len) == NULL
        || len != sizeof(got))
    {
        return NGX_ERROR;
    }

    if (ngx_http_push_approval_keyed_hmac(mk, &part, 1, got) != NGX_OK) {
        return NGX_ERROR;
    }

    return CRYPTO_memcmp(got, want, sizeof(got)) == 0 ? NGX_OK : NGX_ERROR;
}


static ngx_int_t
ngx_http_push_approval_hkdf(u_char *ikm, size_t len, const char *label,
    u_char *out)
{
    size_t         outlen;
    ngx_int_t      rc;
    EVP_PKEY_CTX  *pctx;

    pctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    if (pctx == NULL) {
        return NGX_ERROR;
    }

    outlen = 32;
    rc = NGX_ERROR;

    if (EVP_PKEY_derive_init(pctx) > 0
        && EVP_PKEY_CTX_set_hkdf_md(pctx, EVP_sha256()) > 0
        && EVP_PKEY_CTX_set1_hkdf_salt(pctx,
                                       (u_char *) "ngx_http_push_approval", 22)
           > 0
        && EVP_PKEY_CTX_set1_hkdf_key(pctx, ikm, (int) len) > 0
        && EVP_PKEY_CTX_add1_hkdf_info(pctx, (u_char *) label,
                                       (int) ngx_strlen(label)) > 0
        && EVP_PKEY_derive(pctx, out, &outlen) > 0
        && outlen == 32)
    {
        rc = NGX_OK;
    }

    EVP_PKEY_CTX_free(pctx);

    return rc;
}


ngx_int_t
ngx_http_push_approval_random(u_char *buf, size_t len)
{
    return RAND_bytes(buf, (int) len) == 1 ? NGX_OK : NGX_ERROR;
}


/* uniform decimal digits by rejection sampling */

ngx_int_t
ngx_http_push_approval_random_code(u_char *buf, ngx_uint_t digits)
{
    u_char      rnd[32];
    ngx_uint_t  i, n;

    n = 0;

    while (n < digits) {
        if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
            return NGX_ERROR;
        }

        for (i = 0; i < sizeof(rnd) && n < digits; i++) {
            if (rnd[i] < 250) {
                buf[n++] = (u_char) ('0' + rnd[i] % 10);
            }
        }
    }

    ngx_explicit_memzero(rnd, sizeof(rnd));

    return NGX_OK;
}


/*
 * HMAC-SHA256 over length-prefixed parts, so no part can shift another,
 * with a derived key's keyed state
 */

ngx_int_t
ngx_http_push_approval_keyed_hmac(ngx_http_push_approval_mac_key_t *mk,
    ngx_str_t *parts, ngx_uint_t nparts, u_char *out)
{
    u_char      len[4], inner[SHA256_DIGEST_LENGTH];
    ngx_uint_t  i;
    SHA256_CTX  c;

    c = mk->inner;

    for (i = 0; i < nparts; i++) {
        len[0] = (u_char) (parts[i].len >> 24);
        len[1] = (u_char) (parts[i].len >> 16);
        len[2] = (u_char) (parts[i].len >> 8);
        len[3] = (u_char) parts[i].len;

        if (SHA256_Update(&c, len, 4) != 1
            || SHA256_Update(&c, parts[i].data, parts[i].len) != 1)
        {
            goto failed;
        }
    }

    if (SHA256_Final(inner, &c) != 1) {
        goto failed;
    }

    c = mk->outer;

    if (SHA256_Update(&c, inner, sizeof(inner)) != 1
        || SHA256_Final(out, &c) != 1)
    {
        goto failed;
    }

    ngx_explicit_memzero(inner, sizeof(inner));
    return NGX_OK;

failed:

    /* a random MAC never verifies: fail closed */
    (void) RAND_bytes(out, 32);
    ngx_explicit_memzero(&c, sizeof(SHA256_CTX));
    ngx_explicit_memzero(inner, sizeof(inner));

    return NGX_ERROR;
}


ngx_int_t
ngx_http_push_approval_mac_equal(u_char *a, u_char *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}


/* with a raw 32-byte key, keyed for this call (a zone's salt) */

void
ngx_http_push_approval_hash_field(u_char *key, const char *label,
    ngx_str_t *value, u_char *out)
{
    ngx_http_push_approval_mac_key_t  mk;

    if (ngx_http_push_approval_mac_init(&mk, key) == NGX_OK) {
        (void) ngx_http_push_approval_keyed_hash_field(&mk, label, value,
                                                       out);

    } else {
        (void) RAND_bytes(out, NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);
    }

    ngx_explicit_memzero(&mk, sizeof(ngx_http_push_approval_mac_key_t));
}


ngx_int_t
ngx_http_push_approval_keyed_hash_field(ngx_http_push_approval_mac_key_t *mk,
    const char *label, ngx_str_t *value, u_char *out)
{
    u_char     mac[NGX_HTTP_PUSH_APPROVAL_MAC_BYTES];
    ngx_int_t  rc;
    ngx_str_t  parts[2];

    parts[0].data = (u_char *) label;
    parts[0].len = ngx_strlen(label);
    parts[1] = *value;

    rc = ngx_http_push_approval_keyed_hmac(mk, parts, 2, mac);
    ngx_memcpy(out, mac, NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);

    return rc;
}


/*
 * ngx_http_push_approval_keyed_hash_field() of a value that, when conf is
 * set, the configuration holds (a location's scope, a user or an approver
 * without variables): the same for every request.  A worker keeps such
 * hashes in a small table, found by the key and the value's address; the
 * configuration keeps both for the cycle, and the cycle's end empties the
 * table.  The caller hashes values that come from the request (conf unset)
 * every time, so that the table tells nothing about clients.
 */

void
ngx_http_push_approval_keyed_hash_conf(ngx_http_push_approval_mac_key_t *mk,
    const char *label, ngx_str_t *value, ngx_uint_t conf, u_char *out)
{
    uintptr_t                            h;
    ngx_http_push_approval_conf_hash_t  *ch;

    if (!conf || value->len == 0) {
        (void) ngx_http_push_approval_keyed_hash_field(mk, label, value, out);
        return;
    }

    h = (uintptr_t) value->data ^ ((uintptr_t) mk >> 5)
        ^ ((uintptr_t) label >> 3);
    h ^= h >> 11;
    ch = &ngx_http_push_approval_conf_hashes[
             h & (NGX_HTTP_PUSH_APPROVAL_CONF_HASHES - 1)];

    if (ch->mk == mk && ch->label == label && ch->data == value->data
        && ch->len == value->len)
    {
        ngx_memcpy(out, ch->hash, NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);
        return;
    }

    if (ngx_http_push_approval_keyed_hash_field(mk, label, value, out)
        != NGX_OK)
    {
        return;     /* a random hash, not kept */
    }

    ch->mk = mk;
    ch->label = label;
    ch->data = value->data;
    ch->len = value->len;
    ngx_memcpy(ch->hash, out, NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);
}


static void
ngx_http_push_approval_id_mac(ngx_http_push_approval_mac_key_t *mk,
    const char *label, u_char *id, ngx_str_t *extra, u_char *out)
{
    ngx_str_t  parts[3];

    parts[0].data = (u_char *) label;
    parts[0].len = ngx_strlen(label);
    parts[1].data = id;
    parts[1].len = NGX_HTTP_PUSH_APPROVAL_ID_BYTES;

    if (extra) {
        parts[2] = *extra;
    }

    (void) ngx_http_push_approval_keyed_hmac(mk, parts, extra ? 3 : 2, out);
}


static const char *ngx_http_push_approval_token_labels[] = {
    "approve-or-deny", "deny-only", "one-tap-approve"
};


void
ngx_http_push_approval_token(ngx_http_push_approval_key_t *key, u_char *id,
    ngx_uint_t kind, u_char *out)
{
    u_char     mac[NGX_HTTP_PUSH_APPROVAL_MAC_BYTES];
    ngx_str_t  src, dst;

    ngx_http_push_approval_id_mac(&key->token_mac,
                                  ngx_http_push_approval_token_labels[kind],
                                  id, NULL, mac);

    src.data = mac;
    src.len = sizeof(mac);
    dst.data = out;
    ngx_http_push_approval_b64url_encode(&dst, &src);
}


/* a secret given in a URL or header: 43 base64url characters */

static ngx_int_t
ngx_http_push_approval_check_id_mac(ngx_http_push_approval_keyring_t *ring,
    size_t off, const char *label, u_char *id, ngx_str_t *given)
{
    u_char      mac[NGX_HTTP_PUSH_APPROVAL_MAC_BYTES];
    u_char      want[NGX_HTTP_PUSH_APPROVAL_MAC_BYTES];
    ngx_str_t   src, dst;
    ngx_uint_t  i, ok;

    if (given->len != NGX_HTTP_PUSH_APPROVAL_TOKEN_LEN) {
        return NGX_DECLINED;
    }

    src = *given;
    dst.data = mac;
    if (ngx_http_push_approval_b64url_decode(&dst, &src) != NGX_OK
        || dst.len != sizeof(mac))
    {
        return NGX_DECLINED;
    }

    ok = 0;

    for (i = 0; i < ring->nkeys; i++) {
        ngx_http_push_approval_id_mac(
            (ngx_http_push_approval_mac_key_t *) ((u_char *) &ring->keys[i]
                                                  + off),
            label, id, NULL, want);
        ok |= ngx_http_push_approval_mac_equal(mac, want, sizeof(mac));
    }

    return ok ? NGX_OK : NGX_DECLINED;
}


ngx_int_t
ngx_http_push_approval_check_token(ngx_http_push_approval_keyring_t *ring,
    u_char *id, ngx_uint_t kind, ngx_str_t *token)
{
    return ngx_http_push_approval_check_id_mac(ring,
               offsetof(ngx_http_push_approval_key_t, token_mac),
               ngx_http_push_approval_token_labels[kind], id, token);
}


void
ngx_http_push_approval_pending_secret(ngx_http_push_approval_key_t *key,
    u_char *id, u_char *out)
{
    u_char     mac[NGX_HTTP_PUSH_APPROVAL_MAC_BYTES];
    ngx_str_t  src, dst;

    ngx_http_push_approval_id_mac(&key->pending_mac, "pending", id, NULL, mac);

    src.data = mac;
    src.len = sizeof(mac);
    dst.data = out;
    ngx_http_push_approval_b64url_encode(&dst, &src);
}


ngx_int_t
ngx_http_push_approval_check_pending(ngx_http_push_approval_keyring_t *ring,
    u_char *id, ngx_str_t *secret)
{
    return ngx_http_push_approval_check_id_mac(ring,
               offsetof(ngx_http_push_approval_key_t, pending_mac),
               "pending", id, secret);
}


void
ngx_http_push_approval_code_mac(ngx_http_push_approval_key_t *key, u_char *id,
    ngx_str_t *code, u_char *out)
{
    u_char  mac[NGX_HTTP_PUSH_APPROVAL_MAC_BYTES];

    ngx_http_push_approval_id_mac(&key->code_mac, "code", id, code, mac);
    ngx_memcpy(out, mac, NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);
}


/* "r=" of the wait URL: base64url(path) "." base64url(mac) */

ngx_int_t
ngx_http_push_approval_sign_path(ngx_http_push_approval_key_t *key, u_char *id,
    ngx_str_t *path, ngx_pool_t *pool, ngx_str_t *out)
{
    u_char     *p, mac[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char      full[NGX_HTTP_PUSH_APPROVAL_MAC_BYTES];
    ngx_str_t   src, dst;

    out->data = ngx_pnalloc(pool, ngx_base64_encoded_length(path->len) + 1
                                  + ngx_base64_encoded_length(sizeof(mac)));
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    dst.data = out->data;
    ngx_http_push_approval_b64url_encode(&dst, path);
    p = out->data + dst.len;
    *p++ = '.';

    ngx_http_push_approval_id_mac(&key->path_mac, "wait-path", id, path, full);
    ngx_memcpy(mac, full, sizeof(mac));

    src.data = mac;
    src.len = sizeof(mac);
    dst.data = p;
    ngx_http_push_approval_b64url_encode(&dst, &src);

    out->len = p + dst.len - out->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_push_approval_verify_path(ngx_http_push_approval_keyring_t *ring,
    u_char *id, ngx_str_t *signed_, ngx_pool_t *pool, ngx_str_t *path)
{
    u_char      *dot, mac[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char       want[NGX_HTTP_PUSH_APPROVAL_MAC_BYTES];
    ngx_str_t    b64, src, dst;
    ngx_uint_t   i, ok;

    if (signed_->len > 4096) {
        return NGX_DECLINED;
    }

    dot = ngx_strlchr(signed_->data, signed_->data + signed_->len, '.');
    if (dot == NULL) {
        return NGX_DECLINED;
    }

    b64.data = signed_->data;
    b64.len = dot - signed_->data;

    path->data = ngx_pnalloc(pool, ngx_base64_decoded_length(b64.len) + 1);
    if (path->data == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_push_approval_b64url_decode(path, &b64) != NGX_OK) {
        return NGX_DECLINED;
    }

    src.data = dot + 1;
    src.len = signed_->data + signed_->len - src.data;
    dst.data = mac;

    if (src.len != ngx_base64_encoded_length(sizeof(mac)) - 2
        || ngx_http_push_approval_b64url_decode(&dst, &src) != NGX_OK
        || dst.len != sizeof(mac))
    {
        return NGX_DECLINED;
    }

    ok = 0;

    for (i = 0; i < ring->nkeys; i++) {
        ngx_http_push_approval_id_mac(&ring->keys[i].path_mac, "wait-path",
                                      id, path, want);
        ok |= ngx_http_push_approval_mac_equal(mac, want, sizeof(mac));
    }

    if (!ok) {
        return NGX_DECLINED;
    }

    /* a path on this server only: "/x", never "//host" or "/\host" */

    if (path->len == 0 || path->data[0] != '/'
        || (path->len > 1 && (path->data[1] == '/' || path->data[1] == '\\')))
    {
        return NGX_DECLINED;
    }

    for (i = 0; i < path->len; i++) {
        if (path->data[i] < 0x21 || path->data[i] == 0x7f) {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}
