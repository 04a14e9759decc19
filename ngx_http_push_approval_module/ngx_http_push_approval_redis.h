
/*
 * ngx_http_push_approval_redis.c: the Redis client on nginx's event loop
 * (hiredis's parser).
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_REDIS_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_REDIS_H_INCLUDED_


#include "ngx_http_push_approval_module.h"


struct ngx_http_push_approval_redis_conf_s {
    ngx_str_t                     addr;         /* as configured */
    ngx_str_t                     host;         /* numeric, null-terminated */
    ngx_uint_t                    port;
    ngx_str_t                     unix_path;    /* null-terminated */
    ngx_str_t                     password;
    ngx_uint_t                    db;
};


typedef void (*ngx_http_push_approval_redis_up_pt)(void);

/* a hiredis redisReply, or NULL: the connection went away */
typedef void (*ngx_http_push_approval_redis_reply_pt)(void *reply,
    void *data);

#define NGX_HTTP_PUSH_APPROVAL_REDIS_QUEUE    16    /* replies awaited */
#define NGX_HTTP_PUSH_APPROVAL_REDIS_REPLY    65536 /* bytes of a reply */
#define NGX_HTTP_PUSH_APPROVAL_REDIS_ELTS     16    /* of an array */
#define NGX_HTTP_PUSH_APPROVAL_REDIS_DEPTH    2     /* arrays in arrays */

typedef struct {
    ngx_http_push_approval_redis_reply_pt  handler;
    void                                  *data;
} ngx_http_push_approval_redis_expect_t;

/* the replies of a connection matched in order to the commands sent */

typedef struct {
    void                                  *reader;      /* redisReader */
    ngx_log_t                             *log;
    ngx_str_t                             *name;
    ngx_http_push_approval_redis_expect_t  expect[
                                           NGX_HTTP_PUSH_APPROVAL_REDIS_QUEUE];
    ngx_uint_t                             head;
    ngx_uint_t                             nexpect;
    size_t                                 partial;     /* bytes pending */
    unsigned                               dispatching:1;
    unsigned                               failed:1;
    unsigned                               too_big:1;
} ngx_http_push_approval_redis_proto_t;


ngx_int_t ngx_http_push_approval_redis_init(ngx_cycle_t *cycle,
    ngx_http_push_approval_redis_conf_t *conf,
    ngx_http_push_approval_redis_up_pt handler);
void ngx_http_push_approval_redis_exit(void);
ngx_uint_t ngx_http_push_approval_redis_is_up(void);
void ngx_http_push_approval_redis_drop(void);
ngx_int_t ngx_http_push_approval_redis_command(
    ngx_http_push_approval_redis_reply_pt fn, void *data, int argc,
    const char **argv, const size_t *len);
ngx_int_t ngx_http_push_approval_redis_proto_init(
    ngx_http_push_approval_redis_proto_t *p, ngx_log_t *log, ngx_str_t *name);
ngx_int_t ngx_http_push_approval_redis_proto_expect(
    ngx_http_push_approval_redis_proto_t *p,
    ngx_http_push_approval_redis_reply_pt handler, void *data);
ngx_int_t ngx_http_push_approval_redis_proto_feed(
    ngx_http_push_approval_redis_proto_t *p, u_char *buf, size_t n);
void ngx_http_push_approval_redis_proto_reset(
    ngx_http_push_approval_redis_proto_t *p);


#endif /* _NGX_HTTP_PUSH_APPROVAL_REDIS_H_INCLUDED_ */
