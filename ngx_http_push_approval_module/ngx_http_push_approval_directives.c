
/*
 * The directives: their table, the handlers of push_approval_zone and
 * push_approval_secret_file, and the checks nginx -t runs on each value
 * as it is read.  The other handlers are in gate_conf.c, endpoint_conf.c
 * and audit_conf.c; checks across directives are made when the
 * configuration is merged (module.c).
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_directives.h"
#include "ngx_http_push_approval_audit_conf.h"
#include "ngx_http_push_approval_endpoint_conf.h"
#include "ngx_http_push_approval_gate_conf.h"
#include "ngx_http_push_approval_keys.h"
#include "ngx_http_push_approval_zone.h"


static char *ngx_http_push_approval_directives_zone(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_push_approval_secret_file(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_push_approval_webhook_refused(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_push_approval_check_ttl(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_push_approval_check_wait(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_push_approval_check_digits(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_push_approval_check_node(ngx_conf_t *cf, void *post,
    void *data);


static ngx_conf_post_handler_pt  ngx_http_push_approval_ttl_post =
    ngx_http_push_approval_check_ttl;
static ngx_conf_post_handler_pt  ngx_http_push_approval_wait_post =
    ngx_http_push_approval_check_wait;
static ngx_conf_post_handler_pt  ngx_http_push_approval_digits_post =
    ngx_http_push_approval_check_digits;
static ngx_conf_post_handler_pt  ngx_http_push_approval_node_post =
    ngx_http_push_approval_check_node;


static ngx_conf_enum_t  ngx_http_push_approval_modes[] = {
    { ngx_string("auto"), NGX_HTTP_PUSH_APPROVAL_MODE_AUTO },
    { ngx_string("hold"), NGX_HTTP_PUSH_APPROVAL_MODE_HOLD },
    { ngx_string("page"), NGX_HTTP_PUSH_APPROVAL_MODE_PAGE },
    { ngx_null_string, 0 }
};


ngx_command_t  ngx_http_push_approval_commands[] = {

    { ngx_string("push_approval_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_directives_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_secret_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_secret_file,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_journal"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_push_approval_audit_conf_journal,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_audit_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_audit_conf_audit_key,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE123,
      ngx_http_push_approval_audit_conf_redis,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_stream"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_push_approval_stream,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_webhook_secret"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_webhook_refused,
      0,
      0,
      NULL },

    { ngx_string("push_approval_webhook_inbound_secret"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_webhook_refused,
      0,
      0,
      NULL },

    { ngx_string("push_approval_node"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_push_approval_main_conf_t, node),
      &ngx_http_push_approval_node_post },

    { ngx_string("push_approval_endpoint_url"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_endpoint_url,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_server_id"),
      NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_server_id,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval"),
      NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_user"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, user),
      NULL },

    { ngx_string("push_approval_approver"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, approver),
      NULL },

    { ngx_string("push_approval_unlocks"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, unlocks),
      NULL },

    { ngx_string("push_approval_scope"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_scope,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_methods"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_push_approval_methods_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, ttl),
      &ngx_http_push_approval_ttl_post },

    { ngx_string("push_approval_wait"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, wait),
      &ngx_http_push_approval_wait_post },

    { ngx_string("push_approval_notify"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_push_approval_gate_conf_notify,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_mode"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, mode),
      &ngx_http_push_approval_modes },

    { ngx_string("push_approval_code_digits"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, code_digits),
      &ngx_http_push_approval_digits_post },

    { ngx_string("push_approval_bind"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF
                        |NGX_CONF_NOARGS|NGX_CONF_TAKE12,
      ngx_http_push_approval_bind,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_cookie"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE123,
      ngx_http_push_approval_gate_conf_cookie,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_prompt_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_push_approval_rate,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, prompt_n),
      NULL },

    { ngx_string("push_approval_lockout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_push_approval_rate,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, lockout_n),
      NULL },

    { ngx_string("push_approval_separate"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_push_approval_loc_conf_t, separate),
      NULL },

    { ngx_string("push_approval_endpoint"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_push_approval_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("push_approval_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_push_approval_metrics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static char *
ngx_http_push_approval_directives_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_push_approval_main_conf_t  *pmcf = conf;

    u_char                          *p;
    ssize_t                          size;
    ngx_str_t                       *value, name, s;
    ngx_shm_zone_t                  *shm_zone;
    ngx_http_push_approval_zone_t   *zone, **zp;

    value = cf->args->elts;

    if (ngx_strncmp(value[1].data, "zone=", 5) != 0) {
        return "takes \"zone=NAME:SIZE\"";
    }

    name.data = value[1].data + 5;
    p = (u_char *) ngx_strchr(name.data, ':');

    if (p == NULL || p == name.data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    name.len = p - name.data;

    s.data = p + 1;
    s.len = value[1].data + value[1].len - s.data;

    size = ngx_parse_size(&s);

    if (size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is too small", &value[1]);
        return NGX_CONF_ERROR;
    }

    shm_zone = ngx_shared_memory_add(cf, &name, size,
                                     &ngx_http_push_approval_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "duplicate zone \"%V\"", &name);
        return NGX_CONF_ERROR;
    }

    zone = ngx_pcalloc(cf->pool, sizeof(ngx_http_push_approval_zone_t));
    if (zone == NULL) {
        return NGX_CONF_ERROR;
    }

    zone->name = name;
    zone->shm_zone = shm_zone;

    shm_zone->init = ngx_http_push_approval_init_zone;
    shm_zone->data = zone;

    zp = ngx_array_push(&pmcf->zones);
    if (zp == NULL) {
        return NGX_CONF_ERROR;
    }

    *zp = zone;

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_secret_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_push_approval_main_conf_t  *pmcf = conf;

    ngx_str_t  *value;

    if (pmcf->keyring) {
        return "is duplicate";
    }

    value = cf->args->elts;
    pmcf->secret_file = value[1];

    if (ngx_conf_full_name(cf->cycle, &pmcf->secret_file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    pmcf->keyring = ngx_http_push_approval_load_keys(cf, &pmcf->secret_file);

    return pmcf->keyring ? NGX_CONF_OK : NGX_CONF_ERROR;
}


static char *
ngx_http_push_approval_check_ttl(ngx_conf_t *cf, void *post, void *data)
{
    time_t  *sp = data;

    if (*sp <= 0 || *sp > 24 * 60 * 60) {
        return "must be more than 0 and at most 24h";
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_check_wait(ngx_conf_t *cf, void *post, void *data)
{
    time_t  *sp = data;

    if (*sp <= 0 || *sp > 10 * 60) {
        return "must be more than 0 and at most 10m "
               "(NIST SP 800-63B-4 §3.1.3)";
    }

    return NGX_CONF_OK;
}


/* the node name goes into every event's writer and eid, unescaped */

static char *
ngx_http_push_approval_check_node(ngx_conf_t *cf, void *post, void *data)
{
    ngx_str_t  *s = data;

    size_t  i;

    if (s->len == 0 || s->len > 64) {
        return "must have 1 to 64 characters";
    }

    for (i = 0; i < s->len; i++) {
        if (!((s->data[i] >= 'a' && s->data[i] <= 'z')
              || (s->data[i] >= 'A' && s->data[i] <= 'Z')
              || (s->data[i] >= '0' && s->data[i] <= '9')
              || s->data[i] == '-' || s->data[i] == '_' || s->data[i] == '.'))
        {
            return "must be made of letters, digits, \"-\", \"_\" and \".\"";
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_push_approval_check_digits(ngx_conf_t *cf, void *post, void *data)
{
    ngx_uint_t  *np = data;

    if (*np != 0 && (*np < 6 || *np > 8)) {
        return "must be 0 (off) or 6 to 8";
    }

    return NGX_CONF_OK;
}


/*
 * Standard Webhooks (docs/directives.md, "Planned") are not built yet: a
 * configuration that counts on a signed webhook must not start without one.
 */

static char *
ngx_http_push_approval_webhook_refused(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    return "is not available in this version (Standard Webhooks are planned)";
}
