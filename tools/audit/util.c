/*
 * push-approval-audit: memory, buffers, and the report of breaks and
 * notes.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"


void *
pa_alloc(size_t size)
{
    void  *p;

    p = calloc(1, size ? size : 1);
    if (p == NULL) {
        fprintf(stderr, "push-approval-audit: out of memory\n");
        exit(PA_ERROR);
    }

    return p;
}


char *
pa_strndup(const char *s, size_t n)
{
    char  *p;

    p = pa_alloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';

    return p;
}


char *
pa_strdup(const char *s)
{
    return pa_strndup(s, strlen(s));
}


/* appends n bytes; fails (-1) when the buffer would exceed max bytes */
int
pa_buf_add(pa_buf_t *b, const void *p, size_t n, size_t max)
{
    char    *d;
    size_t   cap;

    if (n > max || b->len > max - n) {
        return -1;
    }

    if (b->len + n + 1 > b->cap) {
        cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) {
            cap *= 2;
        }

        d = realloc(b->data, cap);
        if (d == NULL) {
            fprintf(stderr, "push-approval-audit: out of memory\n");
            exit(PA_ERROR);
        }

        b->data = d;
        b->cap = cap;
    }

    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';

    return 0;
}


void
pa_buf_free(pa_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}


void
pa_hex(char *out, const unsigned char *in, size_t n)
{
    static const char  hex[] = "0123456789abcdef";
    size_t             i;

    for (i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 0xf];
    }

    out[2 * n] = '\0';
}


/*
 * Prints a value that came from the trail or from a file name: a
 * terminal must not see its control characters.
 */
void
pa_safe(FILE *f, const char *s, size_t n)
{
    size_t          i;
    unsigned char   c;

    for (i = 0; i < n; i++) {
        c = (unsigned char) s[i];
        if (c < 0x20 || c == 0x7f) {
            fprintf(f, "\\x%02x", c);
        } else {
            fputc(c, f);
        }
    }
}


static void
pa_origin(FILE *f, const char *origin, const pa_rec_t *rec)
{
    if (origin == NULL && rec != NULL) {
        origin = rec->origin;
    }

    pa_safe(f, origin ? origin : "?", origin ? strlen(origin) : 1);

    if (rec != NULL) {
        fputs(": writer ", f);
        pa_safe(f, rec->f[PA_F_WRITER].data, rec->f[PA_F_WRITER].len);
        fprintf(f, " seq %llu", (unsigned long long) rec->seq);
    }
}


/* prints a formatted message whose arguments came from the input */
static void
pa_vsafe(FILE *f, const char *fmt, va_list ap)
{
    char  msg[2048];
    int   n;

    n = vsnprintf(msg, sizeof(msg), fmt, ap);
    if (n < 0) {
        return;
    }

    pa_safe(f, msg, (size_t) n < sizeof(msg) ? (size_t) n : sizeof(msg) - 1);
}


void
pa_break(pa_report_t *r, const char *origin, const pa_rec_t *rec,
    const char *fmt, ...)
{
    va_list  ap;

    r->breaks++;

    fputs("BREAK ", r->out);
    if (origin != NULL || rec != NULL) {
        pa_origin(r->out, origin, rec);
        fputs(": ", r->out);
    }

    va_start(ap, fmt);
    pa_vsafe(r->out, fmt, ap);
    va_end(ap);

    fputc('\n', r->out);
}


void
pa_note(pa_report_t *r, const char *fmt, ...)
{
    va_list  ap;

    r->notes++;

    fputs("note: ", r->out);

    va_start(ap, fmt);
    pa_vsafe(r->out, fmt, ap);
    va_end(ap);

    fputc('\n', r->out);
}


int
pa_set_add(pa_set_t *set, pa_rec_t *rec)
{
    pa_rec_t  **recs;
    size_t      cap;

    if (set->nrecs == set->cap) {
        cap = set->cap ? set->cap * 2 : 1024;
        recs = realloc(set->recs, cap * sizeof(pa_rec_t *));
        if (recs == NULL) {
            fprintf(stderr, "push-approval-audit: out of memory\n");
            exit(PA_ERROR);
        }

        set->recs = recs;
        set->cap = cap;
    }

    rec->order = set->nrecs;
    set->recs[set->nrecs++] = rec;

    return 0;
}


void
pa_set_free(pa_set_t *set)
{
    size_t  i;

    for (i = 0; i < set->nrecs; i++) {
        pa_rec_free(set->recs[i]);
    }

    for (i = 0; i < set->nfiles; i++) {
        free(set->files[i].path);
        free(set->files[i].group);
    }

    free(set->recs);
    free(set->files);
    memset(set, 0, sizeof(pa_set_t));
}


/* a decimal number without sign or leading zeros that fits 64 bits */
int
pa_parse_u64(const char *s, size_t n, uint64_t *v)
{
    uint64_t  x;
    size_t    i;

    if (n == 0 || n > 20 || (n > 1 && s[0] == '0')) {
        return -1;
    }

    x = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }

        if (x > (UINT64_MAX - (uint64_t) (s[i] - '0')) / 10) {
            return -1;
        }

        x = x * 10 + (uint64_t) (s[i] - '0');
    }

    *v = x;

    return 0;
}
