
/*
 * ngx_http_push_approval_writers.c: the node's journal writers and their
 * heads (shared).
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_WRITERS_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_WRITERS_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


/* room for a journal writer's name and for its path, in bytes */

#define NGX_HTTP_PUSH_APPROVAL_WRITER_LEN    96
#define NGX_HTTP_PUSH_APPROVAL_WRITER_PATH   240


/* the journal's figures for the metrics (writers_stats) */

typedef struct {
    off_t                         backlog;      /* written, not shipped */
    off_t                         pending;      /* not written yet */
    ngx_uint_t                    shipped;      /* events */
    ngx_uint_t                    errors;       /* failed writes */
    ngx_uint_t                    lost;         /* events */
} ngx_http_push_approval_writers_stats_t;


char *ngx_http_push_approval_writers_conf(ngx_conf_t *cf);
ngx_int_t ngx_http_push_approval_writers_join(ngx_str_t *writer,
    ngx_str_t *path);
void ngx_http_push_approval_writers_wrote(uint64_t seq, u_char *head,
    off_t bytes, size_t pending);
void ngx_http_push_approval_writers_failed(ngx_uint_t writes,
    ngx_uint_t lost);
void ngx_http_push_approval_writers_leave(void);
u_char *ngx_http_push_approval_writers_heads(u_char *p, u_char *last);
ngx_uint_t ngx_http_push_approval_writers_live(u_char *path, size_t len);
void ngx_http_push_approval_writers_shipped(u_char *writer, size_t len,
    uint64_t seq, off_t bytes, ngx_uint_t events);
off_t ngx_http_push_approval_writers_written(u_char *writer, size_t len);
void ngx_http_push_approval_writers_stats(
    ngx_http_push_approval_writers_stats_t *st);


#endif /* _NGX_HTTP_PUSH_APPROVAL_WRITERS_H_INCLUDED_ */
