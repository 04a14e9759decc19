/*
 * push-approval-audit: the auditor's tool for the trail of
 * ngx_http_push_approval_module.  Shared types and functions.
 *
 * The format is docs/audit-format.md; the names of this file follow it.
 */

#ifndef PA_AUDIT_H
#define PA_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>


#define PA_LINE_MAX      65536          /* longest line, without its \n */
#define PA_HASH_LEN      32
#define PA_HEX_LEN       64
#define PA_KEYID_LEN     16
#define PA_SIG_B64_LEN   86
#define PA_HEADS_MAX     63
#define PA_DEFAULT_STREAM  "push_approval:events"

/* exit statuses */
#define PA_OK            0
#define PA_FAIL          1
#define PA_ERROR         2


/* the fields, in canonical order */
typedef enum {
    PA_F_V = 0, PA_F_TS, PA_F_EVENT, PA_F_EID, PA_F_WRITER, PA_F_SEQ,
    PA_F_NODE, PA_F_PREV, PA_F_ID, PA_F_USER, PA_F_APPROVER, PA_F_CLIENT,
    PA_F_AGENT, PA_F_SERVER, PA_F_SCOPE, PA_F_UNLOCKS, PA_F_METHOD,
    PA_F_URI, PA_F_REASON, PA_F_STATUS, PA_F_BYTES, PA_F_REQUEST_TIME,
    PA_F_KEY, PA_F_HEADS, PA_F_SIG,
    PA_NFIELDS
} pa_field_e;


typedef struct {
    const char     *data;
    size_t          len;
} pa_str_t;


/* a growable byte buffer, NUL-terminated */
typedef struct {
    char           *data;
    size_t          len;
    size_t          cap;
} pa_buf_t;


/* one canonical line of the trail */
typedef struct {
    char           *line;           /* the line, NUL-terminated, no \n */
    size_t          len;
    pa_str_t        f[PA_NFIELDS];  /* values: strings unescaped, numbers
                                       as their text; data NULL if absent */
    size_t          sig_at;         /* offset of ,"sig": (signed bytes) */
    uint64_t        ts;
    uint64_t        seq;
    unsigned char   hash[PA_HASH_LEN];
    char           *origin;         /* "FILE:LINE" or "stream entry ID" */
    size_t          src;            /* index of the source file */
    size_t          order;          /* read order */
} pa_rec_t;


/* a journal file, in the order read */
typedef struct {
    char           *path;
    char           *group;          /* "PID-MS" of journal-PID-MS.ndjson */
    unsigned long   rot;            /* .N suffix, 0 for none */
    int             torn;           /* ends with bytes that are no line */
    int             nonl;           /* ends with a line without its \n */
    size_t          torn_line;
    size_t          torn_bytes;
    pa_rec_t       *last;           /* its last complete record */
} pa_file_t;


/* where breaks and notes go, and how many there were */
typedef struct {
    FILE           *out;
    unsigned long   breaks;
    unsigned long   notes;
} pa_report_t;


/* a set of records read from journals or a stream */
typedef struct {
    pa_rec_t      **recs;
    size_t          nrecs;
    size_t          cap;
    pa_file_t      *files;
    size_t          nfiles;
    size_t          fcap;
    unsigned long   skipped;        /* lines that are no canonical line */
    int             stream;         /* read from a Redis stream */
    int             trimmed;        /* the stream lost entries at its head */
    int             xdel;           /* entries deleted inside the stream */
    pa_report_t    *report;         /* NULL: problems go to stderr */
} pa_set_t;


/* Redis connection options */
typedef struct {
    const char     *addr;
    const char     *password;
    const char     *stream;
    long            db;
} pa_redis_opt_t;


/* export filters; each list is ORed, the kinds ANDed */
#define PA_FILTER_MAX  32

typedef struct {
    int             has_since;
    int             has_until;
    uint64_t        since;
    uint64_t        until;
    const char     *user[PA_FILTER_MAX];
    size_t          nuser;
    const char     *id[PA_FILTER_MAX];
    size_t          nid;
    const char     *event[PA_FILTER_MAX];
    size_t          nevent;
    int             csv;
} pa_filter_t;


/* util.c */
void *pa_alloc(size_t size);
char *pa_strdup(const char *s);
char *pa_strndup(const char *s, size_t n);
int pa_buf_add(pa_buf_t *b, const void *p, size_t n, size_t max);
void pa_buf_free(pa_buf_t *b);
void pa_hex(char *out, const unsigned char *in, size_t n);
void pa_safe(FILE *f, const char *s, size_t n);
void pa_break(pa_report_t *r, const char *origin, const pa_rec_t *rec,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void pa_note(pa_report_t *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void pa_set_free(pa_set_t *set);
int pa_set_add(pa_set_t *set, pa_rec_t *rec);
int pa_parse_u64(const char *s, size_t n, uint64_t *v);

/* line.c */
extern const char *pa_field_names[PA_NFIELDS];
int pa_field_is_number(int f);
int pa_field_index(const char *name, size_t n);
pa_rec_t *pa_line_parse(const char *line, size_t len, char *err,
    size_t errlen);
void pa_rec_free(pa_rec_t *rec);
int pa_number_ok(int f, const char *s, size_t n);
pa_rec_t *pa_line_build(const pa_str_t *names, const pa_str_t *vals,
    size_t n, char *err, size_t errlen);

/* json.c */
int pa_utf8_ok(const char *s, size_t n);
int pa_json_escape(pa_buf_t *b, const char *s, size_t n);
const char *pa_json_decode(const char *p, const char *end, char *out,
    size_t *outlen);

/* source.c */
int pa_read_paths(pa_set_t *set, char **paths, int npaths);
int pa_file_group(const char *base, char **group, unsigned long *rot);

/* redis.c */
void *pa_redis_connect(const pa_redis_opt_t *opt, int block_ms);
void pa_redis_close(void *c);
int pa_redis_read_stream(void *c, const char *stream, pa_set_t *set);
int pa_redis_shipped(void *c, const char *stream, const char *writer,
    int *found, uint64_t *seq);
char *pa_redis_shipped_key(const char *stream, const char *writer);
int pa_redis_follow(void *c, const char *stream, const char *from,
    const pa_filter_t *flt);

/* chain.c */
int pa_verify(pa_set_t *set, const char *pubkey, void *redis,
    const char *stream);
int pa_cmp_writer_seq(const void *a, const void *b);

/* export.c */
int pa_filter_match(const pa_filter_t *flt, const pa_rec_t *rec);
int pa_export(pa_set_t *set, const pa_filter_t *flt);
void pa_print_rec(const pa_rec_t *rec, int csv);
void pa_print_csv_header(void);
int pa_parse_time(const char *s, uint64_t *ms);
int pa_shipped(void *redis, const char *stream, char **paths, int npaths);

#endif /* PA_AUDIT_H */
