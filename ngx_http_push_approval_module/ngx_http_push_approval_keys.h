
/*
 * ngx_http_push_approval_keys.c: secret file, derived keys, MACs, random ids
 * and codes.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_KEYS_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_KEYS_H_INCLUDED_


#include "ngx_http_push_approval_module.h"

#include <openssl/sha.h>


#define NGX_HTTP_PUSH_APPROVAL_MAC_BYTES     32
#define NGX_HTTP_PUSH_APPROVAL_TOKEN_LEN     43     /* base64url of a MAC */
#define NGX_HTTP_PUSH_APPROVAL_KID_MAX       16


/* decision token kinds: what a decision token may decide */
typedef enum {
    NGX_HTTP_PUSH_APPROVAL_TOKEN_ANY = 0,
    NGX_HTTP_PUSH_APPROVAL_TOKEN_DENY,
    NGX_HTTP_PUSH_APPROVAL_TOKEN_TAP_APPROVE
} ngx_http_push_approval_token_e;


/* an HMAC-SHA256 key, keyed once: SHA-256 after key^ipad and key^opad */
typedef struct {
    SHA256_CTX                    inner;
    SHA256_CTX                    outer;
} ngx_http_push_approval_mac_key_t;


/* keys derived from one line of the secret file, and their keyed HMACs */
typedef struct {
    u_char                            kid[NGX_HTTP_PUSH_APPROVAL_KID_MAX];
    size_t                            kid_len;
    u_char                            cookie[32];
    u_char                            token[32];
    u_char                            pending[32];
    u_char                            user[32];
    u_char                            path[32];
    u_char                            code[32];
    ngx_http_push_approval_mac_key_t  cookie_mac;
    ngx_http_push_approval_mac_key_t  token_mac;
    ngx_http_push_approval_mac_key_t  pending_mac;
    ngx_http_push_approval_mac_key_t  user_mac;
    ngx_http_push_approval_mac_key_t  path_mac;
    ngx_http_push_approval_mac_key_t  code_mac;
} ngx_http_push_approval_key_t;


struct ngx_http_push_approval_keyring_s {
    ngx_http_push_approval_key_t  keys[NGX_HTTP_PUSH_APPROVAL_MAX_KEYS];
    ngx_uint_t                    nkeys;        /* keys[0] signs */
};


ngx_http_push_approval_keyring_t *ngx_http_push_approval_load_keys(
    ngx_conf_t *cf, ngx_str_t *path);
ngx_int_t ngx_http_push_approval_read_secret(ngx_conf_t *cf, ngx_str_t *path,
    ngx_str_t *content);
ngx_int_t ngx_http_push_approval_keys_parse(u_char *p, u_char *last,
    ngx_http_push_approval_key_t *key, const char **err);
ngx_int_t ngx_http_push_approval_random(u_char *buf, size_t len);
ngx_int_t ngx_http_push_approval_random_code(u_char *buf, ngx_uint_t digits);
ngx_int_t ngx_http_push_approval_keyed_hmac(
    ngx_http_push_approval_mac_key_t *mk, ngx_str_t *parts, ngx_uint_t nparts,
    u_char *out);
ngx_int_t ngx_http_push_approval_mac_equal(u_char *a, u_char *b, size_t len);
void ngx_http_push_approval_hash_field(u_char *key, const char *label,
    ngx_str_t *value, u_char *out);
ngx_int_t ngx_http_push_approval_keyed_hash_field(
    ngx_http_push_approval_mac_key_t *mk, const char *label, ngx_str_t *value,
    u_char *out);
void ngx_http_push_approval_keyed_hash_conf(
    ngx_http_push_approval_mac_key_t *mk, const char *label, ngx_str_t *value,
    ngx_uint_t conf, u_char *out);
void ngx_http_push_approval_token(ngx_http_push_approval_key_t *key,
    u_char *id, ngx_uint_t kind, u_char *out);
ngx_int_t ngx_http_push_approval_check_token(
    ngx_http_push_approval_keyring_t *ring, u_char *id, ngx_uint_t kind,
    ngx_str_t *token);
void ngx_http_push_approval_pending_secret(ngx_http_push_approval_key_t *key,
    u_char *id, u_char *out);
ngx_int_t ngx_http_push_approval_check_pending(
    ngx_http_push_approval_keyring_t *ring, u_char *id, ngx_str_t *secret);
void ngx_http_push_approval_code_mac(ngx_http_push_approval_key_t *key,
    u_char *id, ngx_str_t *code, u_char *out);
ngx_int_t ngx_http_push_approval_sign_path(ngx_http_push_approval_key_t *key,
    u_char *id, ngx_str_t *path, ngx_pool_t *pool, ngx_str_t *out);
ngx_int_t ngx_http_push_approval_verify_path(
    ngx_http_push_approval_keyring_t *ring, u_char *id, ngx_str_t *signed_,
    ngx_pool_t *pool, ngx_str_t *path);


#endif /* _NGX_HTTP_PUSH_APPROVAL_KEYS_H_INCLUDED_ */
