/*
 * push-approval-audit: a line of the trail.  Parsing is strict: a line is
 * parsed by cJSON, then rebuilt field by field in the canonical form and
 * compared with its bytes; a difference anywhere is "not canonical".
 * Number fields are taken as their text from the line, never as doubles.
 */

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/sha.h>

#include "audit.h"


const char *pa_field_names[PA_NFIELDS] = {
    "v", "ts", "event", "eid", "writer", "seq", "node", "prev", "id",
    "user", "approver", "client", "agent", "server", "scope", "unlocks",
    "method", "uri", "reason", "status", "bytes", "request_time", "key",
    "heads", "sig"
};


int
pa_field_is_number(int f)
{
    return f == PA_F_V || f == PA_F_TS || f == PA_F_SEQ || f == PA_F_STATUS
           || f == PA_F_BYTES || f == PA_F_REQUEST_TIME;
}


int
pa_field_index(const char *name, size_t n)
{
    int  i;

    for (i = 0; i < PA_NFIELDS; i++) {
        if (strlen(pa_field_names[i]) == n
            && memcmp(pa_field_names[i], name, n) == 0)
        {
            return i;
        }
    }

    return -1;
}


/* v ts seq status bytes: digits; request_time: digits "." three digits */
int
pa_number_ok(int f, const char *s, size_t n)
{
    uint64_t      v;
    const char   *dot;

    if (f != PA_F_REQUEST_TIME) {
        return pa_parse_u64(s, n, &v) == 0;
    }

    dot = memchr(s, '.', n);
    if (dot == NULL || (size_t) (s + n - dot) != 4
        || pa_parse_u64(s, (size_t) (dot - s), &v) != 0)
    {
        return 0;
    }

    return dot[1] >= '0' && dot[1] <= '9' && dot[2] >= '0' && dot[2] <= '9'
           && dot[3] >= '0' && dot[3] <= '9';
}


void
pa_rec_free(pa_rec_t *rec)
{
    if (rec == NULL) {
        return;
    }

    free(rec->line);
    free(rec->origin);
    free(rec);
}


/* a message that holds bytes of the input: no control characters */
static void
pa_clean(char *s)
{
    for ( /* void */ ; *s; s++) {
        if ((unsigned char) *s < 0x20 || *s == 0x7f) {
            *s = '?';
        }
    }
}


/* copies writer and seq of an unusable line into err, for its report */
static void
pa_hint(const cJSON *root, char *err, size_t errlen)
{
    const cJSON  *w, *s;
    size_t        n, i;
    char          hint[160];

    w = cJSON_GetObjectItemCaseSensitive(root, "writer");
    s = cJSON_GetObjectItemCaseSensitive(root, "seq");

    if (!cJSON_IsString(w) || !cJSON_IsNumber(s)) {
        return;
    }

    n = strlen(w->valuestring);
    if (n > 100) {
        n = 100;
    }

    memcpy(hint, " (writer ", 9);
    for (i = 0; i < n; i++) {
        hint[9 + i] = (unsigned char) w->valuestring[i] < 0x20
                      || w->valuestring[i] == 0x7f ? '?' : w->valuestring[i];
    }

    snprintf(hint + 9 + n, sizeof(hint) - 9 - n, " seq %.0f)",
             s->valuedouble >= 0 && s->valuedouble < 1e20
             ? s->valuedouble : -1.0);

    n = strlen(err);
    if (n + 1 < errlen) {
        snprintf(err + n, errlen - n, "%s", hint);
    }
}


typedef struct {
    pa_rec_t    *rec;
    const char  *p;         /* where the next byte of the line is read */
    const char  *end;
    char        *vals;      /* where the next decoded string goes */
    char        *err;
    size_t       errlen;
} pa_walk_t;


static int
pa_fail(pa_walk_t *w, const char *fmt, const char *arg)
{
    snprintf(w->err, w->errlen, fmt, arg, (size_t) (w->p - w->rec->line));
    return -1;
}


/* the value of field f, at w->p; compares it with its canonical form */
static int
pa_walk_value(pa_walk_t *w, int f, const cJSON *item)
{
    const char  *q, *name;
    pa_buf_t     b;
    size_t       n;
    int          same;

    name = pa_field_names[f];

    if (pa_field_is_number(f)) {
        if (!cJSON_IsNumber(item)) {
            return pa_fail(w, "not canonical: %s is not a number", name);
        }

        for (q = w->p; q < w->end && ((*q >= '0' && *q <= '9') || *q == '.');
             q++) { /* void */ }

        if (!pa_number_ok(f, w->p, (size_t) (q - w->p))) {
            return pa_fail(w, "not canonical: %s is not written as the "
                           "format says (byte %zu)", name);
        }

        w->rec->f[f].data = w->p;
        w->rec->f[f].len = (size_t) (q - w->p);
        w->p = q;
        return 0;
    }

    if (!cJSON_IsString(item)) {
        return pa_fail(w, "not canonical: %s is not a string", name);
    }

    q = pa_json_decode(w->p, w->end, w->vals, &n);
    if (q == NULL) {
        return pa_fail(w, "not canonical: bad string in %s (byte %zu)", name);
    }

    if (n == 0) {
        return pa_fail(w, "not canonical: %s is empty, it should be left "
                       "out", name);
    }

    if (!pa_utf8_ok(w->vals, n)) {
        return pa_fail(w, "not canonical: %s is not UTF-8", name);
    }

    memset(&b, 0, sizeof(pa_buf_t));
    same = pa_json_escape(&b, w->vals, n) == 0
           && b.len == (size_t) (q - w->p) - 2
           && memcmp(b.data, w->p + 1, b.len) == 0;
    pa_buf_free(&b);

    if (!same) {
        return pa_fail(w, "not canonical: %s is not escaped as the format "
                       "says (byte %zu)", name);
    }

    w->rec->f[f].data = w->vals;
    w->rec->f[f].len = n;
    w->vals[n] = '\0';
    w->vals += n + 1;
    w->p = q;

    return 0;
}


