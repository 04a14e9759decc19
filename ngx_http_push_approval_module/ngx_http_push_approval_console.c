
/*
 * The operators' console (docs/flow.md, "The console") and the metrics
 * location (docs/directives.md, push_approval_metrics).
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_console.h"
#include "ngx_http_push_approval_answer.h"
#include "ngx_http_push_approval_challenge.h"
#include "ngx_http_push_approval_escape.h"
#include "ngx_http_push_approval_event.h"
#include "ngx_http_push_approval_grant.h"
#include "ngx_http_push_approval_headers.h"
#include "ngx_http_push_approval_journal.h"
#include "ngx_http_push_approval_notify.h"
#include "ngx_http_push_approval_output.h"
#include "ngx_http_push_approval_parse.h"
#include "ngx_http_push_approval_redis.h"
#include "ngx_http_push_approval_writers.h"
#include "ngx_http_push_approval_zone.h"


static ngx_int_t ngx_http_push_approval_console_list(ngx_http_request_t *r,
    ngx_str_t *identity);
static ngx_int_t ngx_http_push_approval_console_revoke(ngx_http_request_t *r,
    ngx_str_t *identity, ngx_str_t *id_text);
static ngx_int_t ngx_http_push_approval_same_origin(ngx_http_request_t *r);
static ngx_int_t ngx_http_push_approval_list_json(ngx_http_request_t *r,
    ngx_array_t *list, ngx_str_t *out);
static ngx_int_t ngx_http_push_approval_send_console(ngx_http_request_t *r,
    ngx_str_t *identity, ngx_array_t *list);


ngx_int_t
ngx_http_push_approval_console_handler(ngx_http_request_t *r)
{
    ngx_int_t                           rc;
    ngx_str_t                           identity, rest;
    ngx_http_push_approval_loc_conf_t  *plcf;

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    rest.data = r->uri.data + plcf->endpoint_prefix.len;
    rest.len = r->uri.len - plcf->endpoint_prefix.len;

    ngx_str_null(&identity);

    if (plcf->identity
        && ngx_http_complex_value(r, plcf->identity, &identity) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->method == NGX_HTTP_POST) {
        if (rest.len > sizeof("revoke/") - 1
            && ngx_strncmp(rest.data, "revoke/", sizeof("revoke/") - 1) == 0)
        {
            rest.data += sizeof("revoke/") - 1;
            rest.len -= sizeof("revoke/") - 1;
            return ngx_http_push_approval_console_revoke(r, &identity, &rest);
        }

        return ngx_http_push_approval_send_status(r,
                   NGX_HTTP_PUSH_APPROVAL_ST_NOT_FOUND, NULL, 0);
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    if (rest.len != 0) {
        return ngx_http_push_approval_send_status(r,
                   NGX_HTTP_PUSH_APPROVAL_ST_NOT_FOUND, NULL, 0);
    }

    if (identity.len == 0) {
        return ngx_http_push_approval_send_status(r,
                   NGX_HTTP_PUSH_APPROVAL_ST_NO_IDENTITY, NULL, 0);
    }

    return ngx_http_push_approval_console_list(r, &identity);
}


static ngx_int_t
ngx_http_push_approval_console_list(ngx_http_request_t *r,
    ngx_str_t *identity)
{
    ngx_str_t                            json, *url;
    ngx_uint_t                           i;
    ngx_array_t                          list;
    ngx_http_push_approval_zone_t      **zones;
    ngx_http_push_approval_srv_conf_t   *pscf;
    ngx_http_push_approval_main_conf_t  *pmcf;
    ngx_http_push_approval_challenge_t  *ch;

    pmcf = ngx_http_get_module_main_conf(r, ngx_http_push_approval_module);
    pscf = ngx_http_get_module_srv_conf(r, ngx_http_push_approval_module);

    if (ngx_array_init(&list, r->pool, 8,
                       sizeof(ngx_http_push_approval_challenge_t))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    zones = pmcf->zones.elts;

    for (i = 0; i < pmcf->zones.nelts; i++) {
        if (ngx_http_push_approval_challenge_pending_for(zones[i], identity,
                                                         r->pool, &list)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    ch = list.elts;

    for (i = 0; i < list.nelts; i++) {
        url = ngx_palloc(r->pool, sizeof(ngx_str_t));
        if (url == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_null(url);

        if (pscf->endpoint_url.len
            && ngx_http_push_approval_notify_approve_url(r, &pscf->endpoint_url,
                                                         &ch[i], url)
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* the console shows the link, never the code */
        ch[i].code = *url;
    }

    if (ngx_http_push_approval_accepts_html(r)) {
        return ngx_http_push_approval_send_console(r, identity, &list);
    }

    if (ngx_http_push_approval_list_json(r, &list, &json) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_push_approval_send_json(r, NGX_HTTP_OK, &json);
}


