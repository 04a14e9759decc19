
/*
 * ngx_http_push_approval_event.c: audit events: fields to JSON, the access
 * event.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_EVENT_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_EVENT_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


/* an audit event's fields; empty strings and zero numbers are left out */
typedef struct {
    ngx_str_t                     id;
    ngx_str_t                     user;
    ngx_str_t                     approver;
    ngx_str_t                     client;
    ngx_str_t                     agent;
    ngx_str_t                     server;
    ngx_str_t                     scope;
    ngx_str_t                     unlocks;
    ngx_str_t                     method;
    ngx_str_t                     uri;
    ngx_str_t                     reason;
    ngx_uint_t                    status;
    off_t                         bytes;
    ngx_msec_t                    request_time;
    unsigned                      access:1;
} ngx_http_push_approval_event_t;


void ngx_http_push_approval_event(const char *name,
    ngx_http_push_approval_event_t *e);
void ngx_http_push_approval_event_challenge(ngx_http_push_approval_event_t *e,
    ngx_http_push_approval_challenge_t *ch);
void ngx_http_push_approval_event_request(ngx_http_push_approval_event_t *e,
    ngx_http_request_t *r);
void ngx_http_push_approval_event_of(ngx_http_request_t *r, const char *name,
    ngx_str_t *user, const char *reason);
void ngx_http_push_approval_rejected(ngx_http_request_t *r,
    const char *reason);
ngx_int_t ngx_http_push_approval_log_handler(ngx_http_request_t *r);
void ngx_http_push_approval_event_about(
    ngx_http_push_approval_challenge_t *ch, const char *name,
    ngx_str_t *approver, const char *reason);


#endif /* _NGX_HTTP_PUSH_APPROVAL_EVENT_H_INCLUDED_ */