/* walks cJSON's fields in their order and the line's bytes together */
static int
pa_walk(pa_walk_t *w, const cJSON *root)
{
    const cJSON  *item;
    int           f, last;
    size_t        n;

    if (w->p == w->end || *w->p++ != '{') {
        return pa_fail(w, "not canonical: no { at byte %2$zu%1$s", "");
    }

    last = -1;

    for (item = root->child; item != NULL; item = item->next) {
        f = pa_field_index(item->string, strlen(item->string));
        if (f < 0) {
            return pa_fail(w, "not canonical: unknown field \"%.40s\"",
                           item->string);
        }

        if (f <= last) {
            return pa_fail(w, "not canonical: field %s repeated or out of "
                           "order", pa_field_names[f]);
        }

        last = f;
        n = strlen(pa_field_names[f]);

        if ((size_t) (w->end - w->p) < n + 3 || w->p[0] != '"'
            || memcmp(w->p + 1, pa_field_names[f], n) != 0
            || w->p[n + 1] != '"' || w->p[n + 2] != ':')
        {
            return pa_fail(w, "not canonical: bytes differ from the "
                           "canonical form at byte %2$zu (field %1$s)",
                           pa_field_names[f]);
        }

        if (f == PA_F_SIG) {
            w->rec->sig_at = (size_t) (w->p - 1 - w->rec->line);
        }

        w->p += n + 3;

        if (pa_walk_value(w, f, item) != 0) {
            return -1;
        }

        if (w->p == w->end || *w->p++ != (item->next ? ',' : '}')) {
            w->p--;
            return pa_fail(w, "not canonical: bytes differ from the "
                           "canonical form at byte %2$zu (after %1$s)",
                           pa_field_names[f]);
        }
    }

    if (w->p != w->end) {
        return pa_fail(w, "not canonical: bytes after the object at byte "
                       "%2$zu%1$s", "");
    }

    return 0;
}


static int
pa_is_hex(const pa_str_t *s, size_t n)
{
    size_t  i;

    if (s->len != n) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        if (!((s->data[i] >= '0' && s->data[i] <= '9')
              || (s->data[i] >= 'a' && s->data[i] <= 'f')))
        {
            return 0;
        }
    }

    return 1;
}


