
/*
 * ngx_http_push_approval_adopt.c: shipping the chains of writers that are
 * gone.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_ADOPT_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_ADOPT_H_INCLUDED_


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_ship.h"


void ngx_http_push_approval_adopt_scan(ngx_event_t *ev);
void ngx_http_push_approval_adopt_finish(
    ngx_http_push_approval_chain_t *ch);


#endif /* _NGX_HTTP_PUSH_APPROVAL_ADOPT_H_INCLUDED_ */
