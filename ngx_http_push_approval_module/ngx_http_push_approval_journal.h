
/*
 * ngx_http_push_approval_journal.c: the journal: per-worker hash chains in
 * NDJSON files.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_JOURNAL_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_JOURNAL_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


ngx_int_t ngx_http_push_approval_journal_init(ngx_cycle_t *cycle);
void ngx_http_push_approval_journal_exit(ngx_cycle_t *cycle);
ngx_uint_t ngx_http_push_approval_journal_on(void);
void ngx_http_push_approval_journal_event(const char *event,
    ngx_str_t *fields);
ngx_uint_t ngx_http_push_approval_journal_mark(void);
ngx_int_t ngx_http_push_approval_journal_confirm(ngx_uint_t mark);
void ngx_http_push_approval_journal_hold(ngx_uint_t on);
ngx_uint_t ngx_http_push_approval_journal_count(void);


#endif /* _NGX_HTTP_PUSH_APPROVAL_JOURNAL_H_INCLUDED_ */
