
/*
 * The audit key: an Ed25519 key that signs the journal's checkpoints
 * (docs/audit-format.md).  The master reads it while it reads the
 * configuration, or generates it in the journal directory on the first
 * start; workers inherit it and never open the file.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_audit.h"
#include "ngx_http_push_approval_keys.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>


#define NGX_HTTP_PUSH_APPROVAL_AUDIT_SIG     64


static ngx_int_t ngx_http_push_approval_audit_generate(ngx_conf_t *cf,
    ngx_str_t *path);
static ngx_int_t ngx_http_push_approval_audit_pub(ngx_conf_t *cf,
    ngx_str_t *path, EVP_PKEY *pkey, ngx_uint_t always);
static ngx_int_t ngx_http_push_approval_write_file(ngx_conf_t *cf,
    u_char *name, BIO *bio, ngx_uint_t mode);
static ngx_int_t ngx_http_push_approval_audit_kid(EVP_PKEY *pkey,
    u_char *kid);
static void ngx_http_push_approval_audit_cleanup(void *data);


/* loads pmcf->audit_key, or generates the default one first */

char *
ngx_http_push_approval_audit_key(ngx_conf_t *cf,
    ngx_http_push_approval_main_conf_t *pmcf)
{
    BIO                 *bio;
    EVP_PKEY            *pkey;
    ngx_str_t            content;
    ngx_file_info_t      fi;
    ngx_pool_cleanup_t  *cln;

    if (pmcf->audit_key.data == NULL) {
        pmcf->audit_key.len = pmcf->journal->name.len + sizeof("/audit.key")
                              - 1;
        pmcf->audit_key.data = ngx_pnalloc(cf->pool, pmcf->audit_key.len + 1);
        if (pmcf->audit_key.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_sprintf(pmcf->audit_key.data, "%V/audit.key%Z",
                    &pmcf->journal->name);

        if (ngx_file_info(pmcf->audit_key.data, &fi) == NGX_FILE_ERROR
            && ngx_errno == NGX_ENOENT)
        {
            if (ngx_test_config) {
                return NGX_CONF_OK;     /* generated at the first start */
            }

            if (ngx_http_push_approval_audit_generate(cf, &pmcf->audit_key)
                != NGX_OK)
            {
                return NGX_CONF_ERROR;
            }
        }
    }

    if (ngx_http_push_approval_read_secret(cf, &pmcf->audit_key, &content)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    bio = BIO_new_mem_buf(content.data, (int) content.len);
    pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    ngx_explicit_memzero(content.data, content.len);

    if (pkey == NULL || EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(pkey);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" is not an Ed25519 private key in PEM",
                           &pmcf->audit_key);
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        EVP_PKEY_free(pkey);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_push_approval_audit_cleanup;
    cln->data = pkey;
    pmcf->audit_pkey = pkey;

    if (ngx_http_push_approval_audit_pub(cf, &pmcf->audit_key, pkey, 0)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return ngx_http_push_approval_audit_kid(pkey, pmcf->audit_kid) == NGX_OK
           ? NGX_CONF_OK : NGX_CONF_ERROR;
}


static void
ngx_http_push_approval_audit_cleanup(void *data)
{
    EVP_PKEY_free(data);
}


static ngx_int_t
ngx_http_push_approval_audit_generate(ngx_conf_t *cf, ngx_str_t *path)
{
    BIO       *bio;
    EVP_PKEY  *pkey;
    ngx_int_t  rc;
    ngx_str_t  dir;

    /* the master creates the journal directory later, for the workers */

    dir.len = path->len - (sizeof("/audit.key") - 1);
    dir.data = ngx_pnalloc(cf->pool, dir.len + 1);
    if (dir.data == NULL) {
        return NGX_ERROR;
    }

    ngx_cpystrn(dir.data, path->data, dir.len + 1);

    if (ngx_create_dir(dir.data, 0700) == NGX_FILE_ERROR
        && ngx_errno != NGX_EEXIST)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_create_dir_n " \"%V\" failed", &dir);
        return NGX_ERROR;
    }

    pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    bio = BIO_new(BIO_s_mem());

    rc = NGX_ERROR;

    if (pkey == NULL || bio == NULL
        || !PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "could not generate an Ed25519 audit key");

    } else if (ngx_http_push_approval_write_file(cf, path->data, bio, 0600)
               == NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_NOTICE, cf, 0,
                           "generated the audit key \"%V\"", path);
        rc = ngx_http_push_approval_audit_pub(cf, path, pkey, 1);
    }

    BIO_free(bio);
    EVP_PKEY_free(pkey);

    return rc;
}


