
/*
 * ngx_http_push_approval_cookie.c: approval cookie: mint and verify.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_COOKIE_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_COOKIE_H_INCLUDED_


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_keys.h"


#define NGX_HTTP_PUSH_APPROVAL_COOKIE_MAX    256    /* bytes of a value */


#define NGX_HTTP_PUSH_APPROVAL_COOKIE_SECURE 0x01
#define NGX_HTTP_PUSH_APPROVAL_COOKIE_LAX    0x02
#define NGX_HTTP_PUSH_APPROVAL_COOKIE_HOST   0x04   /* __Host- name */


/* the fields of a decoded approval cookie, pointing into it */

typedef struct {
    u_char        *kid;
    size_t         kid_len;
    u_char        *id;
    time_t         expires;
    uint32_t       methods;
    ngx_uint_t     bind;
    u_char        *user;
    u_char        *server;
    u_char        *scope;
    u_char        *approver;
    u_char        *ip;
    u_char        *agent;
    u_char        *mac;
    u_char        *signed_end;
    u_char        *start;
} ngx_http_push_approval_cookie_t;


ngx_int_t ngx_http_push_approval_check_cookie(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_http_push_approval_ctx_t *ctx);
ngx_int_t ngx_http_push_approval_set_cookie(ngx_http_request_t *r,
    ngx_http_push_approval_zone_t *zone,
    ngx_http_push_approval_challenge_t *ch);
u_char *ngx_http_push_approval_cookie_zone_scope(ngx_pool_t *pool,
    ngx_str_t *zone, ngx_str_t *scope, ngx_str_t *out);
ngx_int_t ngx_http_push_approval_cookie_name(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *server,
    ngx_str_t *name);
ngx_int_t ngx_http_push_approval_cookie_parse(u_char *p, size_t len,
    ngx_http_push_approval_cookie_t *ck);
ngx_uint_t ngx_http_push_approval_cookie_flags(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf);
void ngx_http_push_approval_server_name(ngx_http_request_t *r,
    ngx_str_t *name);
ngx_int_t ngx_http_push_approval_approver(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *user,
    ngx_str_t *approver);
ngx_int_t ngx_http_push_approval_server_identity(ngx_conf_t *cf,
    ngx_http_push_approval_srv_conf_t *pscf);
ngx_int_t ngx_http_push_approval_valid_server_id(ngx_str_t *id);
void ngx_http_push_approval_client_hashes(ngx_http_request_t *r,
    ngx_http_push_approval_mac_key_t *mk, u_char *ip, u_char *agent);


#endif /* _NGX_HTTP_PUSH_APPROVAL_COOKIE_H_INCLUDED_ */
