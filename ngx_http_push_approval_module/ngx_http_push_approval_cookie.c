
/*
 * The approval cookie.  Its value is base64url of
 *
 *   version(1) kid_len(1) kid id(16) expires(8) methods(4) bind(1)
 *   user(16) server(16) scope(16) approver(16) ip(16) agent(16) mac(32)
 *
 * where user..agent are keyed hashes (HMAC-SHA256, truncated) of the
 * values, so nothing personal is in clear, and mac is HMAC-SHA256 over all
 * that precedes it.  Every field has a fixed length or a length byte, so
 * no value can shift another.
 *
 * The server is the server{}'s configured identity, never the Host a
 * client sends, and the approver is the one who approved: a cookie opens
 * neither another server{} nor a place that another approver guards.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_cookie.h"
#include "ngx_http_push_approval_challenge.h"
#include "ngx_http_push_approval_escape.h"
#include "ngx_http_push_approval_event.h"
#include "ngx_http_push_approval_grant.h"
#include "ngx_http_push_approval_headers.h"
#include "ngx_http_push_approval_keys.h"
#include "ngx_http_push_approval_parse.h"
#include "ngx_http_push_approval_text.h"
#include "ngx_http_push_approval_zone.h"


/* 2: the approver's hash; a cookie of version 1 is malformed */
#define NGX_HTTP_PUSH_APPROVAL_COOKIE_VERSION  2
/* values of the cookie's name looked at; a Cookie header holds fewer */
#define NGX_HTTP_PUSH_APPROVAL_COOKIE_VALUES   128

#define NGX_HTTP_PUSH_APPROVAL_COOKIE_FIXED                                   \
    (1 + 1 + NGX_HTTP_PUSH_APPROVAL_ID_BYTES + 8 + 4 + 1                      \
     + 6 * NGX_HTTP_PUSH_APPROVAL_HASH_BYTES)




static ngx_uint_t ngx_http_push_approval_verify(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *value,
    ngx_http_push_approval_ctx_t *ctx);
static ngx_uint_t ngx_http_push_approval_same_approver(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_http_push_approval_key_t *key,
    ngx_str_t *user, u_char *want);
static ngx_http_push_approval_key_t *ngx_http_push_approval_find_key(
    ngx_http_push_approval_keyring_t *ring, u_char *kid, size_t len);


/*
 * The server an approval is for: the server{}'s configured identity, the
 * same on every node with the same configuration.  Empty in a server{}
 * without one, which nginx -t allows only where nothing is protected.
 */

void
ngx_http_push_approval_server_name(ngx_http_request_t *r, ngx_str_t *name)
{
    ngx_http_push_approval_srv_conf_t  *pscf;

    pscf = ngx_http_get_module_srv_conf(r, ngx_http_push_approval_module);

    *name = pscf->server_id;
}


/*
 * The server{}'s identity, at merge time: push_approval_server_id, else
 * its first server_name when that is a plain host name (not empty, "_",
 * a regex, nor longer than a server may be).  Its keyed hash under each
 * key is computed here, once, for the cookie check.
 */

