
/*
 * ngx_http_push_approval_answer.c: outcomes: the status and result answers,
 * problem+json.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_ANSWER_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_ANSWER_H_INCLUDED_


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_output.h"


/* one value of $push_approval_status and how it is shown (answer.c) */
typedef struct {
    ngx_str_t                     reason;
    ngx_str_t                     title;
    ngx_str_t                     text;
    ngx_uint_t                    http_status;
} ngx_http_push_approval_outcome_t;


ngx_int_t ngx_http_push_approval_send_status(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *approval_id, time_t retry_after);
ngx_int_t ngx_http_push_approval_send_result(ngx_http_request_t *r,
    ngx_uint_t http_status, ngx_uint_t status, ngx_str_t *id);
ngx_str_t *ngx_http_push_approval_status_name(ngx_uint_t status);
ngx_http_push_approval_outcome_t *ngx_http_push_approval_outcome(
    ngx_uint_t status);
void ngx_http_push_approval_problem(ngx_http_push_approval_out_t *o,
    ngx_uint_t http_status, ngx_uint_t status, ngx_str_t *approval_id);
ngx_uint_t ngx_http_push_approval_answer_of_state(ngx_uint_t state);


#endif /* _NGX_HTTP_PUSH_APPROVAL_ANSWER_H_INCLUDED_ */
