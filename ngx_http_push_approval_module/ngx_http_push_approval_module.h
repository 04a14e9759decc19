
/*
 * ngx_http_push_approval_module: a human approval in front of a location.
 *
 * What the module's files share: the limits and the states, the
 * configuration and the request's context.  Each .c file holds one
 * concern, and its .h what the other files may call and the types they
 * need from it:
 *
 *   module.c    configuration: create, merge, checks; module hooks
 *   directives.c  the directive table, zone and secret file, value checks
 *   gate_conf.c   push_approval and the protected location's directives
 *   endpoint_conf.c  the endpoint, endpoint URL and metrics directives
 *   audit_conf.c  the journal, audit key, Redis and stream directives
 *   keys.c      secret file, derived keys, MACs, random ids and codes
 *   cookie.c    approval cookie: mint and verify
 *   zone.c      shared memory: the zone made at start, its trees, expiry
 *   challenge.c  challenges in the zone: create, join, look up, redeem
 *   decide.c    how a challenge ends: notify outcome, decision, timeout
 *   grant.c     issued approvals (grants) and revocations
 *   workers.c   the zone's registry of worker pids, for wake-ups
 *   limit.c     prompt limits and lockouts per user
 *   wake.c      cross-worker wake-up and the per-worker waiter index
 *   gate.c      the precontent handler: the per-request state machine
 *   notify.c    the notify subrequest, its pool, the notify variables
 *   wait.c      the wait endpoint
 *   approve.c   the approve endpoint
 *   console.c   the console endpoint and the metrics location
 *   answer.c    outcomes: the status and result answers, problem+json
 *   output.c    the answer buffer, the page frame, sending, headers
 *   requester.c the interstitial, the two-step 401, the cross-site page
 *   approve_page.c  the approve page
 *   escape.c    UTF-8, JSON and HTML escaping, one-line plain text
 *   parse.c     base64url, approval ids, form bodies
 *   headers.c   Accept, Sec-Fetch-Dest, finding and adding headers, cookies
 *   text.c      a methods mask and a duration in words, a method's bit
 *   event.c     audit events: fields to JSON, the access event
 *   journal.c   the journal: per-worker hash chains in NDJSON files
 *   audit.c     the audit key: load, generate, sign checkpoints
 *   writers.c   the node's journal writers and their heads (shared)
 *   line.c      a journal line read back into its fields
 *   recover.c   the journal directory's lock; revocations read back at start
 *   redis.c     the Redis client on nginx's event loop (hiredis's parser)
 *   ship.c      shipping chains to the Redis stream
 *   adopt.c     shipping the chains of writers that are gone
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_MODULE_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


#define NGX_HTTP_PUSH_APPROVAL_ID_BYTES      16
#define NGX_HTTP_PUSH_APPROVAL_ID_LEN        22     /* base64url, no pad */
#define NGX_HTTP_PUSH_APPROVAL_HASH_BYTES    16     /* truncated HMACs */
#define NGX_HTTP_PUSH_APPROVAL_MAX_KEYS      8
#define NGX_HTTP_PUSH_APPROVAL_PROMPTS_MAX   64     /* prompt_limit's N */
#define NGX_HTTP_PUSH_APPROVAL_FAILS_MAX     16     /* lockout's N */
#define NGX_HTTP_PUSH_APPROVAL_AUDIT_KID     16

/* context field limits, in bytes, after escaping of control characters */
#define NGX_HTTP_PUSH_APPROVAL_USER_MAX      64
#define NGX_HTTP_PUSH_APPROVAL_UNLOCKS_MAX   200
#define NGX_HTTP_PUSH_APPROVAL_SERVER_MAX    100
#define NGX_HTTP_PUSH_APPROVAL_SCOPE_MAX     100
#define NGX_HTTP_PUSH_APPROVAL_CLIENT_MAX    46
#define NGX_HTTP_PUSH_APPROVAL_AGENT_MAX     100
#define NGX_HTTP_PUSH_APPROVAL_URI_MAX       200
#define NGX_HTTP_PUSH_APPROVAL_METHOD_MAX    16


