/*
 * push-approval-audit: export (NDJSON or CSV), the filters, and the
 * "shipped" report of journal segments.
 */

#include <stdlib.h>
#include <string.h>

#include "audit.h"


static int
pa_in_list(const char *const *list, size_t n, const pa_str_t *v)
{
    size_t  i;

    if (n == 0) {
        return 1;
    }

    if (v->data == NULL) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        if (strlen(list[i]) == v->len
            && memcmp(list[i], v->data, v->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


int
pa_filter_match(const pa_filter_t *flt, const pa_rec_t *rec)
{
    if (flt->has_since && rec->ts < flt->since) {
        return 0;
    }

    if (flt->has_until && rec->ts > flt->until) {
        return 0;
    }

    return pa_in_list(flt->user, flt->nuser, &rec->f[PA_F_USER])
           && pa_in_list(flt->id, flt->nid, &rec->f[PA_F_ID])
           && pa_in_list(flt->event, flt->nevent, &rec->f[PA_F_EVENT]);
}


void
pa_print_csv_header(void)
{
    int  i;

    for (i = 0; i < PA_NFIELDS; i++) {
        fputs(pa_field_names[i], stdout);
        fputs(i + 1 < PA_NFIELDS ? "," : "\r\n", stdout);
    }
}


/*
 * RFC 4180, and safe to open in a spreadsheet: a cell that starts with
 * = + - @ TAB or CR gets a leading apostrophe, so it is never a formula.
 */
static void
pa_csv_cell(const pa_str_t *v)
{
    size_t  i;
    int     quote, formula;

    if (v->data == NULL || v->len == 0) {
        return;
    }

    formula = v->data[0] != '\0' && strchr("=+-@\t\r", v->data[0]) != NULL;
    quote = 0;

    for (i = 0; i < v->len; i++) {
        if (v->data[i] == ',' || v->data[i] == '"' || v->data[i] == '\r'
            || v->data[i] == '\n')
        {
            quote = 1;
            break;
        }
    }

    if (quote) {
        fputc('"', stdout);
    }

    if (formula) {
        fputc('\'', stdout);
    }

    for (i = 0; i < v->len; i++) {
        if (v->data[i] == '"') {
            fputc('"', stdout);
        }

        fputc(v->data[i], stdout);
    }

    if (quote) {
        fputc('"', stdout);
    }
}


void
pa_print_rec(const pa_rec_t *rec, int csv)
{
    int  i;

    if (!csv) {
        fwrite(rec->line, 1, rec->len, stdout);
        fputc('\n', stdout);
        return;
    }

    for (i = 0; i < PA_NFIELDS; i++) {
        pa_csv_cell(&rec->f[i]);
        fputs(i + 1 < PA_NFIELDS ? "," : "\r\n", stdout);
    }
}


static int
pa_cmp_ts(const void *a, const void *b)
{
    const pa_rec_t  *x, *y;

    x = *(pa_rec_t * const *) a;
    y = *(pa_rec_t * const *) b;

    if (x->ts != y->ts) {
        return x->ts < y->ts ? -1 : 1;
    }

    return pa_cmp_writer_seq(a, b);
}


/* events in the order of ts, writer, seq; a line read twice once */
int
pa_export(pa_set_t *set, const pa_filter_t *flt)
{
    const pa_rec_t  *rec, *prev;
    size_t           i;

    if (set->nrecs > 1) {
        qsort(set->recs, set->nrecs, sizeof(pa_rec_t *), pa_cmp_ts);
    }

    if (flt->csv) {
        pa_print_csv_header();
    }

    prev = NULL;

    for (i = 0; i < set->nrecs; i++) {
        rec = set->recs[i];

        if (prev && prev->len == rec->len
            && memcmp(prev->line, rec->line, rec->len) == 0)
        {
            continue;
        }

        prev = rec;

        if (pa_filter_match(flt, rec)) {
            pa_print_rec(rec, flt->csv);
        }
    }

    for (i = 0; i < set->nfiles; i++) {
        if (set->files[i].torn) {
            fputs("push-approval-audit: ", stderr);
            pa_safe(stderr, set->files[i].path, strlen(set->files[i].path));
            fprintf(stderr, ":%zu: a torn final line, skipped\n",
                    set->files[i].torn_line);
        }
    }

    if (set->skipped) {
        fprintf(stderr, "push-approval-audit: %lu line(s) were no canonical "
                "line and were left out; run verify\n", set->skipped);
    }

    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "push-approval-audit: cannot write the output\n");
        return PA_ERROR;
    }

    return PA_OK;
}


static int
pa_num(const char *s, size_t n, int *v)
{
    size_t  i;

    *v = 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }

        *v = *v * 10 + (s[i] - '0');
    }

    return 0;
}


/* days since 1970-01-01 of a date of the proleptic Gregorian calendar */
static int64_t
pa_days(int y, int m, int d)
{
    int64_t  era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}


