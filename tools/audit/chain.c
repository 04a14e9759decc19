/*
 * push-approval-audit: verification of the chains, the checkpoints and
 * their heads (docs/audit-format.md, "Verification rules").
 */

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "audit.h"


typedef struct {
    pa_str_t        writer;
    pa_rec_t      **recs;           /* sorted by seq */
    size_t          n;
} pa_chain_t;


typedef struct {
    pa_set_t       *set;
    pa_report_t    *r;
    pa_chain_t     *chains;
    size_t          nchains;
    EVP_PKEY       *pkey;
    char            keyid[PA_KEYID_LEN + 1];
    unsigned long   verified;       /* checkpoints whose signature holds */
    void           *redis;
    const char     *stream;
} pa_verify_t;


static int
pa_strcmp(const pa_str_t *a, const pa_str_t *b)
{
    size_t  n;
    int     c;

    n = a->len < b->len ? a->len : b->len;
    c = memcmp(a->data, b->data, n);

    if (c != 0) {
        return c;
    }

    return a->len < b->len ? -1 : (a->len > b->len ? 1 : 0);
}


int
pa_cmp_writer_seq(const void *a, const void *b)
{
    const pa_rec_t  *x, *y;
    int              c;

    x = *(pa_rec_t * const *) a;
    y = *(pa_rec_t * const *) b;

    c = pa_strcmp(&x->f[PA_F_WRITER], &y->f[PA_F_WRITER]);
    if (c != 0) {
        return c;
    }

    if (x->seq != y->seq) {
        return x->seq < y->seq ? -1 : 1;
    }

    return x->order < y->order ? -1 : (x->order > y->order ? 1 : 0);
}


/* the public key (PEM SubjectPublicKeyInfo, Ed25519) and its id */
static int
pa_load_key(pa_verify_t *v, const char *path)
{
    unsigned char   *der, hash[PA_HASH_LEN];
    char             hex[PA_HEX_LEN + 1];
    FILE            *f;
    int              n;

    f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "push-approval-audit: cannot open %s\n", path);
        return -1;
    }

    v->pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
    fclose(f);

    if (v->pkey == NULL || EVP_PKEY_get_base_id(v->pkey) != EVP_PKEY_ED25519)
    {
        fprintf(stderr, "push-approval-audit: %s is not an Ed25519 public "
                "key in PEM (openssl pkey -pubout)\n", path);
        return -1;
    }

    der = NULL;
    n = i2d_PUBKEY(v->pkey, &der);
    if (n <= 0) {
        fprintf(stderr, "push-approval-audit: cannot encode %s\n", path);
        return -1;
    }

    SHA256(der, (size_t) n, hash);
    OPENSSL_free(der);

    pa_hex(hex, hash, PA_HASH_LEN);
    memcpy(v->keyid, hex, PA_KEYID_LEN);
    v->keyid[PA_KEYID_LEN] = '\0';

    return 0;
}


static int
pa_b64url_decode(const pa_str_t *s, unsigned char *out, size_t outlen)
{
    uint32_t  acc;
    size_t    i, o;
    int       bits, d;
    char      c;

    acc = 0;
    bits = 0;
    o = 0;

    for (i = 0; i < s->len; i++) {
        c = s->data[i];
        d = (c >= 'A' && c <= 'Z') ? c - 'A'
            : (c >= 'a' && c <= 'z') ? c - 'a' + 26
            : (c >= '0' && c <= '9') ? c - '0' + 52
            : c == '-' ? 62 : c == '_' ? 63 : -1;
        if (d < 0) {
            return -1;
        }

        acc = (acc << 6) | (uint32_t) d;
        bits += 6;

        if (bits >= 8) {
            bits -= 8;
            if (o == outlen) {
                return -1;
            }

            out[o++] = (unsigned char) (acc >> bits);
        }
    }

    /* the bits left over must be zero, as an encoder writes them */
    if (o != outlen || (acc & ((1u << bits) - 1)) != 0) {
        return -1;
    }

    return 0;
}