/* challenge states; the order matters: everything >= APPROVED is final */
typedef enum {
    NGX_HTTP_PUSH_APPROVAL_NOTIFYING = 0,
    NGX_HTTP_PUSH_APPROVAL_PENDING,
    NGX_HTTP_PUSH_APPROVAL_APPROVED,
    NGX_HTTP_PUSH_APPROVAL_DENIED,
    NGX_HTTP_PUSH_APPROVAL_REPORTED,
    NGX_HTTP_PUSH_APPROVAL_CODE_MISMATCH,
    NGX_HTTP_PUSH_APPROVAL_TIMEOUT,
    NGX_HTTP_PUSH_APPROVAL_PUSH_FAILED
} ngx_http_push_approval_state_e;


/* what the requester sees: values of $push_approval_status */
typedef enum {
    NGX_HTTP_PUSH_APPROVAL_ST_NONE = 0,
    NGX_HTTP_PUSH_APPROVAL_ST_GRANTED,
    NGX_HTTP_PUSH_APPROVAL_ST_PENDING,
    NGX_HTTP_PUSH_APPROVAL_ST_APPROVED,
    NGX_HTTP_PUSH_APPROVAL_ST_DENIED,
    NGX_HTTP_PUSH_APPROVAL_ST_REPORTED,
    NGX_HTTP_PUSH_APPROVAL_ST_TIMEOUT,
    NGX_HTTP_PUSH_APPROVAL_ST_CODE_MISMATCH,
    NGX_HTTP_PUSH_APPROVAL_ST_LIMITED,
    NGX_HTTP_PUSH_APPROVAL_ST_LOCKED,
    NGX_HTTP_PUSH_APPROVAL_ST_CROSS_SITE,
    NGX_HTTP_PUSH_APPROVAL_ST_NO_IDENTITY,
    NGX_HTTP_PUSH_APPROVAL_ST_PUSH_FAILED,
    NGX_HTTP_PUSH_APPROVAL_ST_UNAVAILABLE,
    NGX_HTTP_PUSH_APPROVAL_ST_GONE,
    NGX_HTTP_PUSH_APPROVAL_ST_NOT_FOUND,
    NGX_HTTP_PUSH_APPROVAL_ST_SELF_APPROVAL,
    NGX_HTTP_PUSH_APPROVAL_ST_IDENTITY_REQUIRED,
    NGX_HTTP_PUSH_APPROVAL_ST_BAD_REQUEST,
    NGX_HTTP_PUSH_APPROVAL_ST_REVOKED,
    NGX_HTTP_PUSH_APPROVAL_ST_SUBREQUEST
} ngx_http_push_approval_status_e;


/* why a cookie was rejected: values of $push_approval_reason */
typedef enum {
    NGX_HTTP_PUSH_APPROVAL_RS_NONE = 0,
    NGX_HTTP_PUSH_APPROVAL_RS_MALFORMED,
    NGX_HTTP_PUSH_APPROVAL_RS_OVERSIZED,
    NGX_HTTP_PUSH_APPROVAL_RS_SERVER,
    NGX_HTTP_PUSH_APPROVAL_RS_SCOPE,
    NGX_HTTP_PUSH_APPROVAL_RS_METHOD,
    NGX_HTTP_PUSH_APPROVAL_RS_USER,
    NGX_HTTP_PUSH_APPROVAL_RS_IP,
    NGX_HTTP_PUSH_APPROVAL_RS_AGENT,
    NGX_HTTP_PUSH_APPROVAL_RS_EXPIRED,
    NGX_HTTP_PUSH_APPROVAL_RS_REVOKED,
    NGX_HTTP_PUSH_APPROVAL_RS_UNKNOWN_KEY,
    NGX_HTTP_PUSH_APPROVAL_RS_SIGNATURE
} ngx_http_push_approval_reason_e;


typedef enum {
    NGX_HTTP_PUSH_APPROVAL_MODE_AUTO = 0,
    NGX_HTTP_PUSH_APPROVAL_MODE_HOLD,
    NGX_HTTP_PUSH_APPROVAL_MODE_PAGE
} ngx_http_push_approval_mode_e;


