
/*
 * The handlers of the audit trail's directives: push_approval_journal,
 * push_approval_audit_key, push_approval_redis and push_approval_stream,
 * and the journal's directory added to the paths nginx creates.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_audit_conf.h"
#include "ngx_http_push_approval_redis.h"


static char *ngx_http_push_approval_audit_conf_redis_address(ngx_conf_t *cf,
    ngx_http_push_approval_redis_conf_t *rc, ngx_str_t *addr);


char *
ngx_http_push_approval_audit_conf_journal(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_push_approval_main_conf_t  *pmcf = conf;

    ngx_str_t  *value;

    if (pmcf->journal) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 3) {
        if (ngx_strcmp(value[2].data, "sync=fsync") == 0) {
            pmcf->journal_fsync = 1;

        } else if (ngx_strcmp(value[2].data, "sync=write") != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\", use "
                               "\"sync=write\" or \"sync=fsync\"",
                               &value[2]);
            return NGX_CONF_ERROR;
        }
    }

    return ngx_http_push_approval_audit_conf_journal_path(cf, pmcf, &value[1]);
}


/* read (or checked by nginx -t) once the journal is known */

char *
ngx_http_push_approval_audit_conf_audit_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_push_approval_main_conf_t  *pmcf = conf;

    ngx_str_t  *value;

    if (pmcf->audit_key.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    pmcf->audit_key = value[1];

    if (ngx_conf_full_name(cf->cycle, &pmcf->audit_key, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* ADDRESS [password=STR] [db=N]; numeric: hiredis resolves names blocking */

char *
ngx_http_push_approval_audit_conf_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_push_approval_main_conf_t  *pmcf = conf;

    ngx_int_t                             n;
    ngx_str_t                            *value;
    ngx_uint_t                            i;
    ngx_http_push_approval_redis_conf_t  *rc;

    if (pmcf->redis) {
        return "is duplicate";
    }

    rc = ngx_pcalloc(cf->pool, sizeof(ngx_http_push_approval_redis_conf_t));
    if (rc == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    if (ngx_http_push_approval_audit_conf_redis_address(cf, rc, &value[1])
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "password=", 9) == 0
            && value[i].len > 9 && rc->password.len == 0)
        {
            rc->password.data = value[i].data + 9;
            rc->password.len = value[i].len - 9;
            continue;
        }

        if (ngx_strncmp(value[i].data, "db=", 3) == 0) {
            n = ngx_atoi(value[i].data + 3, value[i].len - 3);
            if (n == NGX_ERROR || n > 1000000) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid database \"%V\"", &value[i]);
                return NGX_CONF_ERROR;
            }

            rc->db = n;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    pmcf->redis = rc;

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_audit_conf_redis_address(ngx_conf_t *cf,
    ngx_http_push_approval_redis_conf_t *rc, ngx_str_t *addr)
{
    u_char     *colon;
    ngx_int_t   port;
    ngx_str_t   host;
    u_char      buf[NGX_INET6_ADDRSTRLEN];

    rc->addr = *addr;

    if (addr->len > 5 && ngx_strncmp(addr->data, "unix:", 5) == 0) {
        rc->unix_path.data = addr->data + 5;
        rc->unix_path.len = addr->len - 5;

        if (rc->unix_path.len >= 100 || rc->unix_path.data[0] != '/') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid unix socket \"%V\"", addr);
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;     /* value[] strings are null-terminated */
    }

    colon = ngx_strlchr(addr->data, addr->data + addr->len, ']');
    colon = ngx_strlchr(colon ? colon : addr->data, addr->data + addr->len,
                        ':');

    host.data = addr->data;
    host.len = colon ? (size_t) (colon - addr->data) : 0;

    if (host.len > 2 && host.data[0] == '[' && host.data[host.len - 1] == ']')
    {
        host.data++;
        host.len -= 2;
    }

    port = colon ? ngx_atoi(colon + 1, addr->data + addr->len - colon - 1)
                 : NGX_ERROR;

    if (port < 1 || port > 65535 || host.len == 0
        || host.len >= sizeof(buf)
        || (ngx_inet_addr(host.data, host.len) == INADDR_NONE
#if (NGX_HAVE_INET6)
            && ngx_inet6_addr(host.data, host.len, buf) != NGX_OK
#endif
           ))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid address \"%V\": use a numeric "
                           "HOST:PORT ([IPv6]:PORT) or unix:/PATH, names are "
                           "not resolved", addr);
        return NGX_CONF_ERROR;
    }

    rc->host.data = ngx_pnalloc(cf->pool, host.len + 1);
    if (rc->host.data == NULL) {
        return NGX_CONF_ERROR;
    }

    rc->host.len = host.len;
    ngx_cpystrn(rc->host.data, host.data, host.len + 1);
    rc->port = port;

    return NGX_CONF_OK;
}


char *
ngx_http_push_approval_stream(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_push_approval_main_conf_t  *pmcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (pmcf->stream.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].len > 128) {
        return "needs a name of 1 to 128 characters";
    }

    pmcf->stream = value[1];

    if (cf->args->nelts == 3) {
        n = ngx_strncmp(value[2].data, "maxlen=", 7) == 0
            ? ngx_atoi(value[2].data + 7, value[2].len - 7) : NGX_ERROR;

        if (n < 1) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\", use maxlen=N",
                               &value[2]);
            return NGX_CONF_ERROR;
        }

        pmcf->stream_maxlen = n;
    }

    return NGX_CONF_OK;
}


/* created at start by the master and given to the workers' user */

char *
ngx_http_push_approval_audit_conf_journal_path(ngx_conf_t *cf,
    ngx_http_push_approval_main_conf_t *pmcf, ngx_str_t *name)
{
    u_char      *p;
    ngx_path_t  *path;

    path = ngx_pcalloc(cf->pool, sizeof(ngx_path_t));
    if (path == NULL) {
        return NGX_CONF_ERROR;
    }

    path->name = *name;

    while (path->name.len > 1
           && path->name.data[path->name.len - 1] == '/')
    {
        path->name.len--;
    }

    if (ngx_conf_full_name(cf->cycle, &path->name, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* nginx creates paths by their C string */

    name = &path->name;
    p = ngx_pnalloc(cf->pool, name->len + 1);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(p, name->data, name->len);
    p[name->len] = '\0';
    name->data = p;

    path->conf_file = cf->conf_file ? cf->conf_file->file.name.data : NULL;
    path->line = cf->conf_file ? cf->conf_file->line : 0;

    if (ngx_add_path(cf, &path) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    pmcf->journal = path;

    return NGX_CONF_OK;
}
