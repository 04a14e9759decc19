
/*
 * The shipper's state, shared by ship.c (the batches) and adopt.c (the
 * chains of writers that are gone).  And what the journal calls.
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_SHIP_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_SHIP_H_INCLUDED_


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_line.h"
#include "ngx_http_push_approval_writers.h"


#define NGX_HTTP_PUSH_APPROVAL_SHIP_BUF      (256 * 1024)
#define NGX_HTTP_PUSH_APPROVAL_SHIP_BATCH    512          /* events */
#define NGX_HTTP_PUSH_APPROVAL_SHIP_CHAINS   64
#define NGX_HTTP_PUSH_APPROVAL_SHIP_SCAN     1000         /* ms */
#define NGX_HTTP_PUSH_APPROVAL_SHIP_RETRY    1000         /* ms */
#define NGX_HTTP_PUSH_APPROVAL_SHIP_GATHER   2            /* ms */
#define NGX_HTTP_PUSH_APPROVAL_SHIP_ARGS                                      \
    (8 + NGX_HTTP_PUSH_APPROVAL_SHIP_BATCH                                    \
         * (1 + 2 * NGX_HTTP_PUSH_APPROVAL_LINE_FIELDS))


typedef struct {
    u_char                        writer[NGX_HTTP_PUSH_APPROVAL_WRITER_LEN];
    size_t                        writer_len;
    u_char                        path[NGX_HTTP_PUSH_APPROVAL_WRITER_PATH];
    ngx_fd_t                      fd;
    off_t                         offset;       /* after the lines shipped */
    off_t                         base;         /* in the files before */
    uint64_t                      shipped;      /* the stream's checkpoint */
    unsigned                      used:1;
    unsigned                      own:1;
    unsigned                      known:1;      /* shipped is Redis's */
    unsigned                      broken:1;
} ngx_http_push_approval_chain_t;


typedef struct {
    u_char                        path[NGX_HTTP_PUSH_APPROVAL_WRITER_PATH];
    off_t                         size;
} ngx_http_push_approval_done_t;


typedef struct {
    ngx_http_push_approval_chain_t  chain[NGX_HTTP_PUSH_APPROVAL_SHIP_CHAINS];
    ngx_uint_t                    next;         /* round robin */
    ngx_http_push_approval_chain_t *sending;
    off_t                         batch_end;
    uint64_t                      batch_last;
    ngx_uint_t                    batch_events;
    ngx_uint_t                    batch_more;
    u_char                       *buf;
    u_char                       *dec;
    const char                  **argv;
    size_t                       *argvlen;
    ngx_str_t                     stream;
    ngx_str_t                     key_prefix;   /* {stream}:shipped: */
    u_char                        key[NGX_HTTP_PUSH_APPROVAL_WRITER_LEN
                                      + 256];
    u_char                        seqs[2][NGX_INT64_LEN];
    u_char                        maxlen[NGX_INT64_LEN];
    size_t                        maxlen_len;
    ngx_str_t                     dir;
    ngx_array_t                   done;         /* of done_t */
    ngx_event_t                   kick;         /* posted */
    ngx_event_t                   scan;         /* cancelable timer */
    ngx_event_t                   retry;        /* cancelable timer */
    ngx_event_t                   gather;       /* cancelable timer */
    ngx_uint_t                    errors;
} ngx_http_push_approval_ship_t;


extern ngx_http_push_approval_ship_t  *ngx_http_push_approval_ship;


void ngx_http_push_approval_ship_now(void);
ngx_int_t ngx_http_push_approval_ship_open(ngx_http_push_approval_chain_t *ch);
void ngx_http_push_approval_ship_close(ngx_http_push_approval_chain_t *ch);
ngx_int_t ngx_http_push_approval_ship_init(ngx_cycle_t *cycle,
    ngx_str_t *writer, ngx_str_t *path);
void ngx_http_push_approval_ship_exit(void);
void ngx_http_push_approval_ship_wrote(void);


#endif /* _NGX_HTTP_PUSH_APPROVAL_SHIP_H_INCLUDED_ */