static ngx_int_t
ngx_http_push_approval_list_json(ngx_http_request_t *r, ngx_array_t *list,
    ngx_str_t *out)
{
    u_char                              *p;
    size_t                               len;
    ngx_uint_t                           i;
    ngx_http_push_approval_challenge_t  *ch;

    ch = list->elts;
    len = sizeof("[]");

    for (i = 0; i < list->nelts; i++) {
        len += sizeof("{\"id\":\"\",\"user\":\"\",\"approver\":\"\","
                      "\"unlocks\":\"\",\"server\":\"\",\"scope\":\"\","
                      "\"client\":\"\",\"agent\":\"\",\"expires\":,"
                      "\"approve_url\":\"\"},") + NGX_TIME_T_LEN
               + ngx_http_push_approval_json_len(&ch[i].id_text)
               + ngx_http_push_approval_json_len(&ch[i].user)
               + ngx_http_push_approval_json_len(&ch[i].approver)
               + ngx_http_push_approval_json_len(&ch[i].unlocks)
               + ngx_http_push_approval_json_len(&ch[i].server)
               + ngx_http_push_approval_json_len(&ch[i].scope)
               + ngx_http_push_approval_json_len(&ch[i].client)
               + ngx_http_push_approval_json_len(&ch[i].agent)
               + ngx_http_push_approval_json_len(&ch[i].code);
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;
    *p++ = '[';

    for (i = 0; i < list->nelts; i++) {
        if (i) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, "{\"id\":\"", 7);
        p = ngx_http_push_approval_json_escape(p, &ch[i].id_text);
        p = ngx_cpymem(p, "\",\"user\":\"", 10);
        p = ngx_http_push_approval_json_escape(p, &ch[i].user);
        p = ngx_cpymem(p, "\",\"approver\":\"", 14);
        p = ngx_http_push_approval_json_escape(p, &ch[i].approver);
        p = ngx_cpymem(p, "\",\"unlocks\":\"", 13);
        p = ngx_http_push_approval_json_escape(p, &ch[i].unlocks);
        p = ngx_cpymem(p, "\",\"server\":\"", 12);
        p = ngx_http_push_approval_json_escape(p, &ch[i].server);
        p = ngx_cpymem(p, "\",\"scope\":\"", 11);
        p = ngx_http_push_approval_json_escape(p, &ch[i].scope);
        p = ngx_cpymem(p, "\",\"client\":\"", 12);
        p = ngx_http_push_approval_json_escape(p, &ch[i].client);
        p = ngx_cpymem(p, "\",\"agent\":\"", 11);
        p = ngx_http_push_approval_json_escape(p, &ch[i].agent);
        p = ngx_sprintf(p, "\",\"expires\":%T,\"approve_url\":\"",
                        ch[i].expires);
        p = ngx_http_push_approval_json_escape(p, &ch[i].code);
        p = ngx_cpymem(p, "\"}", 2);
    }

    *p++ = ']';
    out->len = p - out->data;

    return NGX_OK;
}


#define ngx_http_push_approval_html_field(p, label, s)                        \
    p = ngx_cpymem(p, "<dt>" label "</dt><dd>",                             \
                   sizeof("<dt>" label "</dt><dd>") - 1);                     \
    p = ngx_http_push_approval_html_escape(p, s);                             \
    p = ngx_cpymem(p, "</dd>", 5)


