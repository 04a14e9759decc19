/*
 * bench/crypto-cost.c -- what the cookie path's cryptography costs, natively
 * (callgrind cannot tell: valgrind hides SHA-NI from OpenSSL).
 *
 * Times, with the machine's OpenSSL 3 libcrypto, the calls the module made
 * for every request under a cookie until issue 4 was worked on
 * (ngx_http_push_approval_hmac() in ngx_http_push_approval_keys.c:
 * HMAC_CTX_new, HMAC_Init_ex with EVP_sha256(), HMAC_Update per
 * length-prefixed part, HMAC_Final, HMAC_CTX_free; and SHA256() of each
 * journal line in ngx_http_push_approval_journal.c), next to cheaper ways
 * to compute the same values, so that the cost of each choice is known.
 * The module now computes its HMACs as lowlevel_prekeyed_hmac() does.
 *
 *   cc -O2 -o crypto-cost bench/crypto-cost.c -lcrypto && ./crypto-cost [N]
 *
 * Pinned with taskset by bench/profile. Output: one line per variant,
 * nanoseconds per call (median of 7 runs of N calls).
 */

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <openssl/core_names.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


static unsigned char  key[32];
static unsigned char  out[32];
static unsigned char  line[520];      /* a journal line of an access event */
static volatile unsigned  sink;

static const char  *label = "agent";
static const char  *value = "pa-bench/1 (wrk)";

static EVP_MD        *md;
static HMAC_CTX      *tmpl, *work;
static EVP_MAC_CTX   *mtmpl;
static EVP_MD_CTX    *dinner, *douter, *dwork;
static SHA256_CTX     sinner, souter;


static void
lenpart(unsigned char *len, size_t n)
{
    len[0] = (unsigned char) (n >> 24);
    len[1] = (unsigned char) (n >> 16);
    len[2] = (unsigned char) (n >> 8);
    len[3] = (unsigned char) n;
}


/* the module's former pattern: ngx_http_push_approval_hmac() before issue 4 */

static void
module_hmac(void)
{
    unsigned char  len[4];
    unsigned int   outlen = 32;
    HMAC_CTX      *h;

    h = HMAC_CTX_new();
    HMAC_Init_ex(h, key, 32, EVP_sha256(), NULL);
    lenpart(len, strlen(label));
    HMAC_Update(h, len, 4);
    HMAC_Update(h, (const unsigned char *) label, strlen(label));
    lenpart(len, strlen(value));
    HMAC_Update(h, len, 4);
    HMAC_Update(h, (const unsigned char *) value, strlen(value));
    HMAC_Final(h, out, &outlen);
    HMAC_CTX_free(h);
    sink += out[0];
}


/* the same with the SHA-256 implementation fetched once */

static void
fetched_hmac(void)
{
    unsigned char  len[4];
    unsigned int   outlen = 32;
    HMAC_CTX      *h;

    h = HMAC_CTX_new();
    HMAC_Init_ex(h, key, 32, md, NULL);
    lenpart(len, strlen(label));
    HMAC_Update(h, len, 4);
    HMAC_Update(h, (const unsigned char *) label, strlen(label));
    lenpart(len, strlen(value));
    HMAC_Update(h, len, 4);
    HMAC_Update(h, (const unsigned char *) value, strlen(value));
    HMAC_Final(h, out, &outlen);
    HMAC_CTX_free(h);
    sink += out[0];
}


/* keyed once (ipad/opad states precomputed), copied per call */

static void
keyed_hmac(void)
{
    unsigned char  len[4];
    unsigned int   outlen = 32;

    HMAC_CTX_copy(work, tmpl);
    lenpart(len, strlen(label));
    HMAC_Update(work, len, 4);
    HMAC_Update(work, (const unsigned char *) label, strlen(label));
    lenpart(len, strlen(value));
    HMAC_Update(work, len, 4);
    HMAC_Update(work, (const unsigned char *) value, strlen(value));
    HMAC_Final(work, out, &outlen);
    sink += out[0];
}


/* EVP_MAC, keyed once, duplicated per call */

static void
evp_mac_dup(void)
{
    unsigned char  len[4];
    size_t         outlen;
    EVP_MAC_CTX   *c;

    c = EVP_MAC_CTX_dup(mtmpl);
    lenpart(len, strlen(label));
    EVP_MAC_update(c, len, 4);
    EVP_MAC_update(c, (const unsigned char *) label, strlen(label));
    lenpart(len, strlen(value));
    EVP_MAC_update(c, len, 4);
    EVP_MAC_update(c, (const unsigned char *) value, strlen(value));
    EVP_MAC_final(c, out, &outlen, sizeof(out));
    EVP_MAC_CTX_free(c);
    sink += out[0];
}


/*
 * The HMAC's two SHA-256 states after the key block (key ^ ipad, key ^
 * opad) computed once; per call each is copied and finished.  With the
 * low-level SHA256_* a copy is a struct assignment; with EVP_MD_CTX_copy_ex
 * the provider duplicates its context (an allocation).
 */

static void
lowlevel_prekeyed_hmac(void)
{
    unsigned char  len[4], in[32];
    SHA256_CTX     c;

    c = sinner;
    lenpart(len, strlen(label));
    SHA256_Update(&c, len, 4);
    SHA256_Update(&c, label, strlen(label));
    lenpart(len, strlen(value));
    SHA256_Update(&c, len, 4);
    SHA256_Update(&c, value, strlen(value));
    SHA256_Final(in, &c);
    c = souter;
    SHA256_Update(&c, in, sizeof(in));
    SHA256_Final(out, &c);
    sink += out[0];
}