static int
pa_b64url_ok(const pa_str_t *s)
{
    size_t  i;
    char    c;

    for (i = 0; i < s->len; i++) {
        c = s->data[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_'))
        {
            return 0;
        }
    }

    return s->len == PA_SIG_B64_LEN;
}


/* the rules on values: required fields, v, eid, prev, checkpoint fields */
static const char *
pa_check_fields(pa_rec_t *rec)
{
    pa_str_t    *f;
    int          i, cp;
    size_t       wl;

    f = rec->f;

    for (i = PA_F_V; i <= PA_F_PREV; i++) {
        if (f[i].data == NULL) {
            return "not canonical: a chain field is missing";
        }
    }

    if (f[PA_F_V].len != 1 || f[PA_F_V].data[0] != '1') {
        return "not canonical: v is not 1";
    }

    pa_parse_u64(f[PA_F_TS].data, f[PA_F_TS].len, &rec->ts);
    pa_parse_u64(f[PA_F_SEQ].data, f[PA_F_SEQ].len, &rec->seq);

    if (rec->seq == 0) {
        return "not canonical: seq is 0";
    }

    wl = f[PA_F_WRITER].len;
    if (f[PA_F_EID].len != wl + 1 + f[PA_F_SEQ].len
        || memcmp(f[PA_F_EID].data, f[PA_F_WRITER].data, wl) != 0
        || f[PA_F_EID].data[wl] != '/'
        || memcmp(f[PA_F_EID].data + wl + 1, f[PA_F_SEQ].data,
                  f[PA_F_SEQ].len) != 0)
    {
        return "not canonical: eid is not writer/seq";
    }

    if (!pa_is_hex(&f[PA_F_PREV], PA_HEX_LEN)) {
        return "not canonical: prev is not 64 lowercase hex digits";
    }

    cp = f[PA_F_EVENT].len == 10
         && memcmp(f[PA_F_EVENT].data, "checkpoint", 10) == 0;

    if (!cp) {
        if (f[PA_F_KEY].data || f[PA_F_HEADS].data || f[PA_F_SIG].data) {
            return "not canonical: key, heads or sig outside a checkpoint";
        }

        return NULL;
    }

    if (f[PA_F_KEY].data == NULL || f[PA_F_SIG].data == NULL) {
        return "not canonical: a checkpoint without key or sig";
    }

    if (!pa_is_hex(&f[PA_F_KEY], PA_KEYID_LEN)) {
        return "not canonical: key is not 16 lowercase hex digits";
    }

    if (!pa_b64url_ok(&f[PA_F_SIG])) {
        return "not canonical: sig is not 86 characters of base64url";
    }

    return NULL;
}


pa_rec_t *
pa_line_parse(const char *line, size_t len, char *err, size_t errlen)
{
    pa_rec_t     *rec;
    pa_walk_t     w;
    cJSON        *root;
    const char   *end, *msg;
    int           rc;

    if (len > PA_LINE_MAX) {
        snprintf(err, errlen, "line longer than 64 KiB (%zu bytes)", len);
        return NULL;
    }

    if (len == 0) {
        snprintf(err, errlen, "not canonical: an empty line");
        return NULL;
    }

    rec = pa_alloc(sizeof(pa_rec_t));
    rec->line = pa_alloc(2 * len + PA_NFIELDS + 2);
    memcpy(rec->line, line, len);
    rec->line[len] = '\0';
    rec->len = len;

    root = cJSON_ParseWithLengthOpts(rec->line, len, &end, 0);
    if (root == NULL || !cJSON_IsObject(root)) {
        snprintf(err, errlen, "not canonical: not a JSON object");
        cJSON_Delete(root);
        pa_rec_free(rec);
        return NULL;
    }

    w.rec = rec;
    w.p = rec->line;
    w.end = rec->line + len;
    w.vals = rec->line + len + 1;
    w.err = err;
    w.errlen = errlen;

    rc = pa_walk(&w, root);
    if (rc == 0) {
        msg = pa_check_fields(rec);
        if (msg != NULL) {
            snprintf(err, errlen, "%s", msg);
            rc = -1;
        }
    }

    if (rc != 0) {
        pa_hint(root, err, errlen);
        pa_clean(err);
        cJSON_Delete(root);
        pa_rec_free(rec);
        return NULL;
    }

    cJSON_Delete(root);
    SHA256((const unsigned char *) rec->line, len, rec->hash);

    return rec;
}


/* the canonical line of an entry's fields (names and values in order) */
pa_rec_t *
pa_line_build(const pa_str_t *names, const pa_str_t *vals, size_t n,
    char *err, size_t errlen)
{
    pa_buf_t   b;
    pa_rec_t  *rec;
    size_t     i;
    int        f, last, rc;

    memset(&b, 0, sizeof(pa_buf_t));
    last = -1;
    rc = pa_buf_add(&b, "{", 1, PA_LINE_MAX);

    for (i = 0; rc == 0 && i < n; i++) {
        f = pa_field_index(names[i].data, names[i].len);
        if (f < 0 || f <= last) {
            snprintf(err, errlen, "not canonical: field \"%.*s\" unknown, "
                     "repeated or out of order",
                     (int) (names[i].len > 40 ? 40 : names[i].len),
                     pa_utf8_ok(names[i].data, names[i].len)
                     ? names[i].data : "?");
            pa_buf_free(&b);
            return NULL;
        }

        last = f;

        if (vals[i].len == 0
            || (pa_field_is_number(f)
                ? !pa_number_ok(f, vals[i].data, vals[i].len)
                : !pa_utf8_ok(vals[i].data, vals[i].len)))
        {
            snprintf(err, errlen, "not canonical: the value of %s is empty "
                     "or not as the format says", pa_field_names[f]);
            pa_buf_free(&b);
            return NULL;
        }

        rc = pa_buf_add(&b, i ? ",\"" : "\"", i ? 2 : 1, PA_LINE_MAX)
             | pa_buf_add(&b, pa_field_names[f], strlen(pa_field_names[f]),
                          PA_LINE_MAX)
             | pa_buf_add(&b, "\":", 2, PA_LINE_MAX);

        if (pa_field_is_number(f)) {
            rc |= pa_buf_add(&b, vals[i].data, vals[i].len, PA_LINE_MAX);

        } else {
            rc |= pa_buf_add(&b, "\"", 1, PA_LINE_MAX)
                  | pa_json_escape(&b, vals[i].data, vals[i].len)
                  | pa_buf_add(&b, "\"", 1, PA_LINE_MAX);
        }
    }

    if (rc != 0 || pa_buf_add(&b, "}", 1, PA_LINE_MAX) != 0) {
        snprintf(err, errlen, "line longer than 64 KiB");
        pa_buf_free(&b);
        return NULL;
    }

    rec = pa_line_parse(b.data, b.len, err, errlen);
    pa_buf_free(&b);
    pa_clean(err);

    return rec;
}
