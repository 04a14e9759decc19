
/*
 * ngx_http_push_approval_module: a human approval in front of a location.
 *
 * Shared declarations.  Each .c file holds one concern:
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
 *   ship.c      shipping chains to the Redis stream (ship.h)
 *   adopt.c     shipping the chains of writers that are gone
 */


#ifndef _NGX_HTTP_PUSH_APPROVAL_MODULE_H_INCLUDED_
#define _NGX_HTTP_PUSH_APPROVAL_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/sha.h>


#define NGX_HTTP_PUSH_APPROVAL_ID_BYTES      16
#define NGX_HTTP_PUSH_APPROVAL_ID_LEN        22     /* base64url, no pad */
#define NGX_HTTP_PUSH_APPROVAL_MAC_BYTES     32
#define NGX_HTTP_PUSH_APPROVAL_TOKEN_LEN     43     /* base64url of a MAC */
#define NGX_HTTP_PUSH_APPROVAL_NOTIFY_POOL   4096   /* the push's own pool */
#define NGX_HTTP_PUSH_APPROVAL_HASH_BYTES    16     /* truncated HMACs */
#define NGX_HTTP_PUSH_APPROVAL_KID_MAX       16
#define NGX_HTTP_PUSH_APPROVAL_KEY_MIN       32
#define NGX_HTTP_PUSH_APPROVAL_KEY_MAX       64
#define NGX_HTTP_PUSH_APPROVAL_MAX_KEYS      8
#define NGX_HTTP_PUSH_APPROVAL_COOKIE_MAX    256    /* bytes of a value */
#define NGX_HTTP_PUSH_APPROVAL_MAX_WORKERS   128
#define NGX_HTTP_PUSH_APPROVAL_WAKE_NAME     16     /* random bytes, wake.c */
#define NGX_HTTP_PUSH_APPROVAL_MAX_CODE_TRIES 3
#define NGX_HTTP_PUSH_APPROVAL_FORM_MAX      1024
#define NGX_HTTP_PUSH_APPROVAL_PROMPTS_MAX   64     /* prompt_limit's N */
#define NGX_HTTP_PUSH_APPROVAL_FAILS_MAX     16     /* lockout's N */
#define NGX_HTTP_PUSH_APPROVAL_CONSOLE_MAX   100    /* challenges listed */

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


/* how one request is answered: hold, page or two-step (docs/flow.md) */
typedef enum {
    NGX_HTTP_PUSH_APPROVAL_ANSWER_HOLD = 0,
    NGX_HTTP_PUSH_APPROVAL_ANSWER_PAGE,
    NGX_HTTP_PUSH_APPROVAL_ANSWER_TWO_STEP
} ngx_http_push_approval_answer_e;


typedef enum {
    NGX_HTTP_PUSH_APPROVAL_EP_NONE = 0,
    NGX_HTTP_PUSH_APPROVAL_EP_WAIT,
    NGX_HTTP_PUSH_APPROVAL_EP_APPROVE,
    NGX_HTTP_PUSH_APPROVAL_EP_WEBHOOK,
    NGX_HTTP_PUSH_APPROVAL_EP_CONSOLE,
    NGX_HTTP_PUSH_APPROVAL_EP_METRICS
} ngx_http_push_approval_endpoint_e;


/* decision token kinds: what a decision token may decide */
typedef enum {
    NGX_HTTP_PUSH_APPROVAL_TOKEN_ANY = 0,
    NGX_HTTP_PUSH_APPROVAL_TOKEN_DENY,
    NGX_HTTP_PUSH_APPROVAL_TOKEN_TAP_APPROVE
} ngx_http_push_approval_token_e;


#define NGX_HTTP_PUSH_APPROVAL_ALL_METHODS                                    \
    (NGX_HTTP_UNKNOWN|NGX_HTTP_GET|NGX_HTTP_HEAD|NGX_HTTP_POST|NGX_HTTP_PUT   \
     |NGX_HTTP_DELETE|NGX_HTTP_MKCOL|NGX_HTTP_COPY|NGX_HTTP_MOVE              \
     |NGX_HTTP_OPTIONS|NGX_HTTP_PROPFIND|NGX_HTTP_PROPPATCH|NGX_HTTP_LOCK     \
     |NGX_HTTP_UNLOCK|NGX_HTTP_PATCH|NGX_HTTP_TRACE|NGX_HTTP_CONNECT)

#define NGX_HTTP_PUSH_APPROVAL_BIND_IP       0x01
#define NGX_HTTP_PUSH_APPROVAL_BIND_AGENT    0x02

#define NGX_HTTP_PUSH_APPROVAL_COOKIE_SECURE 0x01
#define NGX_HTTP_PUSH_APPROVAL_COOKIE_LAX    0x02
#define NGX_HTTP_PUSH_APPROVAL_COOKIE_HOST   0x04   /* __Host- name */