static ngx_int_t
ngx_http_push_approval_send_console(ngx_http_request_t *r,
    ngx_str_t *identity, ngx_array_t *list)
{
    u_char                              *p;
    size_t                               len;
    ngx_str_t                            html, title;
    ngx_uint_t                           i;
    ngx_http_push_approval_challenge_t  *ch;

    ch = list->elts;
    len = sizeof("<h1>Pending approvals for </h1><p id=\"pa-empty\">"
                 "Nothing is waiting for you.</p><ul id=\"pa-pending\"></ul>")
          + ngx_http_push_approval_html_len(identity);

    for (i = 0; i < list->nelts; i++) {
        len += 512 + ngx_http_push_approval_html_len(&ch[i].user)
               + ngx_http_push_approval_html_len(&ch[i].unlocks)
               + ngx_http_push_approval_html_len(&ch[i].server)
               + ngx_http_push_approval_html_len(&ch[i].scope)
               + ngx_http_push_approval_html_len(&ch[i].client)
               + ngx_http_push_approval_html_len(&ch[i].agent)
               + ngx_http_push_approval_html_len(&ch[i].code)
               + ngx_http_push_approval_html_len(&ch[i].id_text);
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    html.data = p;
    p = ngx_cpymem(p, "<h1>Pending approvals for ",
                   sizeof("<h1>Pending approvals for ") - 1);
    p = ngx_http_push_approval_html_escape(p, identity);
    p = ngx_cpymem(p, "</h1>", 5);

    if (list->nelts == 0) {
        p = ngx_cpymem(p, "<p id=\"pa-empty\">Nothing is waiting for you.</p>",
                       sizeof("<p id=\"pa-empty\">Nothing is waiting for "
                              "you.</p>") - 1);
    }

    p = ngx_cpymem(p, "<ul id=\"pa-pending\">",
                   sizeof("<ul id=\"pa-pending\">") - 1);

    for (i = 0; i < list->nelts; i++) {
        p = ngx_cpymem(p, "<li class=\"pa-item\" data-id=\"",
                       sizeof("<li class=\"pa-item\" data-id=\"") - 1);
        p = ngx_http_push_approval_html_escape(p, &ch[i].id_text);
        p = ngx_cpymem(p, "\"><dl>", 6);
        ngx_http_push_approval_html_field(p, "Who", &ch[i].user);
        ngx_http_push_approval_html_field(p, "Unlocks", &ch[i].unlocks);
        ngx_http_push_approval_html_field(p, "Server", &ch[i].server);
        ngx_http_push_approval_html_field(p, "Scope", &ch[i].scope);
        ngx_http_push_approval_html_field(p, "From", &ch[i].client);
        ngx_http_push_approval_html_field(p, "Agent", &ch[i].agent);
        p = ngx_sprintf(p, "<dt>Time left</dt><dd>%T s</dd></dl>",
                        ch[i].expires - ngx_time());

        if (ch[i].code.len) {
            p = ngx_cpymem(p, "<a class=\"btn primary\" href=\"",
                           sizeof("<a class=\"btn primary\" href=\"") - 1);
            p = ngx_http_push_approval_html_escape(p, &ch[i].code);
            p = ngx_cpymem(p, "\">Review and decide</a>",
                           sizeof("\">Review and decide</a>") - 1);
        }

        p = ngx_cpymem(p, "</li>", 5);
    }

    p = ngx_cpymem(p, "</ul>", 5);
    html.len = p - html.data;

    ngx_str_set(&title, "Pending approvals");

    return ngx_http_push_approval_send_page(r, NGX_HTTP_OK, &title, &html);
}


static ngx_int_t
ngx_http_push_approval_console_revoke(ngx_http_request_t *r,
    ngx_str_t *identity, ngx_str_t *id_text)
{
    u_char                               id[NGX_HTTP_PUSH_APPROVAL_ID_BYTES];
    u_char                              *p;
    ngx_str_t                            json;
    ngx_uint_t                           i, found, mark;
    ngx_http_push_approval_ctx_t        *ctx;
    ngx_http_push_approval_event_t       e;
    ngx_http_push_approval_zone_t      **zones;
    ngx_http_push_approval_main_conf_t  *pmcf;

    if (ngx_http_push_approval_same_origin(r) != NGX_OK) {
        ngx_http_push_approval_rejected(r, "cross_site");

        return ngx_http_push_approval_send_status(r,
                   NGX_HTTP_PUSH_APPROVAL_ST_CROSS_SITE, NULL, 0);
    }

    if (identity->len == 0) {
        return ngx_http_push_approval_send_status(r,
                   NGX_HTTP_PUSH_APPROVAL_ST_NO_IDENTITY, NULL, 0);
    }

    if (ngx_http_push_approval_parse_id(id_text, id) != NGX_OK) {
        return ngx_http_push_approval_send_status(r,
                   NGX_HTTP_PUSH_APPROVAL_ST_NOT_FOUND, NULL, 0);
    }

    pmcf = ngx_http_get_module_main_conf(r, ngx_http_push_approval_module);
    zones = pmcf->zones.elts;
    found = 0;

    for (i = 0; i < pmcf->zones.nelts; i++) {
        if (ngx_http_push_approval_grant_revoke(zones[i], id) == NGX_OK) {
            found = 1;
        }
    }

    if (!found) {
        return ngx_http_push_approval_send_status(r,
                   NGX_HTTP_PUSH_APPROVAL_ST_NOT_FOUND, NULL, 0);
    }

    ngx_memzero(&e, sizeof(ngx_http_push_approval_event_t));
    ngx_http_push_approval_event_request(&e, r);
    e.id = *id_text;
    ngx_http_push_approval_clean_text(identity,
                                      NGX_HTTP_PUSH_APPROVAL_USER_MAX,
                                      &e.approver, r->pool);

    /*
     * Revocations are read back from the journal at start: one that is
     * not written yet is not confirmed.  It stays revoked in the zone
     * meanwhile, and its event queued until the journal can be written.
     */

    mark = ngx_http_push_approval_journal_mark();
    ngx_http_push_approval_event("revoked", &e);

    if (ngx_http_push_approval_journal_confirm(mark) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "push_approval: the revocation of %V is not in the "
                      "journal yet, answered 503", id_text);

        return ngx_http_push_approval_send_status(r,
                   NGX_HTTP_PUSH_APPROVAL_ST_UNAVAILABLE, NULL, 0);
    }

    ctx = ngx_http_push_approval_create_ctx(r, 1);
    if (ctx) {
        ctx->status = NGX_HTTP_PUSH_APPROVAL_ST_REVOKED;
    }

    json.data = ngx_pnalloc(r->pool, sizeof("{\"id\":\"\",\"status\":"
                                            "\"revoked\"}")
                                     + NGX_HTTP_PUSH_APPROVAL_ID_LEN);
    if (json.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(json.data, "{\"id\":\"%V\",\"status\":\"revoked\"}",
                    id_text);
    json.len = p - json.data;

    return ngx_http_push_approval_send_json(r, NGX_HTTP_OK, &json);
}


/* Sec-Fetch-Site: same-origin, or an Origin naming this very host */

static ngx_int_t
ngx_http_push_approval_same_origin(ngx_http_request_t *r)
{
    u_char           *host;
    size_t            skip;
    ngx_str_t        *host_hdr;
    ngx_table_elt_t  *h;

    h = ngx_http_push_approval_find_header(r, "Sec-Fetch-Site",
                                           sizeof("Sec-Fetch-Site") - 1);
    if (h) {
        return (h->value.len == 11
                && ngx_strncasecmp(h->value.data, (u_char *) "same-origin",
                                   11) == 0)
               ? NGX_OK : NGX_DECLINED;
    }

    h = ngx_http_push_approval_find_header(r, "Origin", sizeof("Origin") - 1);
    if (h == NULL || r->headers_in.host == NULL
        || r->headers_in.server.len == 0)
    {
        return NGX_DECLINED;
    }

    /* "host[:port]" as the client sent it, already validated by nginx */
    host_hdr = &r->headers_in.host->value;

#if (NGX_HTTP_SSL)
    skip = r->connection->ssl ? sizeof("https://") - 1 : sizeof("http://") - 1;
    host = (u_char *) (r->connection->ssl ? "https://" : "http://");
#else
    skip = sizeof("http://") - 1;
    host = (u_char *) "http://";
#endif

    if (h->value.len != skip + host_hdr->len
        || ngx_strncasecmp(h->value.data, host, skip) != 0
        || ngx_strncasecmp(h->value.data + skip, host_hdr->data,
                           host_hdr->len) != 0)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* Prometheus text exposition */

ngx_int_t
ngx_http_push_approval_metrics_handler(ngx_http_request_t *r)
{
    u_char                                 *p, *last;
    size_t                                  bytes;
    ngx_int_t                               rc;
    ngx_str_t                               body, type;
    ngx_uint_t                              i, j, pending;
    ngx_http_push_approval_zone_t         **zones;
    ngx_http_push_approval_main_conf_t     *pmcf;
    ngx_http_push_approval_writers_stats_t  st;

    static const char  *results[] = {
        NULL, NULL, "approved", "denied", "reported", "code_mismatch",
        "timeout", "push_failed"
    };

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    pmcf = ngx_http_get_module_main_conf(r, ngx_http_push_approval_module);
    zones = pmcf->zones.elts;

    body.data = ngx_pnalloc(r->pool, 4096 + pmcf->zones.nelts * 4096);
    if (body.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = body.data;
    last = body.data + 4096 + pmcf->zones.nelts * 4096;

    p = ngx_slprintf(p, last, "# TYPE push_approval_pending gauge\n");

    for (i = 0; i < pmcf->zones.nelts; i++) {
        ngx_http_push_approval_zone_stats(zones[i], &pending, &bytes);
        p = ngx_slprintf(p, last, "push_approval_pending{zone=\"%V\"} %ui\n",
                         &zones[i]->name, pending);
    }

    p = ngx_slprintf(p, last, "# TYPE push_approval_zone_bytes_used gauge\n");

    for (i = 0; i < pmcf->zones.nelts; i++) {
        ngx_http_push_approval_zone_stats(zones[i], &pending, &bytes);
        p = ngx_slprintf(p, last,
                         "push_approval_zone_bytes_used{zone=\"%V\"} %uz\n",
                         &zones[i]->name, bytes);
    }

    p = ngx_slprintf(p, last,
                     "# TYPE push_approval_challenges_total counter\n");

    for (i = 0; i < pmcf->zones.nelts; i++) {
        p = ngx_slprintf(p, last,
                 "push_approval_challenges_total{zone=\"%V\","
                 "result=\"created\"} %uA\n",
                 &zones[i]->name, zones[i]->sh->created);

        for (j = 2; j < sizeof(results) / sizeof(results[0]); j++) {
            p = ngx_slprintf(p, last,
                     "push_approval_challenges_total{zone=\"%V\","
                     "result=\"%s\"} %uA\n",
                     &zones[i]->name, results[j],
                     zones[i]->sh->challenges_total[j]);
        }
    }

    p = ngx_slprintf(p, last,
                     "# TYPE push_approval_cookie_checks_total counter\n");

    for (i = 0; i < pmcf->zones.nelts; i++) {
        p = ngx_slprintf(p, last,
                 "push_approval_cookie_checks_total{zone=\"%V\","
                 "result=\"valid\"} %uA\n",
                 &zones[i]->name, zones[i]->sh->cookie_checks[0]);

        for (j = 1; j <= NGX_HTTP_PUSH_APPROVAL_RS_SIGNATURE; j++) {
            p = ngx_slprintf(p, last,
                     "push_approval_cookie_checks_total{zone=\"%V\","
                     "result=\"%V\"} %uA\n",
                     &zones[i]->name, ngx_http_push_approval_reason_name(j),
                     zones[i]->sh->cookie_checks[j]);
        }
    }

    ngx_http_push_approval_writers_stats(&st);

    /* the backlog and the state of Redis as this worker sees them */

    p = ngx_slprintf(p, last,
             "# TYPE push_approval_events_total counter\n"
             "push_approval_events_total{sink=\"journal\"} %uA\n"
             "push_approval_events_total{sink=\"redis\"} %ui\n"
             "# TYPE push_approval_journal_backlog_bytes gauge\n"
             "push_approval_journal_backlog_bytes %O\n"
             "# TYPE push_approval_journal_pending_bytes gauge\n"
             "push_approval_journal_pending_bytes %O\n"
             "# TYPE push_approval_journal_errors_total counter\n"
             "push_approval_journal_errors_total %ui\n"
             "# TYPE push_approval_journal_lost_events_total counter\n"
             "push_approval_journal_lost_events_total %ui\n"
             "# TYPE push_approval_redis_up gauge\n"
             "push_approval_redis_up %ui\n",
             pmcf->zones.nelts
             ? (ngx_atomic_uint_t) zones[0]->sh->journal_events : 0,
             st.shipped, pmcf->redis ? st.backlog : 0, st.pending, st.errors,
             st.lost,
             ngx_http_push_approval_redis_is_up());

    body.len = p - body.data;
    ngx_str_set(&type, "text/plain; version=0.0.4; charset=utf-8");

    return ngx_http_push_approval_send_buf(r, NGX_HTTP_OK, &type, &body, NULL);
}
