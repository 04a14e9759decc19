
/*
 * ngx_http_push_approval_recover.c: the journal directory's lock;
 * revocations read back at start.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_RECOVER_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_RECOVER_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


ngx_int_t ngx_http_push_approval_recover(ngx_cycle_t *cycle);


#endif /* _NGX_HTTP_PUSH_APPROVAL_RECOVER_H_INCLUDED_ */