#define NGX_HTTP_PUSH_APPROVAL_SECURE_OFF    0
#define NGX_HTTP_PUSH_APPROVAL_SECURE_ON     1
#define NGX_HTTP_PUSH_APPROVAL_SECURE_AUTO   2


/* an HMAC-SHA256 key, keyed once: SHA-256 after key^ipad and key^opad */
typedef struct {
    SHA256_CTX                    inner;
    SHA256_CTX                    outer;
} ngx_http_push_approval_mac_key_t;


/* keys derived from one line of the secret file, and their keyed HMACs */
typedef struct {
    u_char                            kid[NGX_HTTP_PUSH_APPROVAL_KID_MAX];
    size_t                            kid_len;
    u_char                            cookie[32];
    u_char                            token[32];
    u_char                            pending[32];
    u_char                            user[32];
    u_char                            path[32];
    u_char                            code[32];
    ngx_http_push_approval_mac_key_t  cookie_mac;
    ngx_http_push_approval_mac_key_t  token_mac;
    ngx_http_push_approval_mac_key_t  pending_mac;
    ngx_http_push_approval_mac_key_t  user_mac;
    ngx_http_push_approval_mac_key_t  path_mac;
    ngx_http_push_approval_mac_key_t  code_mac;
} ngx_http_push_approval_key_t;


typedef struct {
    ngx_http_push_approval_key_t  keys[NGX_HTTP_PUSH_APPROVAL_MAX_KEYS];
    ngx_uint_t                    nkeys;        /* keys[0] signs */
} ngx_http_push_approval_keyring_t;


/* shared memory */