static int
pa_sig_ok(pa_verify_t *v, const pa_rec_t *rec)
{
    EVP_MD_CTX     *ctx;
    unsigned char   sig[64];
    int             ok;

    if (pa_b64url_decode(&rec->f[PA_F_SIG], sig, sizeof(sig)) != 0) {
        return 0;
    }

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        return 0;
    }

    ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, v->pkey) == 1
         && EVP_DigestVerify(ctx, sig, sizeof(sig),
                             (const unsigned char *) rec->line,
                             rec->sig_at) == 1;

    EVP_MD_CTX_free(ctx);

    return ok;
}


static pa_chain_t *
pa_find_chain(pa_verify_t *v, const char *w, size_t n)
{
    pa_str_t  key;
    size_t    lo, hi, mid;
    int       c;

    key.data = w;
    key.len = n;
    lo = 0;
    hi = v->nchains;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        c = pa_strcmp(&key, &v->chains[mid].writer);
        if (c == 0) {
            return &v->chains[mid];
        }

        if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }

    return NULL;
}


static pa_rec_t *
pa_find_seq(const pa_chain_t *ch, uint64_t seq)
{
    size_t  lo, hi, mid;

    lo = 0;
    hi = ch->n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (ch->recs[mid]->seq == seq) {
            while (mid > 0 && ch->recs[mid - 1]->seq == seq) {
                mid--;
            }

            return ch->recs[mid];
        }

        if (ch->recs[mid]->seq < seq) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }

    return NULL;
}


/* shipping lag: the stream may not hold yet what a checkpoint vouched */
static int
pa_not_shipped(pa_verify_t *v, const char *writer, uint64_t seq)
{
    uint64_t  shipped;
    int       found;

    if (v->redis == NULL
        || pa_redis_shipped(v->redis, v->stream, writer, &found, &shipped)
           != 0)
    {
        return 0;
    }

    return !found || shipped < seq;
}


/* one "EID HASH" of a checkpoint's heads (rule 5) */
static void
pa_check_head(pa_verify_t *v, const pa_rec_t *cp, const char *eid,
    size_t elen, const char *hash)
{
    const char        *slash;
    pa_chain_t        *ch;
    pa_rec_t          *rec;
    char               hex[PA_HEX_LEN + 1], *w;
    uint64_t           seq;

    slash = NULL;
    for (w = (char *) eid; w < eid + elen; w++) {
        if (*w == '/') {
            slash = w;
        }
    }

    if (slash == NULL || slash == eid
        || pa_parse_u64(slash + 1, (size_t) (eid + elen - slash - 1), &seq)
           != 0 || seq == 0)
    {
        pa_break(v->r, NULL, cp, "heads: \"%.*s\" is not an eid",
                 (int) (elen > 120 ? 120 : elen), eid);
        return;
    }

    w = pa_strndup(eid, (size_t) (slash - eid));
    ch = pa_find_chain(v, w, (size_t) (slash - eid));

    if (ch == NULL) {
        if (v->set->stream && v->set->trimmed && !v->set->xdel) {
            pa_note(v->r, "%s vouches for %s/%llu, which has no entries "
                    "in the stream (trimmed, or not shipped yet): not "
                    "checked", cp->origin, w, (unsigned long long) seq);

        } else if (v->set->stream && pa_not_shipped(v, w, seq)) {
            pa_note(v->r, "%s vouches for %s/%llu, not shipped yet: not "
                    "checked", cp->origin, w, (unsigned long long) seq);

        } else {
            pa_break(v->r, NULL, cp, "a missing chain: heads vouch for "
                     "%s/%llu, and writer %s has no lines at all", w,
                     (unsigned long long) seq, w);
        }

        free(w);
        return;
    }

    if (seq > ch->recs[ch->n - 1]->seq) {
        if (v->set->stream && pa_not_shipped(v, w, seq)) {
            pa_note(v->r, "%s vouches for %s/%llu, not shipped yet: not "
                    "checked", cp->origin, w, (unsigned long long) seq);
        } else {
            pa_break(v->r, NULL, cp, "a chain cut: heads vouch for "
                     "%s/%llu, and that chain ends at seq %llu", w,
                     (unsigned long long) seq,
                     (unsigned long long) ch->recs[ch->n - 1]->seq);
        }

        free(w);
        return;
    }

    rec = pa_find_seq(ch, seq);

    if (rec == NULL) {
        if (v->set->stream && seq < ch->recs[0]->seq) {
            pa_note(v->r, "%s vouches for %s/%llu, before the stream's "
                    "first entry of that writer: not checked", cp->origin,
                    w, (unsigned long long) seq);
        } else {
            pa_break(v->r, NULL, cp, "heads vouch for %s/%llu, a line "
                     "that is missing", w, (unsigned long long) seq);
        }

        free(w);
        return;
    }

    pa_hex(hex, rec->hash, PA_HASH_LEN);
    if (memcmp(hex, hash, PA_HEX_LEN) != 0) {
        pa_break(v->r, NULL, cp, "heads vouch for %s/%llu with another "
                 "hash than its line %s has", w, (unsigned long long) seq,
                 rec->origin);
    }

    free(w);
}


