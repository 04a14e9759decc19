
/*
 * A journal line read back for the stream and for the revocations at
 * start: ngx_http_push_approval_line_parse() (line.c).  The journal is
 * the module's own, but a file can be damaged or planted.
 *
 * Checked: the parser never reads or writes outside the line and the
 * decoding buffer; every name it returns is lowercase letters and "_"
 * inside the buffer; a line it accepts has a seq above 0 and a writer; a
 * number field's text is digits and dots; and a line it accepts, written
 * again with the journal's own escaping, is accepted again with the same
 * fields (the canonical form survives a round trip), which needs the
 * parser to refuse ill-formed UTF-8 (found by this target: the escaping
 * turned it into U+FFFD).
 */


#include "fuzz.h"
#include "ngx_http_push_approval_escape.h"
#include "ngx_http_push_approval_line.h"


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    pa_fuzz_init();
    return 0;
}


static u_char *
pa_fuzz_buf(size_t len)
{
    u_char  *p;

    p = malloc(len ? len : 1);
    PA_CHECK(p != NULL);

    return p;
}


static size_t
pa_fuzz_rebuild(ngx_http_push_approval_fields_t *f, u_char *out)
{
    u_char      *p;
    ngx_uint_t   i;

    p = out;
    *p++ = '{';

    for (i = 0; i < f->n; i++) {
        p = ngx_sprintf(p, "%s\"%V\":", i ? "," : "", &f->key[i]);

        if (f->number[i]) {
            p = ngx_cpymem(p, f->value[i].data, f->value[i].len);

        } else {
            *p++ = '"';
            p = ngx_http_push_approval_json_escape(p, &f->value[i]);
            *p++ = '"';
        }
    }

    *p++ = '}';

    return p - out;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                           *line, *dec, *again, *dec2;
    size_t                            len, j;
    ngx_uint_t                        i;
    ngx_http_push_approval_fields_t   f, g;

    line = pa_fuzz_dup(data, size);
    dec = pa_fuzz_buf(size);

    if (ngx_http_push_approval_line_parse(line, line + size, dec, &f)
        != NGX_OK)
    {
        free(line);
        free(dec);
        return 0;
    }

    PA_CHECK(f.seq > 0 && f.writer.len > 0);
    PA_CHECK(f.n > 0 && f.n <= NGX_HTTP_PUSH_APPROVAL_LINE_FIELDS);

    for (i = 0; i < f.n; i++) {
        PA_CHECK(f.key[i].data >= dec && f.key[i].data + f.key[i].len
                                         <= dec + size);
        PA_CHECK(f.value[i].data >= dec && f.value[i].data + f.value[i].len
                                           <= dec + size);

        for (j = 0; j < f.key[i].len; j++) {
            PA_CHECK((f.key[i].data[j] >= 'a' && f.key[i].data[j] <= 'z')
                     || f.key[i].data[j] == '_');
        }

        for (j = 0; f.number[i] && j < f.value[i].len; j++) {
            PA_CHECK((f.value[i].data[j] >= '0' && f.value[i].data[j] <= '9')
                     || f.value[i].data[j] == '.');
        }
    }

    /* escaping can grow a value six times */

    again = pa_fuzz_buf(size * 6 + 64);
    len = pa_fuzz_rebuild(&f, again);
    dec2 = pa_fuzz_buf(len);

    PA_CHECK(ngx_http_push_approval_line_parse(again, again + len, dec2, &g)
             == NGX_OK);
    PA_CHECK(g.n == f.n && g.seq == f.seq);

    for (i = 0; i < f.n; i++) {
        PA_CHECK(g.value[i].len == f.value[i].len
                 && ngx_memcmp(g.value[i].data, f.value[i].data,
                               f.value[i].len) == 0);
    }

    free(line);
    free(dec);
    free(again);
    free(dec2);

    return 0;
}