typedef enum {
    NGX_HTTP_PUSH_APPROVAL_EP_NONE = 0,
    NGX_HTTP_PUSH_APPROVAL_EP_WAIT,
    NGX_HTTP_PUSH_APPROVAL_EP_APPROVE,
    NGX_HTTP_PUSH_APPROVAL_EP_WEBHOOK,
    NGX_HTTP_PUSH_APPROVAL_EP_CONSOLE,
    NGX_HTTP_PUSH_APPROVAL_EP_METRICS
} ngx_http_push_approval_endpoint_e;


#define NGX_HTTP_PUSH_APPROVAL_ALL_METHODS                                    \
    (NGX_HTTP_UNKNOWN|NGX_HTTP_GET|NGX_HTTP_HEAD|NGX_HTTP_POST|NGX_HTTP_PUT   \
     |NGX_HTTP_DELETE|NGX_HTTP_MKCOL|NGX_HTTP_COPY|NGX_HTTP_MOVE              \
     |NGX_HTTP_OPTIONS|NGX_HTTP_PROPFIND|NGX_HTTP_PROPPATCH|NGX_HTTP_LOCK     \
     |NGX_HTTP_UNLOCK|NGX_HTTP_PATCH|NGX_HTTP_TRACE|NGX_HTTP_CONNECT)

#define NGX_HTTP_PUSH_APPROVAL_BIND_IP       0x01
#define NGX_HTTP_PUSH_APPROVAL_BIND_AGENT    0x02

#define NGX_HTTP_PUSH_APPROVAL_SECURE_OFF    0
#define NGX_HTTP_PUSH_APPROVAL_SECURE_ON     1
#define NGX_HTTP_PUSH_APPROVAL_SECURE_AUTO   2


/* defined with their owners: zone.h, challenge.h, keys.h, redis.h */
typedef struct ngx_http_push_approval_zone_s
    ngx_http_push_approval_zone_t;
typedef struct ngx_http_push_approval_challenge_s
    ngx_http_push_approval_challenge_t;
typedef struct ngx_http_push_approval_keyring_s
    ngx_http_push_approval_keyring_t;
typedef struct ngx_http_push_approval_redis_conf_s
    ngx_http_push_approval_redis_conf_t;


/* configuration */

typedef struct {
    ngx_array_t                   zones;        /* zone_t * */
    ngx_array_t                   refs;         /* ngx_shm_zone_t * used */
    ngx_http_push_approval_keyring_t *keyring;
    ngx_str_t                     secret_file;
    ngx_str_t                     node;
    ngx_path_t                   *journal;
    ngx_uint_t                    journal_fsync;
    ngx_str_t                     audit_key;    /* path */
    void                         *audit_pkey;   /* EVP_PKEY */
    u_char                        audit_kid[NGX_HTTP_PUSH_APPROVAL_AUDIT_KID];
    ngx_http_push_approval_redis_conf_t *redis;
    ngx_str_t                     stream;
    size_t                        stream_maxlen;
    ngx_flag_t                    used;         /* something is protected */
    ngx_flag_t                    endpoints;
} ngx_http_push_approval_main_conf_t;


typedef struct {
    ngx_shm_zone_t               *shm_zone;     /* NULL: off */
    ngx_http_push_approval_zone_t *zone;
    ngx_http_complex_value_t     *user;
    ngx_http_complex_value_t     *approver;
    ngx_http_complex_value_t     *unlocks;
    ngx_str_t                     scope;
    ngx_str_t                     zone_scope;   /* zone name, NUL, scope */
    ngx_uint_t                    methods;
    time_t                        ttl;
    time_t                        wait;
    ngx_str_t                     notify;
    ngx_uint_t                    mode;
    ngx_uint_t                    code_digits;
    ngx_uint_t                    bind;
    ngx_str_t                     cookie_name;  /* empty: derived */
    ngx_uint_t                    cookie_secure;
    ngx_uint_t                    cookie_samesite_lax;
    ngx_uint_t                    prompt_n;
    time_t                        prompt_period;
    ngx_uint_t                    lockout_n;
    time_t                        lockout_period;
    ngx_flag_t                    separate;

    ngx_uint_t                    endpoint;     /* EP_* of this location */
    ngx_str_t                     endpoint_prefix;
    ngx_http_complex_value_t     *identity;
    ngx_flag_t                    metrics;

    /* where "push_approval" was given, for nginx -t messages */
    u_char                       *file;
    ngx_uint_t                    line;
} ngx_http_push_approval_loc_conf_t;