static void
pa_check_heads(pa_verify_t *v, const pa_rec_t *cp)
{
    const char  *p, *end, *sp, *comma;
    size_t       i, n;

    if (cp->f[PA_F_HEADS].data == NULL) {
        return;
    }

    p = cp->f[PA_F_HEADS].data;
    end = p + cp->f[PA_F_HEADS].len;

    for (n = 0; p < end; n++) {
        comma = memchr(p, ',', (size_t) (end - p));
        comma = comma ? comma : end;
        sp = memchr(p, ' ', (size_t) (comma - p));

        for (i = 0; sp && i < PA_HEX_LEN && sp + 1 + i < comma; i++) {
            if (!((sp[1 + i] >= '0' && sp[1 + i] <= '9')
                  || (sp[1 + i] >= 'a' && sp[1 + i] <= 'f')))
            {
                break;
            }
        }

        if (n == PA_HEADS_MAX || sp == NULL || sp == p
            || comma - sp - 1 != PA_HEX_LEN || i != PA_HEX_LEN
            || (comma < end && comma + 1 == end))
        {
            pa_break(v->r, NULL, cp, "heads are not a list of \"EID HASH\" "
                     "(at most %d)", PA_HEADS_MAX);
            return;
        }

        pa_check_head(v, cp, p, (size_t) (sp - p), sp + 1);
        p = comma < end ? comma + 1 : end;
    }
}


/* rule 4, then rule 5 for each head */
static void
pa_check_checkpoint(pa_verify_t *v, const pa_rec_t *rec)
{
    if (memcmp(rec->f[PA_F_KEY].data, v->keyid, PA_KEYID_LEN) != 0) {
        pa_break(v->r, NULL, rec, "checkpoint made with key %.16s, not "
                 "with the given key %s", rec->f[PA_F_KEY].data, v->keyid);
        return;
    }

    if (!pa_sig_ok(v, rec)) {
        pa_break(v->r, NULL, rec, "the checkpoint's signature does not "
                 "verify");
        return;
    }

    v->verified++;
    pa_check_heads(v, rec);
}


static int
pa_is_event(const pa_rec_t *rec, const char *ev)
{
    return rec->f[PA_F_EVENT].len == strlen(ev)
           && memcmp(rec->f[PA_F_EVENT].data, ev, strlen(ev)) == 0;
}


