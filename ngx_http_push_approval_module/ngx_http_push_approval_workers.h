
/*
 * ngx_http_push_approval_workers.c: the zone's registry of worker pids, for
 * wake-ups.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_WORKERS_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_WORKERS_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


#define NGX_HTTP_PUSH_APPROVAL_MAX_WORKERS   128
#define NGX_HTTP_PUSH_APPROVAL_WAKE_NAME     16     /* random bytes, wake.c */


/* a worker's entry in the zone's registry: where its wake socket is */
typedef struct {
    ngx_pid_t                     pid;
    u_char                        name[NGX_HTTP_PUSH_APPROVAL_WAKE_NAME];
} ngx_http_push_approval_worker_t;


ngx_int_t ngx_http_push_approval_workers_register(
    ngx_http_push_approval_zone_t *zone, ngx_http_push_approval_worker_t *w,
    ngx_uint_t on);
ngx_uint_t ngx_http_push_approval_workers_list(
    ngx_http_push_approval_zone_t *zone, ngx_http_push_approval_worker_t *w);


#endif /* _NGX_HTTP_PUSH_APPROVAL_WORKERS_H_INCLUDED_ */
