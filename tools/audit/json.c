/*
 * push-approval-audit: JSON strings as the trail writes them.  Decoding
 * accepts any JSON escape; the canonical form is checked by escaping the
 * result again (pa_json_escape) and comparing the bytes.
 */

#include <string.h>

#include "audit.h"


/* well-formed UTF-8: no overlong forms, no surrogates, up to U+10FFFF */
int
pa_utf8_ok(const char *s, size_t n)
{
    const unsigned char  *p, *end;
    unsigned              c, min, cp;
    size_t                i, k;

    p = (const unsigned char *) s;
    end = p + n;

    while (p < end) {
        c = *p++;

        if (c < 0x80) {
            continue;
        }

        if (c >= 0xc2 && c <= 0xdf) {
            k = 1; min = 0x80; cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2; min = 0x800; cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3; min = 0x10000; cp = c & 0x07;
        } else {
            return 0;
        }

        if ((size_t) (end - p) < k) {
            return 0;
        }

        for (i = 0; i < k; i++) {
            if ((p[i] & 0xc0) != 0x80) {
                return 0;
            }

            cp = (cp << 6) | (p[i] & 0x3f);
        }

        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }

        p += k;
    }

    return 1;
}


/* appends the string in canonical escaping (without the quotes) */
int
pa_json_escape(pa_buf_t *b, const char *s, size_t n)
{
    static const char    hex[] = "0123456789abcdef";
    const unsigned char  *p, *end;
    char                  esc[6];
    size_t                run;

    p = (const unsigned char *) s;
    end = p + n;

    while (p < end) {
        run = 0;
        while (p + run < end && p[run] >= 0x20 && p[run] != 0x7f
               && p[run] != '"' && p[run] != '\\' && p[run] != '<'
               && p[run] != '>' && p[run] != '&' && p[run] != '\''
               && !(p[run] == 0xe2 && end - (p + run) >= 3
                    && p[run + 1] == 0x80
                    && (p[run + 2] == 0xa8 || p[run + 2] == 0xa9)))
        {
            run++;
        }

        if (run && pa_buf_add(b, p, run, PA_LINE_MAX) != 0) {
            return -1;
        }

        p += run;
        if (p == end) {
            break;
        }

        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char) *p;
            if (pa_buf_add(b, esc, 2, PA_LINE_MAX) != 0) {
                return -1;
            }

            p++;
            continue;
        }

        if (*p == 0xe2) {
            memcpy(esc, p[2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
            p += 3;

        } else {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[*p >> 4];
            esc[5] = hex[*p & 0xf];
            p++;
        }

        if (pa_buf_add(b, esc, 6, PA_LINE_MAX) != 0) {
            return -1;
        }
    }

    return 0;
}


static int
pa_hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }

    return -1;
}


static int
pa_read_u4(const char *p, const char *end, unsigned *cp)
{
    int  i, h;

    if (end - p < 6 || p[0] != '\\' || p[1] != 'u') {
        return -1;
    }

    *cp = 0;
    for (i = 2; i < 6; i++) {
        h = pa_hexval((unsigned char) p[i]);
        if (h < 0) {
            return -1;
        }

        *cp = (*cp << 4) | (unsigned) h;
    }

    return 0;
}


static char *
pa_put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char) cp;
    } else if (cp < 0x800) {
        *o++ = (char) (0xc0 | (cp >> 6));
        *o++ = (char) (0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *o++ = (char) (0xe0 | (cp >> 12));
        *o++ = (char) (0x80 | ((cp >> 6) & 0x3f));
        *o++ = (char) (0x80 | (cp & 0x3f));
    } else {
        *o++ = (char) (0xf0 | (cp >> 18));
        *o++ = (char) (0x80 | ((cp >> 12) & 0x3f));
        *o++ = (char) (0x80 | ((cp >> 6) & 0x3f));
        *o++ = (char) (0x80 | (cp & 0x3f));
    }

    return o;
}


/* one \ escape at p; returns the bytes it took, 0 if it is not valid */
static size_t
pa_unescape(const char *p, const char *end, char **o)
{
    static const char  from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char        *c;
    unsigned           cp, lo;

    if (end - p < 2) {
        return 0;
    }

    if (p[1] != 'u') {
        c = strchr(from, p[1]);
        if (c == NULL || p[1] == '\0') {
            return 0;
        }

        *(*o)++ = to[c - from];
        return 2;
    }

    if (pa_read_u4(p, end, &cp) != 0) {
        return 0;
    }

    if (cp >= 0xdc00 && cp <= 0xdfff) {
        return 0;
    }

    if (cp < 0xd800 || cp > 0xdbff) {
        *o = pa_put_utf8(*o, cp);
        return 6;
    }

    if (pa_read_u4(p + 6, end, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff) {
        return 0;
    }

    *o = pa_put_utf8(*o, 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00));
    return 12;
}


/*
 * Decodes the JSON string that starts (with its quote) at p into out,
 * which has room for end - p bytes.  Returns the end of the string (after
 * its closing quote) or NULL.
 */
const char *
pa_json_decode(const char *p, const char *end, char *out, size_t *outlen)
{
    char    *o;
    size_t   k;

    if (p >= end || *p != '"') {
        return NULL;
    }

    p++;
    o = out;

    while (p < end && *p != '"') {
        if ((unsigned char) *p < 0x20) {
            return NULL;
        }

        if (*p != '\\') {
            *o++ = *p++;
            continue;
        }

        k = pa_unescape(p, end, &o);
        if (k == 0) {
            return NULL;
        }

        p += k;
    }

    if (p == end) {
        return NULL;
    }

    *outlen = (size_t) (o - out);

    return p + 1;
}