/* the start of a chain: seq 1 after 64 zeros, or a trimmed stream */
static int
pa_chain_start(pa_verify_t *v, const pa_chain_t *ch, unsigned char *prev)
{
    const pa_rec_t  *first;

    first = ch->recs[0];
    memset(prev, 0, PA_HASH_LEN);

    if (first->seq == 1) {
        return 1;
    }

    if (v->set->stream) {
        pa_note(v->r, "writer %.*s: the stream's chain starts at seq %llu "
                "(%s): the entries before it were trimmed (MAXLEN) or "
                "deleted", (int) ch->writer.len, ch->writer.data,
                (unsigned long long) first->seq, first->origin);
        if (v->set->trimmed == -1) {
            v->set->trimmed = 1;
        }

        return 0;
    }

    pa_break(v->r, NULL, first, "the chain starts at seq %llu, lines 1 to "
             "%llu are missing", (unsigned long long) first->seq,
             (unsigned long long) first->seq - 1);

    return 0;
}


/* rules 2 and 3, and the order of lines within one file */
static void
pa_check_link(pa_verify_t *v, const pa_rec_t *prev_rec, const pa_rec_t *rec,
    const unsigned char *prev, int known)
{
    char  hex[PA_HEX_LEN + 1];

    if (prev_rec != NULL && rec->seq == prev_rec->seq) {
        pa_break(v->r, NULL, rec, "seq repeated (also %s)",
                 prev_rec->origin);

    } else if (prev_rec != NULL && rec->seq != prev_rec->seq + 1) {
        pa_break(v->r, NULL, rec, "a gap: seq %llu to %llu missing",
                 (unsigned long long) prev_rec->seq + 1,
                 (unsigned long long) rec->seq - 1);

    } else if (prev_rec != NULL && rec->src == prev_rec->src
               && rec->order < prev_rec->order)
    {
        pa_break(v->r, NULL, rec, "out of order: it comes before seq %llu "
                 "(%s)", (unsigned long long) prev_rec->seq,
                 prev_rec->origin);
    }

    if (!known) {
        return;
    }

    pa_hex(hex, prev, PA_HASH_LEN);
    if (memcmp(hex, rec->f[PA_F_PREV].data, PA_HEX_LEN) != 0) {
        pa_break(v->r, NULL, rec, prev_rec == NULL
                 ? "prev of the first line is not 64 zeros"
                 : "prev is not the hash of the line before (%s)",
                 prev_rec ? prev_rec->origin : "");
    }
}


/* the tail after the last checkpoint, if the chain did not end well */
static void
pa_check_tail(pa_verify_t *v, const pa_chain_t *ch)
{
    const pa_rec_t  *last, *cp;
    size_t           i;

    last = ch->recs[ch->n - 1];

    if (ch->n >= 2 && pa_is_event(last, "checkpoint")
        && pa_is_event(ch->recs[ch->n - 2], "writer_stop"))
    {
        return;
    }

    cp = NULL;
    for (i = ch->n; i > 0; i--) {
        if (pa_is_event(ch->recs[i - 1], "checkpoint")) {
            cp = ch->recs[i - 1];
            break;
        }
    }

    pa_note(v->r, "writer %.*s: no checkpoint after writer_stop (running "
            "or crashed); %llu line(s) after %s are unsigned, up to %s",
            (int) ch->writer.len, ch->writer.data,
            (unsigned long long) (last->seq - (cp ? cp->seq : 0)),
            cp ? "its last checkpoint" : "its start (no checkpoint)",
            last->origin);
}


static void
pa_check_chain(pa_verify_t *v, const pa_chain_t *ch)
{
    const pa_rec_t  *rec, *prev_rec;
    unsigned char    prev[PA_HASH_LEN];
    size_t           i;
    int              known;

    known = pa_chain_start(v, ch, prev);
    prev_rec = NULL;

    for (i = 0; i < ch->n; i++) {
        rec = ch->recs[i];
        pa_check_link(v, prev_rec, rec, prev, known);

        if (pa_is_event(rec, "checkpoint")) {
            pa_check_checkpoint(v, rec);
        }

        memcpy(prev, rec->hash, PA_HASH_LEN);
        prev_rec = rec;
        known = 1;
    }

    pa_check_tail(v, ch);
}