/* PATH.pub, for auditors: written when missing, or with a new key */

static ngx_int_t
ngx_http_push_approval_audit_pub(ngx_conf_t *cf, ngx_str_t *path,
    EVP_PKEY *pkey, ngx_uint_t always)
{
    BIO              *bio;
    u_char           *name;
    ngx_int_t         rc;
    ngx_file_info_t   fi;

    name = ngx_pnalloc(cf->pool, path->len + sizeof(".pub"));
    if (name == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(name, "%V.pub%Z", path);

    if (!always && ngx_file_info(name, &fi) != NGX_FILE_ERROR) {
        return NGX_OK;
    }

    if (ngx_test_config) {
        return NGX_OK;
    }

    bio = BIO_new(BIO_s_mem());
    if (bio == NULL || !PEM_write_bio_PUBKEY(bio, pkey)) {
        BIO_free(bio);
        return NGX_ERROR;
    }

    rc = ngx_http_push_approval_write_file(cf, name, bio, 0644);
    BIO_free(bio);

    return rc;
}


static ngx_int_t
ngx_http_push_approval_write_file(ngx_conf_t *cf, u_char *name, BIO *bio,
    ngx_uint_t mode)
{
    char      *data;
    long       len;
    ssize_t    n;
    ngx_fd_t   fd;

    len = BIO_get_mem_data(bio, &data);

    fd = ngx_open_file(name, NGX_FILE_WRONLY, NGX_FILE_CREATE_OR_OPEN
                                              | NGX_FILE_TRUNCATE, mode);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%s\" failed", name);
        return NGX_ERROR;
    }

    n = ngx_write_fd(fd, data, (size_t) len);

    if (n != len || ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "could not write \"%s\"", name);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the key id: 16 hex digits of the SHA-256 of the DER public key */

static ngx_int_t
ngx_http_push_approval_audit_kid(EVP_PKEY *pkey, u_char *kid)
{
    int     len;
    u_char  der[256], *p, hash[SHA256_DIGEST_LENGTH];

    len = i2d_PUBKEY(pkey, NULL);
    if (len <= 0 || len > (int) sizeof(der)) {
        return NGX_ERROR;
    }

    p = der;
    (void) i2d_PUBKEY(pkey, &p);
    SHA256(der, len, hash);

    ngx_hex_dump(kid, hash, NGX_HTTP_PUSH_APPROVAL_AUDIT_KID / 2);

    return NGX_OK;
}


/*
 * Appends ,"sig":"..." signing [start, end): base64url of 64 bytes is 86
 * characters.  Returns NULL when OpenSSL fails.
 */

u_char *
ngx_http_push_approval_audit_sign(void *pkey, u_char *start, u_char *end)
{
    size_t       siglen;
    u_char       sig[NGX_HTTP_PUSH_APPROVAL_AUDIT_SIG];
    ngx_str_t    src, dst;
    EVP_MD_CTX  *ctx;

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        return NULL;
    }

    siglen = sizeof(sig);

    if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) != 1
        || EVP_DigestSign(ctx, sig, &siglen, start, end - start) != 1
        || siglen != sizeof(sig))
    {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }

    EVP_MD_CTX_free(ctx);

    end = ngx_cpymem(end, ",\"sig\":\"", sizeof(",\"sig\":\"") - 1);

    src.data = sig;
    src.len = sizeof(sig);
    dst.data = end;
    ngx_encode_base64url(&dst, &src);

    end += dst.len;
    *end++ = '"';

    return end;
}