static void
evp_prekeyed_hmac(void)
{
    unsigned char  len[4], in[32];
    unsigned int   n;

    EVP_MD_CTX_copy_ex(dwork, dinner);
    lenpart(len, strlen(label));
    EVP_DigestUpdate(dwork, len, 4);
    EVP_DigestUpdate(dwork, label, strlen(label));
    lenpart(len, strlen(value));
    EVP_DigestUpdate(dwork, len, 4);
    EVP_DigestUpdate(dwork, value, strlen(value));
    EVP_DigestFinal_ex(dwork, in, &n);
    EVP_MD_CTX_copy_ex(dwork, douter);
    EVP_DigestUpdate(dwork, in, sizeof(in));
    EVP_DigestFinal_ex(dwork, out, &n);
    sink += out[0];
}


static void
prekey(void)
{
    int            i;
    unsigned char  ipad[64], opad[64];

    memset(ipad, 0x36, sizeof(ipad));
    memset(opad, 0x5c, sizeof(opad));

    for (i = 0; i < 32; i++) {
        ipad[i] ^= key[i];
        opad[i] ^= key[i];
    }

    SHA256_Init(&sinner);
    SHA256_Update(&sinner, ipad, 64);
    SHA256_Init(&souter);
    SHA256_Update(&souter, opad, 64);

    dinner = EVP_MD_CTX_new();
    douter = EVP_MD_CTX_new();
    dwork = EVP_MD_CTX_new();
    EVP_DigestInit_ex(dinner, md, NULL);
    EVP_DigestUpdate(dinner, ipad, 64);
    EVP_DigestInit_ex(douter, md, NULL);
    EVP_DigestUpdate(douter, opad, 64);
}


/* the same values as HMAC(): a check of the variants above */

static int
same_mac(void)
{
    unsigned char  want[32];

    module_hmac();
    memcpy(want, out, 32);
    lowlevel_prekeyed_hmac();
    if (memcmp(want, out, 32) != 0) {
        return 0;
    }

    evp_prekeyed_hmac();
    return memcmp(want, out, 32) == 0;
}


/* the journal's chain hash, as in ngx_http_push_approval_journal_event() */

static void
journal_sha256(void)
{
    SHA256(line, sizeof(line), out);
    sink += out[0];
}


static void
fetched_sha256(void)
{
    unsigned int  outlen;

    EVP_Digest(line, sizeof(line), out, &outlen, md, NULL);
    sink += out[0];
}


static void
low_level_sha256(void)
{
    SHA256_CTX  c;

    SHA256_Init(&c);
    SHA256_Update(&c, line, sizeof(line));
    SHA256_Final(out, &c);
    sink += out[0];
}


static double
now_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}


static int
cmp(const void *a, const void *b)
{
    double  x = *(const double *) a, y = *(const double *) b;

    return (x > y) - (x < y);
}


static void
timeit(const char *name, void (*f)(void), long n)
{
    int     r;
    long    i;
    double  t0, ns[7];

    for (i = 0; i < n / 10; i++) {
        f();
    }

    for (r = 0; r < 7; r++) {
        t0 = now_ns();
        for (i = 0; i < n; i++) {
            f();
        }
        ns[r] = (now_ns() - t0) / n;
    }

    qsort(ns, 7, sizeof(double), cmp);
    printf("%-58s %8.0f ns/call  (min %.0f, max %.0f)\n",
           name, ns[3], ns[0], ns[6]);
}


int
main(int argc, char **argv)
{
    long        n;
    OSSL_PARAM  params[2];
    EVP_MAC    *mac;

    n = argc > 1 ? atol(argv[1]) : 200000;

    memset(key, 0x5a, sizeof(key));
    memset(line, 'x', sizeof(line));

    md = EVP_MD_fetch(NULL, "SHA256", NULL);
    tmpl = HMAC_CTX_new();
    work = HMAC_CTX_new();
    HMAC_Init_ex(tmpl, key, 32, md, NULL);

    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    mtmpl = EVP_MAC_CTX_new(mac);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *) "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    EVP_MAC_init(mtmpl, key, sizeof(key), params);

    prekey();

    if (!same_mac()) {
        fprintf(stderr, "a pre-keyed HMAC differs from HMAC()\n");
        return 1;
    }

    printf("%s, %ld calls a run\n", OpenSSL_version(OPENSSL_VERSION), n);

    timeit("HMAC as the module did it (new, Init_ex EVP_sha256())",
           module_hmac, n);
    timeit("HMAC, SHA-256 fetched once (EVP_MD_fetch at start)",
           fetched_hmac, n);
    timeit("HMAC, keyed once, HMAC_CTX_copy per call", keyed_hmac, n);
    timeit("HMAC, EVP_MAC keyed once, EVP_MAC_CTX_dup per call",
           evp_mac_dup, n);
    timeit("HMAC, SHA256_CTX ipad/opad precomputed (the module now)",
           lowlevel_prekeyed_hmac, n);
    timeit("HMAC, EVP_MD_CTX ipad/opad precomputed, EVP_MD_CTX_copy_ex",
           evp_prekeyed_hmac, n);
    timeit("SHA256() of a 520-byte journal line (as the module)",
           journal_sha256, n);
    timeit("EVP_Digest, SHA-256 fetched once, 520 bytes",
           fetched_sha256, n);
    timeit("SHA256_Init/Update/Final, 520 bytes", low_level_sha256, n);

    return sink == 0xffffffff;
}