typedef struct {
    ngx_str_t                     wait_prefix;  /* of this server{} */
    ngx_str_t                     endpoint_url;
    /* what approvals are bound to (never the Host): empty when none */
    ngx_str_t                     server_id;
    /* its keyed hash under each key of the keyring */
    u_char                        server_hash[NGX_HTTP_PUSH_APPROVAL_MAX_KEYS]
                                      [NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    ngx_flag_t                    protected;
    u_char                       *file;
    ngx_uint_t                    line;
} ngx_http_push_approval_srv_conf_t;


/* per-request state */

typedef enum {
    NGX_HTTP_PUSH_APPROVAL_GATE_START = 0,
    NGX_HTTP_PUSH_APPROVAL_GATE_BODY,
    NGX_HTTP_PUSH_APPROVAL_GATE_NOTIFY,
    NGX_HTTP_PUSH_APPROVAL_GATE_WAIT,
    NGX_HTTP_PUSH_APPROVAL_GATE_PASSED,
    NGX_HTTP_PUSH_APPROVAL_GATE_ANSWERED
} ngx_http_push_approval_gate_e;


typedef struct ngx_http_push_approval_ctx_s  ngx_http_push_approval_ctx_t;

typedef void (*ngx_http_push_approval_wake_pt)(
    ngx_http_push_approval_ctx_t *ctx);

struct ngx_http_push_approval_ctx_s {
    ngx_http_request_t           *request;
    ngx_http_push_approval_zone_t *zone;
    ngx_http_push_approval_challenge_t *challenge;

    ngx_uint_t                    gate;         /* GATE_* */
    ngx_uint_t                    status;       /* ST_* */
    ngx_uint_t                    reason;       /* RS_* */
    ngx_str_t                     approval;     /* id served under */
    ngx_str_t                     approver;     /* who approved it */
    ngx_str_t                     user;         /* who asked, cleaned */
    void                         *data;         /* endpoint state */

    /* where a passed request passed, for its subrequests */
    ngx_http_push_approval_loc_conf_t *pass_conf;

    /* waiting */
    ngx_rbtree_node_t             waiter;       /* key: first id bytes */
    ngx_event_t                   timer;        /* end of the wait */
    ngx_event_t                   wake;         /* posted on a decision */
    ngx_http_push_approval_wake_pt  on_wake;
    ngx_str_t                     redirect;     /* wait endpoint: r= */
    time_t                        retry;        /* Retry-After of a 429 */

    /* the notify subrequest, and the pool it allocates from (notify.c) */
    ngx_http_request_t           *notify_sr;
    ngx_pool_t                   *notify_pool;
    ngx_uint_t                    notify_count; /* r->main->count before */
    ngx_int_t                     notify_status;
    unsigned                      notify_done:1;
    unsigned                      body_read:1;
    unsigned                      reading:1;    /* body read in progress */
    unsigned                      waiting:1;    /* in the waiter index */
    unsigned                      creator:1;
    unsigned                      shutdown:1;   /* worker_shutdown_timeout */
    unsigned                      endpoint:1;   /* not the gate's */
    unsigned                      stale:1;      /* left by a redirect */
};



/* an event of the module's own, at exit: off the timer tree and the queue */

static ngx_inline void
ngx_http_push_approval_event_cancel(ngx_event_t *ev)
{
    if (ev->timer_set) {
        ngx_del_timer(ev);
    }

    if (ev->posted) {
        ngx_delete_posted_event(ev);
    }
}


extern ngx_module_t  ngx_http_push_approval_module;

ngx_http_push_approval_ctx_t *ngx_http_push_approval_get_ctx(
    ngx_http_request_t *r);
ngx_http_push_approval_ctx_t *ngx_http_push_approval_create_ctx(
    ngx_http_request_t *r, ngx_uint_t endpoint);


#endif /* _NGX_HTTP_PUSH_APPROVAL_MODULE_H_INCLUDED_ */