/*
 * Unix milliseconds, or ISO 8601 in UTC: 2026-11-29, 2026-11-29T10:00Z,
 * 2026-11-29T10:00:00Z, 2026-11-29T10:00:00.250Z
 */
int
pa_parse_time(const char *s, uint64_t *ms)
{
    int      y, mo, d, h, mi, sec, frac;
    size_t   n;
    int64_t  t;

    n = strlen(s);

    if (n > 0 && strspn(s, "0123456789") == n) {
        return pa_parse_u64(s, n, ms);
    }

    h = mi = sec = frac = 0;

    if (n < 10 || s[4] != '-' || s[7] != '-' || pa_num(s, 4, &y) != 0
        || pa_num(s + 5, 2, &mo) != 0 || pa_num(s + 8, 2, &d) != 0)
    {
        return -1;
    }

    if (n > 10) {
        if ((s[10] != 'T' && s[10] != 't') || s[n - 1] != 'Z'
            || (n != 17 && n != 20 && n != 24)
            || pa_num(s + 11, 2, &h) != 0 || s[13] != ':'
            || pa_num(s + 14, 2, &mi) != 0
            || (n >= 20 && (s[16] != ':' || pa_num(s + 17, 2, &sec) != 0))
            || (n == 24 && (s[19] != '.' || pa_num(s + 20, 3, &frac) != 0)))
        {
            return -1;
        }
    }

    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23
        || mi > 59 || sec > 60)
    {
        return -1;
    }

    t = pa_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    *ms = (uint64_t) t * 1000 + (uint64_t) frac;

    return 0;
}


typedef struct {
    const pa_rec_t  *first;
    const pa_rec_t  *last;
    int              mixed;
} pa_segment_t;


static int
pa_shipped_one(void *redis, const char *stream, const pa_file_t *f,
    const pa_segment_t *sg)
{
    uint64_t  seq;
    int       found, ok;

    if (sg->first == NULL) {
        printf("yes  ");
        pa_safe(stdout, f->path, strlen(f->path));
        printf("  (no lines)\n");
        return 1;
    }

    if (sg->mixed) {
        printf("no   ");
        pa_safe(stdout, f->path, strlen(f->path));
        printf("  lines of several writers: check it with verify\n");
        return 0;
    }

    if (pa_redis_shipped(redis, stream, sg->first->f[PA_F_WRITER].data,
                         &found, &seq) != 0)
    {
        return -1;
    }

    ok = found && seq >= sg->last->seq;

    printf("%s  ", ok ? "yes" : "no ");
    pa_safe(stdout, f->path, strlen(f->path));
    printf("  writer ");
    pa_safe(stdout, sg->first->f[PA_F_WRITER].data,
            sg->first->f[PA_F_WRITER].len);
    printf("  seq %llu-%llu  ", (unsigned long long) sg->first->seq,
           (unsigned long long) sg->last->seq);

    if (found) {
        printf("shipped up to %llu\n", (unsigned long long) seq);
    } else {
        printf("nothing shipped\n");
    }

    return ok;
}


/* which journal segments are fully in the stream */
int
pa_shipped(void *redis, const char *stream, char **paths, int npaths)
{
    pa_set_t       set;
    pa_segment_t  *sg;
    pa_rec_t      *rec;
    size_t         i, yes, no;
    int            rc, io, ok;

    memset(&set, 0, sizeof(pa_set_t));
    io = pa_read_paths(&set, paths, npaths);

    sg = pa_alloc((set.nfiles + 1) * sizeof(pa_segment_t));

    for (i = 0; i < set.nrecs; i++) {
        rec = set.recs[i];
        if (sg[rec->src].first == NULL) {
            sg[rec->src].first = rec;
        } else if (rec->f[PA_F_WRITER].len
                   != sg[rec->src].first->f[PA_F_WRITER].len
                   || memcmp(rec->f[PA_F_WRITER].data,
                             sg[rec->src].first->f[PA_F_WRITER].data,
                             rec->f[PA_F_WRITER].len) != 0)
        {
            sg[rec->src].mixed = 1;
        }

        if (sg[rec->src].last == NULL || rec->seq > sg[rec->src].last->seq) {
            sg[rec->src].last = rec;
        }
    }

    yes = no = 0;
    rc = PA_OK;

    for (i = 0; i < set.nfiles; i++) {
        ok = pa_shipped_one(redis, stream, &set.files[i], &sg[i]);
        if (ok < 0) {
            rc = PA_ERROR;
            break;
        }

        if (ok) {
            yes++;
        } else {
            no++;
        }
    }

    if (rc == PA_OK) {
        printf("%zu segment(s): %zu fully shipped, %zu not\n", yes + no, yes,
               no);
        rc = io != 0 ? PA_ERROR : (no ? PA_FAIL : PA_OK);
    }

    free(sg);
    pa_set_free(&set);

    return rc;
}
