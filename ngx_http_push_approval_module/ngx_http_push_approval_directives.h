
/*
 * ngx_http_push_approval_directives.c: the directive table, zone and secret
 * file, value checks.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_DIRECTIVES_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_DIRECTIVES_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


extern ngx_command_t  ngx_http_push_approval_commands[];


#endif /* _NGX_HTTP_PUSH_APPROVAL_DIRECTIVES_H_INCLUDED_ */