ngx_int_t
ngx_http_push_approval_server_identity(ngx_conf_t *cf,
    ngx_http_push_approval_srv_conf_t *pscf)
{
    ngx_uint_t                           i;
    ngx_http_core_srv_conf_t            *cscf;
    ngx_http_push_approval_keyring_t    *ring;
    ngx_http_push_approval_main_conf_t  *pmcf;

    if (pscf->server_id.data == NULL) {
        cscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module);

        if (ngx_http_push_approval_valid_server_id(&cscf->server_name)
            == NGX_OK)
        {
            pscf->server_id = cscf->server_name;

        } else {
            ngx_str_set(&pscf->server_id, "");
        }
    }

    pmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_push_approval_module);
    ring = pmcf->keyring;

    if (ring == NULL || pscf->server_id.len == 0) {
        return NGX_OK;
    }

    for (i = 0; i < ring->nkeys; i++) {
        if (ngx_http_push_approval_keyed_hash_field(&ring->keys[i].user_mac,
                                                    "server", &pscf->server_id,
                                                    pscf->server_hash[i])
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * A name fit to be a server's identity: 1 to 100 characters of a host
 * name, a wildcard or an address; not "_" (nginx's catch-all) nor a regex.
 * So it is shown as is, and stored and hashed without change.
 */

ngx_int_t
ngx_http_push_approval_valid_server_id(ngx_str_t *id)
{
    u_char  c;
    size_t  i;

    if (id->len == 0 || id->len > NGX_HTTP_PUSH_APPROVAL_SERVER_MAX
        || (id->len == 1 && id->data[0] == '_'))
    {
        return NGX_ERROR;
    }

    for (i = 0; i < id->len; i++) {
        c = id->data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'
              || c == '*' || c == ':' || c == '[' || c == ']'))
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * Who approves this request: push_approval_approver, or the user where
 * that is not set or is empty.  A challenge records it; a cookie is valid
 * only where the approver is the one who approved it.
 */

ngx_int_t
ngx_http_push_approval_approver(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *user,
    ngx_str_t *approver)
{
    if (plcf->approver == NULL) {
        *approver = *user;
        return NGX_OK;
    }

    if (ngx_http_complex_value(r, plcf->approver, approver) != NGX_OK) {
        return NGX_ERROR;
    }

    if (approver->len == 0) {
        *approver = *user;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_push_approval_cookie_name(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *server,
    ngx_str_t *name)
{
    uint32_t  crc;

    if (plcf->cookie_name.len) {
        *name = plcf->cookie_name;
        return NGX_OK;
    }

    ngx_crc32_init(crc);
    ngx_crc32_update(&crc, server->data, server->len);
    ngx_crc32_update(&crc, (u_char *) "|", 1);
    ngx_crc32_update(&crc, plcf->scope.data, plcf->scope.len);
    ngx_crc32_final(crc);

    name->data = ngx_pnalloc(r->pool, sizeof("pa_") - 1 + 8);
    if (name->data == NULL) {
        return NGX_ERROR;
    }

    name->len = ngx_sprintf(name->data, "pa_%08xD", crc) - name->data;

    return NGX_OK;
}


/* the keyed hashes of the client's address and User-Agent */

void
ngx_http_push_approval_client_hashes(ngx_http_request_t *r,
    ngx_http_push_approval_mac_key_t *mk, u_char *ip, u_char *agent)
{
    ngx_str_t  ua;

    ngx_http_push_approval_keyed_hash_field(mk, "ip",
                                            &r->connection->addr_text, ip);

    if (r->headers_in.user_agent) {
        ua = r->headers_in.user_agent->value;

    } else {
        ngx_str_null(&ua);
    }

    ngx_http_push_approval_keyed_hash_field(mk, "agent", &ua, agent);
}


/*
 * NGX_OK: a valid cookie, ctx->approval set.  NGX_DECLINED: none valid,
 * ctx->reason says why the last one was rejected (RS_NONE: no cookie).
 */

ngx_int_t
ngx_http_push_approval_check_cookie(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_http_push_approval_ctx_t *ctx)
{
    ngx_str_t    server, name;
    ngx_str_t    values[NGX_HTTP_PUSH_APPROVAL_COOKIE_VALUES];
    ngx_int_t    n, i;
    ngx_uint_t   reason;

    ngx_http_push_approval_server_name(r, &server);

    if (ngx_http_push_approval_cookie_name(r, plcf, &server, &name)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    n = ngx_http_push_approval_headers_cookie_values(r, &name, values,
                                          NGX_HTTP_PUSH_APPROVAL_COOKIE_VALUES);

    reason = NGX_HTTP_PUSH_APPROVAL_RS_NONE;

    for (i = 0; i < n; i++) {
        reason = ngx_http_push_approval_verify(r, plcf, &values[i], ctx);

        if (reason == NGX_HTTP_PUSH_APPROVAL_RS_NONE) {
            ctx->reason = NGX_HTTP_PUSH_APPROVAL_RS_NONE;
            plcf->zone->sh->cookie_checks[0]++;
            return NGX_OK;
        }
    }

    ctx->reason = reason;

    if (reason != NGX_HTTP_PUSH_APPROVAL_RS_NONE) {
        plcf->zone->sh->cookie_checks[reason]++;
    }

    return NGX_DECLINED;
}


static ngx_uint_t
ngx_http_push_approval_verify(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *value,
    ngx_http_push_approval_ctx_t *ctx)
{
    u_char                               raw[NGX_HTTP_PUSH_APPROVAL_COOKIE_MAX];
    u_char                               mac[NGX_HTTP_PUSH_APPROVAL_MAC_BYTES];
    u_char                               h[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char                               h2[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    ngx_str_t                            dec, part, user;
    ngx_uint_t                           revoked;
    ngx_http_push_approval_key_t        *key;
    ngx_http_push_approval_cookie_t      ck;
    ngx_http_push_approval_srv_conf_t   *pscf;
    ngx_http_push_approval_main_conf_t  *pmcf;

    if (value->len > NGX_HTTP_PUSH_APPROVAL_COOKIE_MAX) {
        return NGX_HTTP_PUSH_APPROVAL_RS_OVERSIZED;
    }

    dec.data = raw;
    if (ngx_http_push_approval_b64url_decode(&dec, value) != NGX_OK
        || ngx_http_push_approval_cookie_parse(raw, dec.len, &ck) != NGX_OK)
    {
        return NGX_HTTP_PUSH_APPROVAL_RS_MALFORMED;
    }

    pmcf = ngx_http_get_module_main_conf(r, ngx_http_push_approval_module);

    key = ngx_http_push_approval_find_key(pmcf->keyring, ck.kid, ck.kid_len);
    if (key == NULL) {
        return NGX_HTTP_PUSH_APPROVAL_RS_UNKNOWN_KEY;
    }

    part.data = ck.start;
    part.len = ck.signed_end - ck.start;
    ngx_http_push_approval_keyed_hmac(&key->cookie_mac, &part, 1, mac);

    if (!ngx_http_push_approval_mac_equal(mac, ck.mac, sizeof(mac))) {
        return NGX_HTTP_PUSH_APPROVAL_RS_SIGNATURE;
    }

    /* nor may it outlive this place's own ttl (1 s for the workers' clocks) */

    if (ck.expires <= ngx_time() || ck.expires > ngx_time() + plcf->ttl + 1) {
        return NGX_HTTP_PUSH_APPROVAL_RS_EXPIRED;
    }

    /* the server's hash under this key, computed with the configuration */

    pscf = ngx_http_get_module_srv_conf(r, ngx_http_push_approval_module);

    if (pscf->server_id.len == 0
        || !ngx_http_push_approval_mac_equal(
               pscf->server_hash[key - pmcf->keyring->keys], ck.server,
               NGX_HTTP_PUSH_APPROVAL_HASH_BYTES))
    {
        return NGX_HTTP_PUSH_APPROVAL_RS_SERVER;
    }

    /* the scope within its zone: another zone never sees its revocations */

    ngx_http_push_approval_keyed_hash_conf(&key->user_mac, "scope",
                                           &plcf->zone_scope, 1, h);
    if (!ngx_http_push_approval_mac_equal(h, ck.scope, sizeof(h))) {
        return NGX_HTTP_PUSH_APPROVAL_RS_SCOPE;
    }

    if (!(ck.methods & ngx_http_push_approval_method_bit(r))) {
        return NGX_HTTP_PUSH_APPROVAL_RS_METHOD;
    }

    if (ngx_http_complex_value(r, plcf->user, &user) != NGX_OK) {
        return NGX_HTTP_PUSH_APPROVAL_RS_USER;
    }

    ngx_http_push_approval_keyed_hash_conf(&key->user_mac, "user", &user,
                                           plcf->user->lengths == NULL, h);
    if (user.len == 0
        || !ngx_http_push_approval_mac_equal(h, ck.user, sizeof(h)))
    {
        return NGX_HTTP_PUSH_APPROVAL_RS_USER;
    }

    /* approved by another approver: as if for another server */

    if (!ngx_http_push_approval_same_approver(r, plcf, key, &user,
                                              ck.approver))
    {
        return NGX_HTTP_PUSH_APPROVAL_RS_SERVER;
    }

    if (ck.bind & (NGX_HTTP_PUSH_APPROVAL_BIND_IP
                   | NGX_HTTP_PUSH_APPROVAL_BIND_AGENT))
    {
        ngx_http_push_approval_client_hashes(r, &key->user_mac, h, h2);

        if ((ck.bind & NGX_HTTP_PUSH_APPROVAL_BIND_IP)
            && !ngx_http_push_approval_mac_equal(h, ck.ip, sizeof(h)))
        {
            return NGX_HTTP_PUSH_APPROVAL_RS_IP;
        }

        if ((ck.bind & NGX_HTTP_PUSH_APPROVAL_BIND_AGENT)
            && !ngx_http_push_approval_mac_equal(h2, ck.agent, sizeof(h2)))
        {
            return NGX_HTTP_PUSH_APPROVAL_RS_AGENT;
        }
    }

    if (ngx_http_push_approval_grant_lookup(plcf->zone, ck.id, &revoked,
                                            &ctx->approver, r->pool)
        == NGX_OK
        && revoked)
    {
        return NGX_HTTP_PUSH_APPROVAL_RS_REVOKED;
    }

    ngx_http_push_approval_clean_text(&user, NGX_HTTP_PUSH_APPROVAL_USER_MAX,
                                      &ctx->user, r->pool);

    part.data = ck.id;
    part.len = NGX_HTTP_PUSH_APPROVAL_ID_BYTES;
    ctx->approval.data = ngx_pnalloc(r->pool,
                                     NGX_HTTP_PUSH_APPROVAL_ID_LEN + 2);
    if (ctx->approval.data) {
        ngx_http_push_approval_b64url_encode(&ctx->approval, &part);
    }

    return NGX_HTTP_PUSH_APPROVAL_RS_NONE;
}


/*
 * The approver of this request against the cookie's.  A challenge keeps
 * its approver as clean text (cut at 64 bytes), and the cookie holds the
 * hash of that text; so the request's approver is hashed as that text.
 * An approver from the configuration is hashed once per worker.
 */

static ngx_uint_t
ngx_http_push_approval_same_approver(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_http_push_approval_key_t *key,
    ngx_str_t *user, u_char *want)
{
    u_char      h[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    ngx_str_t   approver, text;
    ngx_uint_t  conf;

    if (ngx_http_push_approval_approver(r, plcf, user, &approver) != NGX_OK
        || ngx_http_push_approval_clean_text(&approver,
                                             NGX_HTTP_PUSH_APPROVAL_USER_MAX,
                                             &text, r->pool)
           != NGX_OK)
    {
        return 0;
    }

    conf = 0;

    if (text.len == approver.len
        && ngx_memcmp(text.data, approver.data, text.len) == 0)
    {
        /* the configuration's own bytes, where it has them, are kept */

        text = approver;
        conf = (plcf->approver && plcf->approver->lengths == NULL
                && text.data == plcf->approver->value.data)
               || (plcf->user->lengths == NULL
                   && text.data == plcf->user->value.data);
    }

    ngx_http_push_approval_keyed_hash_conf(&key->user_mac, "approver", &text,
                                           conf, h);

    return ngx_http_push_approval_mac_equal(h, want, sizeof(h));
}


/* a decoded cookie value into its fields; pure, so that it can be fuzzed */

ngx_int_t
ngx_http_push_approval_cookie_parse(u_char *p, size_t len,
    ngx_http_push_approval_cookie_t *ck)
{
    u_char      *last;
    uint64_t     expires;
    ngx_uint_t   i;

    last = p + len;
    ck->start = p;

    if (len < NGX_HTTP_PUSH_APPROVAL_COOKIE_FIXED
              + NGX_HTTP_PUSH_APPROVAL_MAC_BYTES + 1
        || p[0] != NGX_HTTP_PUSH_APPROVAL_COOKIE_VERSION)
    {
        return NGX_ERROR;
    }

    ck->kid_len = p[1];

    if (ck->kid_len == 0 || ck->kid_len > NGX_HTTP_PUSH_APPROVAL_KID_MAX
        || len != NGX_HTTP_PUSH_APPROVAL_COOKIE_FIXED + ck->kid_len
                  + NGX_HTTP_PUSH_APPROVAL_MAC_BYTES)
    {
        return NGX_ERROR;
    }

    p += 2;
    ck->kid = p;
    p += ck->kid_len;
    ck->id = p;
    p += NGX_HTTP_PUSH_APPROVAL_ID_BYTES;

    expires = 0;
    for (i = 0; i < 8; i++) {
        expires = (expires << 8) | *p++;
    }

    /* beyond time_t: a forgery, whatever its MAC says */
    if (expires > (uint64_t) NGX_MAX_TIME_T_VALUE) {
        return NGX_ERROR;
    }

    ck->expires = (time_t) expires;

    ck->methods = ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
                  | ((uint32_t) p[2] << 8) | p[3];
    p += 4;

    ck->bind = *p++;

    ck->user = p;
    p += NGX_HTTP_PUSH_APPROVAL_HASH_BYTES;
    ck->server = p;
    p += NGX_HTTP_PUSH_APPROVAL_HASH_BYTES;
    ck->scope = p;
    p += NGX_HTTP_PUSH_APPROVAL_HASH_BYTES;
    ck->approver = p;
    p += NGX_HTTP_PUSH_APPROVAL_HASH_BYTES;
    ck->ip = p;
    p += NGX_HTTP_PUSH_APPROVAL_HASH_BYTES;
    ck->agent = p;
    p += NGX_HTTP_PUSH_APPROVAL_HASH_BYTES;

    ck->signed_end = p;
    ck->mac = p;

    return (p + NGX_HTTP_PUSH_APPROVAL_MAC_BYTES == last) ? NGX_OK : NGX_ERROR;
}


static ngx_http_push_approval_key_t *
ngx_http_push_approval_find_key(ngx_http_push_approval_keyring_t *ring,
    u_char *kid, size_t len)
{
    ngx_uint_t  i;

    for (i = 0; i < ring->nkeys; i++) {
        if (ring->keys[i].kid_len == len
            && ngx_memcmp(ring->keys[i].kid, kid, len) == 0)
        {
            return &ring->keys[i];
        }
    }

    return NULL;
}


/* mints the approval cookie of an approved challenge onto the response */

ngx_int_t
ngx_http_push_approval_set_cookie(ngx_http_request_t *r,
    ngx_http_push_approval_zone_t *zone, ngx_http_push_approval_challenge_t *ch)
{
    u_char                              *p;
    u_char                               raw[NGX_HTTP_PUSH_APPROVAL_COOKIE_MAX];
    time_t                               expires, max_age;
    ngx_str_t                            part, value, header, server, path,
                                         scope;
    ngx_uint_t                           i;
    ngx_http_push_approval_key_t        *key;
    ngx_http_push_approval_main_conf_t  *pmcf;

    pmcf = ngx_http_get_module_main_conf(r, ngx_http_push_approval_module);
    key = &pmcf->keyring->keys[0];

    expires = ch->decided + ch->ttl;
    max_age = expires - ngx_time();

    if (max_age <= 0) {
        return NGX_DECLINED;
    }

    p = raw;
    *p++ = NGX_HTTP_PUSH_APPROVAL_COOKIE_VERSION;
    *p++ = (u_char) key->kid_len;
    p = ngx_cpymem(p, key->kid, key->kid_len);
    p = ngx_cpymem(p, ch->id, NGX_HTTP_PUSH_APPROVAL_ID_BYTES);

    for (i = 0; i < 8; i++) {
        *p++ = (u_char) ((uint64_t) expires >> (56 - 8 * i));
    }

    *p++ = (u_char) (ch->methods >> 24);
    *p++ = (u_char) (ch->methods >> 16);
    *p++ = (u_char) (ch->methods >> 8);
    *p++ = (u_char) ch->methods;
    *p++ = (u_char) ch->bind;

    p = ngx_cpymem(p, ch->user_hash, NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);

    server = ch->server;
    ngx_http_push_approval_keyed_hash_field(&key->user_mac, "server", &server,
                                            p);
    p += NGX_HTTP_PUSH_APPROVAL_HASH_BYTES;
    if (ngx_http_push_approval_cookie_zone_scope(r->pool, &zone->name,
                                                 &ch->scope, &scope)
        == NULL)
    {
        return NGX_ERROR;
    }

    ngx_http_push_approval_keyed_hash_field(&key->user_mac, "scope", &scope,
                                            p);
    p += NGX_HTTP_PUSH_APPROVAL_HASH_BYTES;
    ngx_http_push_approval_keyed_hash_field(&key->user_mac, "approver",
                                            &ch->approver, p);
    p += NGX_HTTP_PUSH_APPROVAL_HASH_BYTES;

    if (ch->bind & NGX_HTTP_PUSH_APPROVAL_BIND_IP) {
        ngx_memcpy(p, ch->ip_hash, NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);

    } else {
        ngx_memzero(p, NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);
    }

    p += NGX_HTTP_PUSH_APPROVAL_HASH_BYTES;

    if (ch->bind & NGX_HTTP_PUSH_APPROVAL_BIND_AGENT) {
        ngx_memcpy(p, ch->agent_hash, NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);

    } else {
        ngx_memzero(p, NGX_HTTP_PUSH_APPROVAL_HASH_BYTES);
    }

    p += NGX_HTTP_PUSH_APPROVAL_HASH_BYTES;

    part.data = raw;
    part.len = p - raw;
    ngx_http_push_approval_keyed_hmac(&key->cookie_mac, &part, 1, p);
    p += NGX_HTTP_PUSH_APPROVAL_MAC_BYTES;

    part.len = p - raw;

    value.data = ngx_pnalloc(r->pool, ngx_base64_encoded_length(part.len));
    if (value.data == NULL) {
        return NGX_ERROR;
    }

    ngx_http_push_approval_b64url_encode(&value, &part);

    if (ch->cookie_flags & NGX_HTTP_PUSH_APPROVAL_COOKIE_HOST) {
        ngx_str_set(&path, "/");

    } else {
        path = ch->scope;
    }

    header.data = ngx_pnalloc(r->pool, ch->cookie.len + value.len + path.len
                                       + sizeof("=; Path=; Max-Age=; HttpOnly"
                                                "; SameSite=Strict; Secure")
                                       + NGX_TIME_T_LEN);
    if (header.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(header.data, "%V=%V; Path=%V; Max-Age=%T; HttpOnly; "
                    "SameSite=%s", &ch->cookie, &value, &path, max_age,
                    (ch->cookie_flags & NGX_HTTP_PUSH_APPROVAL_COOKIE_LAX)
                    ? "Lax" : "Strict");

    if (ch->cookie_flags & NGX_HTTP_PUSH_APPROVAL_COOKIE_SECURE) {
        p = ngx_cpymem(p, "; Secure", sizeof("; Secure") - 1);
    }

    header.len = p - header.data;

    if (ngx_http_push_approval_add_header(r, "Set-Cookie", &header) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_push_approval_event_about(ch, "cookie_issued",
                                                &ch->decided_by, NULL);

    ngx_str_set(&value, "private, no-store");

    return ngx_http_push_approval_add_header(r, "Cache-Control", &value);
}


ngx_uint_t
ngx_http_push_approval_cookie_flags(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf)
{
    ngx_uint_t  flags;

    flags = 0;

    if (plcf->cookie_samesite_lax) {
        flags |= NGX_HTTP_PUSH_APPROVAL_COOKIE_LAX;
    }

    if (plcf->cookie_name.len > 7
        && ngx_strncmp(plcf->cookie_name.data, "__Host-", 7) == 0)
    {
        return flags | NGX_HTTP_PUSH_APPROVAL_COOKIE_HOST
                     | NGX_HTTP_PUSH_APPROVAL_COOKIE_SECURE;
    }

    if (plcf->cookie_secure == NGX_HTTP_PUSH_APPROVAL_SECURE_ON) {
        flags |= NGX_HTTP_PUSH_APPROVAL_COOKIE_SECURE;
    }

#if (NGX_HTTP_SSL)
    if (plcf->cookie_secure == NGX_HTTP_PUSH_APPROVAL_SECURE_AUTO
        && r->connection->ssl)
    {
        flags |= NGX_HTTP_PUSH_APPROVAL_COOKIE_SECURE;
    }
#endif

    return flags;
}


/* what a cookie's scope hash covers: the zone's name, a NUL, the scope */

u_char *
ngx_http_push_approval_cookie_zone_scope(ngx_pool_t *pool, ngx_str_t *zone,
    ngx_str_t *scope, ngx_str_t *out)
{
    u_char  *p;

    out->len = zone->len + 1 + scope->len;
    out->data = ngx_pnalloc(pool, out->len);
    if (out->data == NULL) {
        return NULL;
    }

    p = ngx_cpymem(out->data, zone->data, zone->len);
    *p++ = '\0';

    if (scope->len) {
        ngx_memcpy(p, scope->data, scope->len);
    }

    return out->data;
}