typedef struct {
    ngx_rbtree_node_t             node;         /* key: first id bytes */
    ngx_queue_t                   queue;        /* by purge time */
    ngx_rbtree_node_t             join;         /* key: join key bytes */
    u_char                        id[NGX_HTTP_PUSH_APPROVAL_ID_BYTES];
    u_char                        join_key[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char                        code_mac[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char                        user_hash[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char                        ip_hash[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char                        agent_hash[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char                        who[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    time_t                        created;
    time_t                        expires;      /* end of the wait */
    time_t                        decided;
    time_t                        purge;        /* when the node may go */
    time_t                        ttl;
    uint32_t                      methods;
    uint32_t                      lockout_period;
    uint8_t                       lockout_n;
    uint8_t                       state;
    uint8_t                       answer;
    uint8_t                       wrong_codes;
    unsigned                      code_required:1;
    unsigned                      joinable:1;
    unsigned                      joined:1;     /* in the join tree */
    unsigned                      redeemed:1;
    unsigned                      separate:1;
    unsigned                      bind:2;
    /* lengths of the strings in data[], in this order */
    u_char                        user_len;
    u_char                        approver_len;
    u_char                        unlocks_len;
    u_char                        server_len;
    u_char                        scope_len;
    u_char                        client_len;
    u_char                        agent_len;
    u_char                        method_len;
    u_char                        uri_len;
    u_char                        decided_by_len;
    u_char                        cookie_len;
    uint8_t                       cookie_flags;
    u_char                        data[1];
} ngx_http_push_approval_node_t;


/* a user's recent challenges and failures, for limits and lockouts */
typedef struct {
    ngx_rbtree_node_t             node;
    ngx_queue_t                   queue;        /* by last activity */
    u_char                        user_hash[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    time_t                        keep;         /* may go after this */
    time_t                        reported;     /* last report */
    uint32_t                      prompts[NGX_HTTP_PUSH_APPROVAL_PROMPTS_MAX];
    uint32_t                      fails[NGX_HTTP_PUSH_APPROVAL_FAILS_MAX];
    uint8_t                       nprompts;
    uint8_t                       prompt_next;
    uint8_t                       nfails;
    uint8_t                       fail_next;
} ngx_http_push_approval_user_t;


/* an issued approval, kept compactly until its cookies expire */
typedef struct {
    ngx_rbtree_node_t             node;
    ngx_queue_t                   queue;        /* by expiry */
    u_char                        id[NGX_HTTP_PUSH_APPROVAL_ID_BYTES];
    time_t                        expires;
    unsigned                      revoked:1;
    u_char                        approver_len;
    u_char                        approver[1];
} ngx_http_push_approval_grant_t;


/* a worker's entry in the zone's registry: where its wake socket is */
typedef struct {
    ngx_pid_t                     pid;
    u_char                        name[NGX_HTTP_PUSH_APPROVAL_WAKE_NAME];
} ngx_http_push_approval_worker_t;


typedef struct {
    ngx_rbtree_t                  challenges;
    ngx_rbtree_node_t             challenges_sentinel;
    ngx_rbtree_t                  joins;
    ngx_rbtree_node_t             joins_sentinel;
    ngx_queue_t                   challenge_queue;
    ngx_rbtree_t                  grants;
    ngx_rbtree_node_t             grants_sentinel;
    ngx_queue_t                   grant_queue;
    ngx_queue_t                   recovered_queue;  /* from the journal */
    ngx_rbtree_t                  users;
    ngx_rbtree_node_t             users_sentinel;
    ngx_queue_t                   user_queue;

    u_char                        salt[32];     /* keys the user records */
    ngx_atomic_uint_t             decisions;    /* bumped on each decision */
    ngx_atomic_uint_t             created;
    ngx_atomic_t                  journal_events;   /* of all writers */
    time_t                        distrust;     /* grantless cookies: revoked */
    ngx_http_push_approval_worker_t
                                  workers[NGX_HTTP_PUSH_APPROVAL_MAX_WORKERS];

    /* metrics */
    ngx_atomic_uint_t             challenges_total[8];   /* by state */
    ngx_atomic_uint_t             cookie_checks[13];     /* by reason */
} ngx_http_push_approval_shctx_t;


typedef struct {
    ngx_http_push_approval_shctx_t  *sh;
    ngx_slab_pool_t                 *shpool;
    ngx_str_t                        name;
    ngx_shm_zone_t                  *shm_zone;
    time_t                           max_period;  /* of limits using it */
    unsigned                         fresh:1;     /* created by this cycle */
} ngx_http_push_approval_zone_t;


/* a request's snapshot of a challenge, in request memory */
typedef struct {
    u_char                        id[NGX_HTTP_PUSH_APPROVAL_ID_BYTES];
    ngx_str_t                     id_text;
    ngx_str_t                     user;
    ngx_str_t                     approver;
    ngx_str_t                     unlocks;
    ngx_str_t                     server;
    ngx_str_t                     scope;
    ngx_str_t                     client;
    ngx_str_t                     agent;
    ngx_str_t                     method;
    ngx_str_t                     uri;
    ngx_str_t                     decided_by;
    ngx_str_t                     cookie;       /* approval cookie name */
    ngx_uint_t                    cookie_flags; /* COOKIE_* */
    u_char                        user_hash[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char                        ip_hash[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char                        agent_hash[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char                        join_key[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char                        code_mac[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    u_char                        who[NGX_HTTP_PUSH_APPROVAL_HASH_BYTES];
    ngx_str_t                     code;         /* only in the creator */
    time_t                        created;
    time_t                        expires;
    time_t                        decided;
    time_t                        ttl;
    uint32_t                      methods;
    ngx_uint_t                    lockout_n;
    time_t                        lockout_period;
    ngx_uint_t                    state;
    ngx_uint_t                    answer;
    ngx_uint_t                    bind;
    unsigned                      code_required:1;
    unsigned                      joinable:1;
    unsigned                      redeemed:1;
    unsigned                      separate:1;
} ngx_http_push_approval_challenge_t;


/* the fields of a decoded approval cookie, pointing into it */

typedef struct {
    u_char        *kid;
    size_t         kid_len;
    u_char        *id;
    time_t         expires;
    uint32_t       methods;
    ngx_uint_t     bind;
    u_char        *user;
    u_char        *server;
    u_char        *scope;
    u_char        *approver;
    u_char        *ip;
    u_char        *agent;
    u_char        *mac;
    u_char        *signed_end;
    u_char        *start;
} ngx_http_push_approval_cookie_t;


/* an audit event's fields; empty strings and zero numbers are left out */
typedef struct {
    ngx_str_t                     id;
    ngx_str_t                     user;
    ngx_str_t                     approver;
    ngx_str_t                     client;
    ngx_str_t                     agent;
    ngx_str_t                     server;
    ngx_str_t                     scope;
    ngx_str_t                     unlocks;
    ngx_str_t                     method;
    ngx_str_t                     uri;
    ngx_str_t                     reason;
    ngx_uint_t                    status;
    off_t                         bytes;
    ngx_msec_t                    request_time;
    unsigned                      access:1;
} ngx_http_push_approval_event_t;


/* a journal writer in the node's registry (writers.c) */

#define NGX_HTTP_PUSH_APPROVAL_WRITER_LEN    96
#define NGX_HTTP_PUSH_APPROVAL_WRITER_PATH   240
#define NGX_HTTP_PUSH_APPROVAL_AUDIT_KID     16

#define NGX_HTTP_PUSH_APPROVAL_WRITER_FREE     0
#define NGX_HTTP_PUSH_APPROVAL_WRITER_LIVE     1
#define NGX_HTTP_PUSH_APPROVAL_WRITER_STOPPED  2
#define NGX_HTTP_PUSH_APPROVAL_WRITER_GONE     3   /* died */

typedef struct {
    ngx_uint_t                    state;
    ngx_pid_t                     pid;
    ngx_msec_t                    ended;
    uint64_t                      seq;          /* last line written */
    u_char                        head[64];     /* its SHA-256, hex */
    off_t                         written;      /* bytes */
    size_t                        pending;      /* bytes not written */
    uint64_t                      shipped;      /* seq in the stream */
    off_t                         shipped_bytes;
    ngx_pid_t                     shipper;      /* who ships the chain */
    ngx_uint_t                    redis_up;
    size_t                        len;
    u_char                        writer[NGX_HTTP_PUSH_APPROVAL_WRITER_LEN];
    size_t                        path_len;
    u_char                        path[NGX_HTTP_PUSH_APPROVAL_WRITER_PATH];
} ngx_http_push_approval_writer_t;


/* a journal line read back (line.c) */

#define NGX_HTTP_PUSH_APPROVAL_LINE_FIELDS   32

typedef struct {
    ngx_uint_t                    n;
    ngx_str_t                     key[NGX_HTTP_PUSH_APPROVAL_LINE_FIELDS];
    ngx_str_t                     value[NGX_HTTP_PUSH_APPROVAL_LINE_FIELDS];
    u_char                        number[NGX_HTTP_PUSH_APPROVAL_LINE_FIELDS];
    uint64_t                      seq;
    ngx_str_t                     writer;
} ngx_http_push_approval_fields_t;


/* push_approval_redis */

typedef struct {
    ngx_str_t                     addr;         /* as configured */
    ngx_str_t                     host;         /* numeric, null-terminated */
    ngx_uint_t                    port;
    ngx_str_t                     unix_path;    /* null-terminated */
    ngx_str_t                     password;
    ngx_uint_t                    db;
} ngx_http_push_approval_redis_conf_t;

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


/* one value of $push_approval_status and how it is shown (answer.c) */
typedef struct {
    ngx_str_t                     reason;
    ngx_str_t                     title;
    ngx_str_t                     text;
    ngx_uint_t                    http_status;
} ngx_http_push_approval_outcome_t;


/* a growing buffer in the request pool, for a page or a JSON body */
typedef struct {
    u_char                       *start;
    u_char                       *pos;
    u_char                       *end;
    ngx_pool_t                   *pool;
    ngx_str_t                     nonce;        /* pages only */
    ngx_uint_t                    failed;       /* out of memory */
} ngx_http_push_approval_out_t;


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


/* module.c */
extern ngx_module_t  ngx_http_push_approval_module;

/* directives.c */
extern ngx_command_t  ngx_http_push_approval_commands[];

ngx_http_push_approval_ctx_t *ngx_http_push_approval_get_ctx(
    ngx_http_request_t *r);
ngx_http_push_approval_ctx_t *ngx_http_push_approval_create_ctx(
    ngx_http_request_t *r, ngx_uint_t endpoint);

/* gate_conf.c */
char *ngx_http_push_approval(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_push_approval_valid_path(ngx_str_t *s);
char *ngx_http_push_approval_scope(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_push_approval_methods_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_push_approval_notify_uri(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_push_approval_bind(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_push_approval_cookie(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_push_approval_rate(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* endpoint_conf.c */
char *ngx_http_push_approval_endpoint_url(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_push_approval_endpoint(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_push_approval_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* audit_conf.c */
char *ngx_http_push_approval_journal_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_push_approval_audit_key_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_push_approval_redis_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_push_approval_stream(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_push_approval_journal_path(ngx_conf_t *cf,
    ngx_http_push_approval_main_conf_t *pmcf, ngx_str_t *name);

/* keys.c */
ngx_http_push_approval_keyring_t *ngx_http_push_approval_load_keys(
    ngx_conf_t *cf, ngx_str_t *path);
ngx_int_t ngx_http_push_approval_read_secret(ngx_conf_t *cf, ngx_str_t *path,
    ngx_str_t *content);
ngx_int_t ngx_http_push_approval_parse_key(u_char *p, u_char *last,
    ngx_http_push_approval_key_t *key, const char **err);
ngx_int_t ngx_http_push_approval_random(u_char *buf, size_t len);
ngx_int_t ngx_http_push_approval_random_code(u_char *buf, ngx_uint_t digits);
ngx_int_t ngx_http_push_approval_keyed_hmac(
    ngx_http_push_approval_mac_key_t *mk, ngx_str_t *parts, ngx_uint_t nparts,
    u_char *out);
ngx_int_t ngx_http_push_approval_mac_equal(u_char *a, u_char *b, size_t len);
void ngx_http_push_approval_hash_field(u_char *key, const char *label,
    ngx_str_t *value, u_char *out);
ngx_int_t ngx_http_push_approval_keyed_hash_field(
    ngx_http_push_approval_mac_key_t *mk, const char *label, ngx_str_t *value,
    u_char *out);
void ngx_http_push_approval_keyed_hash_conf(
    ngx_http_push_approval_mac_key_t *mk, const char *label, ngx_str_t *value,
    ngx_uint_t conf, u_char *out);
void ngx_http_push_approval_token(ngx_http_push_approval_key_t *key,
    u_char *id, ngx_uint_t kind, u_char *out);
ngx_int_t ngx_http_push_approval_check_token(
    ngx_http_push_approval_keyring_t *ring, u_char *id, ngx_uint_t kind,
    ngx_str_t *token);
void ngx_http_push_approval_pending_secret(ngx_http_push_approval_key_t *key,
    u_char *id, u_char *out);
ngx_int_t ngx_http_push_approval_check_pending(
    ngx_http_push_approval_keyring_t *ring, u_char *id, ngx_str_t *secret);
void ngx_http_push_approval_code_mac(ngx_http_push_approval_key_t *key,
    u_char *id, ngx_str_t *code, u_char *out);
ngx_int_t ngx_http_push_approval_sign_path(ngx_http_push_approval_key_t *key,
    u_char *id, ngx_str_t *path, ngx_pool_t *pool, ngx_str_t *out);
ngx_int_t ngx_http_push_approval_verify_path(
    ngx_http_push_approval_keyring_t *ring, u_char *id, ngx_str_t *signed_,
    ngx_pool_t *pool, ngx_str_t *path);

/* cookie.c */
ngx_int_t ngx_http_push_approval_check_cookie(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_http_push_approval_ctx_t *ctx);
ngx_int_t ngx_http_push_approval_set_cookie(ngx_http_request_t *r,
    ngx_http_push_approval_zone_t *zone,
    ngx_http_push_approval_challenge_t *ch);
u_char *ngx_http_push_approval_zone_scope(ngx_pool_t *pool, ngx_str_t *zone,
    ngx_str_t *scope, ngx_str_t *out);
ngx_int_t ngx_http_push_approval_cookie_name(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *server,
    ngx_str_t *name);
ngx_int_t ngx_http_push_approval_parse_cookie(u_char *p, size_t len,
    ngx_http_push_approval_cookie_t *ck);
ngx_uint_t ngx_http_push_approval_cookie_flags(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf);
void ngx_http_push_approval_server_name(ngx_http_request_t *r,
    ngx_str_t *name);
ngx_int_t ngx_http_push_approval_approver(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf, ngx_str_t *user,
    ngx_str_t *approver);
ngx_int_t ngx_http_push_approval_server_identity(ngx_conf_t *cf,
    ngx_http_push_approval_srv_conf_t *pscf);
ngx_int_t ngx_http_push_approval_valid_server_id(ngx_str_t *id);
/* the push_approval_server_id directive (gate_conf.c) */
char *ngx_http_push_approval_server_id(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
void ngx_http_push_approval_client_hashes(ngx_http_request_t *r,
    ngx_http_push_approval_mac_key_t *mk, u_char *ip, u_char *agent);

/* zone.c */
#define ngx_http_push_approval_key(id)                                        \
    (((ngx_rbtree_key_t) (id)[0] << 24) | ((id)[1] << 16) | ((id)[2] << 8)     \
     | (id)[3])

ngx_int_t ngx_http_push_approval_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
void ngx_http_push_approval_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel, ptrdiff_t off);
ngx_rbtree_node_t *ngx_http_push_approval_lookup(ngx_rbtree_t *tree,
    u_char *key, ptrdiff_t off);
void ngx_http_push_approval_expire_locked(ngx_http_push_approval_zone_t *zone,
    ngx_uint_t n);
void ngx_http_push_approval_zone_expire(ngx_http_push_approval_zone_t *zone,
    ngx_uint_t n);
void ngx_http_push_approval_zone_stats(ngx_http_push_approval_zone_t *zone,
    ngx_uint_t *pending, size_t *bytes);

/* challenge.c */
void ngx_http_push_approval_rbtree_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
void ngx_http_push_approval_join_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
ngx_http_push_approval_node_t *ngx_http_push_approval_find(
    ngx_http_push_approval_shctx_t *sh, u_char *id);
ngx_http_push_approval_node_t *ngx_http_push_approval_find_live(
    ngx_http_push_approval_zone_t *zone, u_char *id);
ngx_int_t ngx_http_push_approval_zone_create(
    ngx_http_push_approval_zone_t *zone,
    ngx_http_push_approval_challenge_t *ch, ngx_pool_t *pool);
ngx_int_t ngx_http_push_approval_zone_join(ngx_http_push_approval_zone_t *zone,
    ngx_http_push_approval_challenge_t *ch, ngx_pool_t *pool);
ngx_int_t ngx_http_push_approval_zone_lookup(
    ngx_http_push_approval_zone_t *zone, u_char *id,
    ngx_http_push_approval_challenge_t *ch, ngx_pool_t *pool);
ngx_int_t ngx_http_push_approval_zone_state(ngx_http_push_approval_zone_t *zone,
    u_char *id, ngx_uint_t *state);
ngx_int_t ngx_http_push_approval_zone_redeem(
    ngx_http_push_approval_zone_t *zone, u_char *id, ngx_uint_t redeem);
ngx_int_t ngx_http_push_approval_zone_pending_for(
    ngx_http_push_approval_zone_t *zone, ngx_str_t *approver, ngx_pool_t *pool,
    ngx_array_t *out);

/* decide.c */
void ngx_http_push_approval_settle(ngx_http_push_approval_zone_t *zone,
    ngx_http_push_approval_node_t *node, ngx_uint_t state);
ngx_int_t ngx_http_push_approval_zone_notified(
    ngx_http_push_approval_zone_t *zone, u_char *id, ngx_uint_t ok);
ngx_int_t ngx_http_push_approval_zone_decide(
    ngx_http_push_approval_zone_t *zone, u_char *id, ngx_uint_t decision,
    ngx_str_t *code, ngx_http_push_approval_keyring_t *ring,
    ngx_str_t *approver, ngx_uint_t *result);

/* grant.c */
void ngx_http_push_approval_grant_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
ngx_int_t ngx_http_push_approval_add_grant(ngx_http_push_approval_zone_t *zone,
    ngx_http_push_approval_node_t *node, ngx_str_t *approver);
ngx_int_t ngx_http_push_approval_zone_grant(ngx_http_push_approval_zone_t *zone,
    u_char *id, ngx_uint_t *revoked, ngx_str_t *approver, ngx_pool_t *pool);
ngx_int_t ngx_http_push_approval_zone_revoke(
    ngx_http_push_approval_zone_t *zone, u_char *id);
ngx_int_t ngx_http_push_approval_zone_recover(
    ngx_http_push_approval_zone_t *zone, u_char *id, time_t expires);
void ngx_http_push_approval_zone_distrust(ngx_http_push_approval_zone_t *zone,
    time_t until);

/* workers.c */
ngx_int_t ngx_http_push_approval_zone_register(
    ngx_http_push_approval_zone_t *zone, ngx_http_push_approval_worker_t *w,
    ngx_uint_t on);
ngx_uint_t ngx_http_push_approval_zone_workers(
    ngx_http_push_approval_zone_t *zone, ngx_http_push_approval_worker_t *w);

/* limit.c */
void ngx_http_push_approval_user_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
ngx_int_t ngx_http_push_approval_limit(ngx_http_push_approval_zone_t *zone,
    ngx_http_push_approval_loc_conf_t *plcf, u_char *user_hash,
    ngx_uint_t create, ngx_uint_t *status, time_t *retry);
time_t ngx_http_push_approval_limit_failure_locked(
    ngx_http_push_approval_zone_t *zone, u_char *who, ngx_uint_t reported,
    ngx_uint_t lockout_n, time_t lockout_period);
void ngx_http_push_approval_who(ngx_http_push_approval_zone_t *zone,
    ngx_str_t *user, u_char *who);
void ngx_http_push_approval_limit_reclaim_locked(
    ngx_http_push_approval_zone_t *zone, ngx_uint_t n);
void ngx_http_push_approval_limit_expire_locked(
    ngx_http_push_approval_zone_t *zone, ngx_uint_t n);

/* audit.c */
char *ngx_http_push_approval_audit_key(ngx_conf_t *cf,
    ngx_http_push_approval_main_conf_t *pmcf);
u_char *ngx_http_push_approval_audit_sign(void *pkey, u_char *start,
    u_char *end);

/* writers.c */
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
void ngx_http_push_approval_writers_stats(off_t *backlog,
    ngx_uint_t *shipped);
void ngx_http_push_approval_writers_errors(off_t *pending,
    ngx_uint_t *errors, ngx_uint_t *lost);

/* line.c */
ngx_int_t ngx_http_push_approval_line_parse(u_char *p, u_char *last,
    u_char *dec, ngx_http_push_approval_fields_t *f);
ngx_str_t *ngx_http_push_approval_line_field(
    ngx_http_push_approval_fields_t *f, const char *name);

/* redis.c */
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

/* ship.c */
ngx_int_t ngx_http_push_approval_ship_init(ngx_cycle_t *cycle,
    ngx_str_t *writer, ngx_str_t *path);
void ngx_http_push_approval_ship_exit(void);
void ngx_http_push_approval_ship_wrote(void);

/* recover.c */
ngx_int_t ngx_http_push_approval_recover(ngx_cycle_t *cycle);

/* journal.c */
ngx_int_t ngx_http_push_approval_journal_init(ngx_cycle_t *cycle);
void ngx_http_push_approval_journal_exit(ngx_cycle_t *cycle);
ngx_uint_t ngx_http_push_approval_journal_on(void);
void ngx_http_push_approval_journal_event(const char *event,
    ngx_str_t *fields);
ngx_int_t ngx_http_push_approval_journal_flush(void);
ngx_uint_t ngx_http_push_approval_journal_mark(void);
ngx_int_t ngx_http_push_approval_journal_confirm(ngx_uint_t mark);
void ngx_http_push_approval_journal_hold(ngx_uint_t on);
ngx_uint_t ngx_http_push_approval_journal_count(void);

/* event.c */
u_char *ngx_http_push_approval_event_uint(u_char *p, uint64_t n,
    size_t width);
void ngx_http_push_approval_event(const char *name,
    ngx_http_push_approval_event_t *e);
void ngx_http_push_approval_event_challenge(ngx_http_push_approval_event_t *e,
    ngx_http_push_approval_challenge_t *ch);
void ngx_http_push_approval_event_request(ngx_http_push_approval_event_t *e,
    ngx_http_request_t *r);
void ngx_http_push_approval_event_of(ngx_http_request_t *r, const char *name,
    ngx_str_t *user, const char *reason);
void ngx_http_push_approval_rejected(ngx_http_request_t *r,
    const char *reason);
ngx_int_t ngx_http_push_approval_log_handler(ngx_http_request_t *r);
void ngx_http_push_approval_challenge_event(
    ngx_http_push_approval_challenge_t *ch, const char *name,
    ngx_str_t *approver, const char *reason);

/* wake.c */
ngx_int_t ngx_http_push_approval_wake_init(ngx_cycle_t *cycle);
void ngx_http_push_approval_wake_exit(ngx_cycle_t *cycle);
void ngx_http_push_approval_wake_add(ngx_http_push_approval_ctx_t *ctx);
void ngx_http_push_approval_wake_del(ngx_http_push_approval_ctx_t *ctx);
void ngx_http_push_approval_wake_broadcast(
    ngx_http_push_approval_zone_t *zone, u_char *id);

/* gate.c */
ngx_int_t ngx_http_push_approval_gate_handler(ngx_http_request_t *r);
void ngx_http_push_approval_cleanup(void *data);
void ngx_http_push_approval_hold(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx);
void ngx_http_push_approval_unhold(ngx_http_push_approval_ctx_t *ctx);
ngx_uint_t ngx_http_push_approval_state_status(ngx_uint_t state);
ngx_int_t ngx_http_push_approval_set_pending(ngx_http_request_t *r,
    ngx_http_push_approval_challenge_t *ch, ngx_str_t *pending);
ngx_int_t ngx_http_push_approval_wait_url(ngx_http_request_t *r,
    ngx_http_push_approval_challenge_t *ch, ngx_uint_t back, ngx_str_t *url);

/* notify.c */
ngx_int_t ngx_http_push_approval_notify(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_loc_conf_t *plcf);
void ngx_http_push_approval_notify_release(ngx_http_push_approval_ctx_t *ctx,
    ngx_uint_t force);
ngx_int_t ngx_http_push_approval_add_variables(ngx_conf_t *cf);
ngx_int_t ngx_http_push_approval_approve_url(ngx_http_request_t *r,
    ngx_str_t *base, ngx_http_push_approval_challenge_t *ch, ngx_str_t *url);
ngx_int_t ngx_http_push_approval_default_unlocks(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf,
    ngx_http_push_approval_challenge_t *ch);
ngx_str_t *ngx_http_push_approval_reason_name(ngx_uint_t reason);

/* wait.c, approve.c, console.c */
ngx_int_t ngx_http_push_approval_wait_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_push_approval_approve_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_push_approval_console_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_push_approval_metrics_handler(ngx_http_request_t *r);
ngx_http_push_approval_zone_t *ngx_http_push_approval_find_challenge(
    ngx_http_request_t *r, u_char *id, ngx_http_push_approval_challenge_t *ch);

/* answer.c */
ngx_int_t ngx_http_push_approval_send_status(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *approval_id, time_t retry_after);
ngx_int_t ngx_http_push_approval_send_result(ngx_http_request_t *r,
    ngx_uint_t http_status, ngx_uint_t status, ngx_str_t *id);
ngx_str_t *ngx_http_push_approval_status_name(ngx_uint_t status);
ngx_uint_t ngx_http_push_approval_http_status(ngx_uint_t status);
ngx_http_push_approval_outcome_t *ngx_http_push_approval_outcome(
    ngx_uint_t status);
void ngx_http_push_approval_problem(ngx_http_push_approval_out_t *o,
    ngx_uint_t http_status, ngx_uint_t status, ngx_str_t *approval_id);

/* requester.c */
ngx_int_t ngx_http_push_approval_send_interstitial(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf,
    ngx_http_push_approval_challenge_t *ch, ngx_str_t *wait_url);
ngx_int_t ngx_http_push_approval_send_two_step(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf,
    ngx_http_push_approval_challenge_t *ch, ngx_str_t *wait_path,
    ngx_str_t *pending);
ngx_int_t ngx_http_push_approval_send_cross_site(ngx_http_request_t *r);

/* approve_page.c */
ngx_int_t ngx_http_push_approval_send_approve_page(ngx_http_request_t *r,
    ngx_http_push_approval_challenge_t *ch, ngx_str_t *action_url);

/* output.c */
#define ngx_http_push_approval_out_lit(o, s)                                 \
    ngx_http_push_approval_out_raw(o, (u_char *) s, sizeof(s) - 1)

#define ngx_http_push_approval_out_str(o, s)                                 \
    ngx_http_push_approval_out_raw(o, (s)->data, (s)->len)

ngx_int_t ngx_http_push_approval_send_page(ngx_http_request_t *r,
    ngx_uint_t http_status, ngx_str_t *title, ngx_str_t *html);
ngx_int_t ngx_http_push_approval_send_json(ngx_http_request_t *r,
    ngx_uint_t http_status, ngx_str_t *json);
ngx_int_t ngx_http_push_approval_send_buf(ngx_http_request_t *r,
    ngx_uint_t http_status, ngx_str_t *type, ngx_str_t *body,
    ngx_str_t *nonce);
ngx_int_t ngx_http_push_approval_page_begin(ngx_http_request_t *r,
    ngx_http_push_approval_out_t *o, ngx_str_t *title, ngx_str_t *head);
ngx_int_t ngx_http_push_approval_page_end(ngx_http_request_t *r,
    ngx_http_push_approval_out_t *o, ngx_uint_t http_status,
    const char *script);
ngx_int_t ngx_http_push_approval_send_out(ngx_http_request_t *r,
    ngx_http_push_approval_out_t *o, ngx_uint_t http_status,
    const char *type);
void ngx_http_push_approval_field(ngx_http_push_approval_out_t *o,
    const char *label, const char *id, ngx_str_t *value);
void ngx_http_push_approval_out_init(ngx_http_push_approval_out_t *o,
    ngx_pool_t *pool);
void ngx_http_push_approval_out_raw(ngx_http_push_approval_out_t *o,
    u_char *data, size_t len);
void ngx_http_push_approval_out_html(ngx_http_push_approval_out_t *o,
    ngx_str_t *s);
void ngx_http_push_approval_out_json(ngx_http_push_approval_out_t *o,
    ngx_str_t *s);
void ngx_http_push_approval_out_printf(ngx_http_push_approval_out_t *o,
    const char *fmt, ...);

/* escape.c */
size_t ngx_http_push_approval_utf8(u_char *p, u_char *last, uint32_t *cp);
size_t ngx_http_push_approval_json_len(ngx_str_t *s);
u_char *ngx_http_push_approval_json_escape(u_char *dst, ngx_str_t *s);
size_t ngx_http_push_approval_html_len(ngx_str_t *s);
u_char *ngx_http_push_approval_html_escape(u_char *dst, ngx_str_t *s);
ngx_int_t ngx_http_push_approval_clean_text(ngx_str_t *src, size_t max,
    ngx_str_t *dst, ngx_pool_t *pool);

/* parse.c */
void ngx_http_push_approval_b64url_encode(ngx_str_t *dst, ngx_str_t *src);
ngx_int_t ngx_http_push_approval_b64url_decode(ngx_str_t *dst, ngx_str_t *src);
ngx_int_t ngx_http_push_approval_parse_id(ngx_str_t *text, u_char *id);
ngx_int_t ngx_http_push_approval_form_value(ngx_str_t *body,
    const char *name, ngx_str_t *value);

/* headers.c */
ngx_int_t ngx_http_push_approval_accepts_html(ngx_http_request_t *r);
ngx_int_t ngx_http_push_approval_wants_html(ngx_http_request_t *r);
ngx_int_t ngx_http_push_approval_accept_html(ngx_str_t *accept);
ngx_table_elt_t *ngx_http_push_approval_list_find(ngx_list_t *list,
    const char *name, size_t len);
ngx_table_elt_t *ngx_http_push_approval_find_header(ngx_http_request_t *r,
    const char *name, size_t len);
ngx_int_t ngx_http_push_approval_add_header(ngx_http_request_t *r,
    const char *name, ngx_str_t *value);
ngx_int_t ngx_http_push_approval_cookie_values(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *values, ngx_uint_t max);

/* text.c */
ngx_uint_t ngx_http_push_approval_method_bit(ngx_http_request_t *r);
u_char *ngx_http_push_approval_methods_text(u_char *buf, ngx_uint_t methods);
                                                   /* buf: 128 bytes */
u_char *ngx_http_push_approval_ttl_text(u_char *buf, time_t ttl);
                                                   /* buf: 64 bytes */


#endif /* _NGX_HTTP_PUSH_APPROVAL_MODULE_H_INCLUDED_ */