static void
pa_make_chains(pa_verify_t *v)
{
    pa_set_t  *set;
    size_t     i;

    set = v->set;
    if (set->nrecs > 1) {
        qsort(set->recs, set->nrecs, sizeof(pa_rec_t *), pa_cmp_writer_seq);
    }

    v->chains = pa_alloc(set->nrecs * sizeof(pa_chain_t));

    for (i = 0; i < set->nrecs; i++) {
        if (i == 0 || pa_strcmp(&set->recs[i]->f[PA_F_WRITER],
                                &set->recs[i - 1]->f[PA_F_WRITER]) != 0)
        {
            v->chains[v->nchains].writer = set->recs[i]->f[PA_F_WRITER];
            v->chains[v->nchains].recs = &set->recs[i];
            v->nchains++;
        }

        v->chains[v->nchains - 1].n++;
    }
}


/*
 * A torn last line is a note only at the end of the last file of its
 * chain: no newer segment of the same journal-PID-MS name, and no line of
 * that writer after the file's last one.
 */
static void
pa_check_torn(pa_verify_t *v)
{
    const pa_file_t   *f, *g;
    const pa_chain_t  *ch;
    size_t             i, j;
    int                last;

    for (i = 0; i < v->set->nfiles; i++) {
        f = &v->set->files[i];

        if (f->nonl) {
            pa_note(v->r, "%s: the last line has no \\n (a write cut just "
                    "before it); the line itself is whole", f->last->origin);
        }

        if (!f->torn) {
            continue;
        }

        last = 1;

        for (j = 0; f->group && j < v->set->nfiles; j++) {
            g = &v->set->files[j];
            if (g->group && strcmp(g->group, f->group) == 0 && g->rot < f->rot
                && g->last != NULL)
            {
                last = 0;
            }
        }

        if (f->last != NULL) {
            ch = pa_find_chain(v, f->last->f[PA_F_WRITER].data,
                               f->last->f[PA_F_WRITER].len);
            if (ch && ch->recs[ch->n - 1]->seq > f->last->seq) {
                last = 0;
            }
        }

        if (last) {
            pa_note(v->r, "%s:%zu: a torn final line (%zu bytes without "
                    "\\n): the writer stopped in the middle of a write",
                    f->path, f->torn_line, f->torn_bytes);
        } else {
            pa_break(v->r, NULL, NULL, "%s:%zu: a torn line (%zu bytes "
                     "without \\n) that is not the end of its chain",
                     f->path, f->torn_line, f->torn_bytes);
        }
    }
}


int
pa_verify(pa_set_t *set, const char *pubkey, void *redis,
    const char *stream)
{
    pa_verify_t  v;
    size_t       i, ncp;

    memset(&v, 0, sizeof(pa_verify_t));
    v.set = set;
    v.r = set->report;
    v.redis = redis;
    v.stream = stream;

    if (pa_load_key(&v, pubkey) != 0) {
        EVP_PKEY_free(v.pkey);
        return PA_ERROR;
    }

    if (set->stream && set->xdel) {
        pa_note(v.r, "entries were deleted inside the stream (XDEL), not "
                "only trimmed at its start");
    }

    pa_make_chains(&v);

    for (i = 0; i < v.nchains; i++) {
        pa_check_chain(&v, &v.chains[i]);
    }

    pa_check_torn(&v);

    for (ncp = 0, i = 0; i < set->nrecs; i++) {
        ncp += pa_is_event(set->recs[i], "checkpoint");
    }

    fprintf(v.r->out, "%zu writer(s), %zu line(s), %zu checkpoint(s), "
            "%lu verified with key %s; %lu break(s), %lu note(s)\n",
            v.nchains, set->nrecs + set->skipped, ncp, v.verified, v.keyid,
            v.r->breaks, v.r->notes);
    fprintf(v.r->out, "%s\n", v.r->breaks ? "FAILED" : "OK");

    EVP_PKEY_free(v.pkey);
    free(v.chains);

    return v.r->breaks ? PA_FAIL : PA_OK;
}
