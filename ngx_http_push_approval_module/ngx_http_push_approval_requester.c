
/*
 * ngx_http_push_approval_module: what the gate answers a requester who has
 * no approval yet: the interstitial page that waits for the decision and
 * the two-step 401 (docs/flow.md, "The requester's three answers"), and
 * the page for a cross-site navigation (docs/identity.md, "Cross-site
 * requests need https").
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_requester.h"
#include "ngx_http_push_approval_answer.h"
#include "ngx_http_push_approval_challenge.h"
#include "ngx_http_push_approval_escape.h"
#include "ngx_http_push_approval_headers.h"
#include "ngx_http_push_approval_output.h"


static ngx_int_t ngx_http_push_approval_authenticate(ngx_http_request_t *r,
    ngx_http_push_approval_challenge_t *ch);
static void ngx_http_push_approval_request_uri(ngx_http_request_t *r,
    ngx_http_push_approval_out_t *o);


/*
 * The interstitial: counts down, and waits on the wait endpoint (which
 * holds the request until a decision): 200 reloads the page, which now
 * carries the cookie; any other status ends the wait with the problem's
 * title and reason; a network error retries after a second while time is
 * left.  It reads everything it needs from the page, so it holds no data.
 */

static const char  ngx_http_push_approval_wait_script[] =
    "(function(){"
    "var b=document.getElementById('pa-box'),u=b.getAttribute('data-wait'),"
    "c=document.getElementById('pa-countdown'),"
    "s=document.getElementById('pa-status'),"
    "end=Date.now()+1000*parseInt(c.textContent,10),stop=false,"
    "t=setInterval(tick,1000);"
    "function left(){return Math.max(0,Math.ceil((end-Date.now())/1000));}"
    "function tick(){c.textContent=String(left());"
    "if(!left()){clearInterval(t);}}"
    "function show(m,k){stop=true;clearInterval(t);s.textContent=m;"
    "s.className='status '+k;if(k==='bad'){"
    "var e=document.getElementById('pa-code');if(e){e.hidden=true;}"
    "c.textContent='0';}}"
    "function poll(){"
    "fetch(u,{credentials:'same-origin',cache:'no-store',"
    "headers:{'Accept':'application/json'}}).then(function(r){"
    "if(r.status===200){show('Approved. Loading\\u2026','ok');"
    "location.reload();return;}"
    "return r.json().then(function(j){"
    "show((j.title||('Error '+r.status))+(j.reason?' ('+j.reason+')':''),"
    "'bad');},function(){show('Error '+r.status,'bad');});"
    "},function(){if(!stop&&left()>0){setTimeout(poll,1000);}"
    "else{show('Timed out (timeout)','bad');}});}"
    "poll();"
    "})();";


/*
 * The page answer: 202, Push-Approval-Id, the code (or a line saying that the
 * approver decides on context), what is unlocked, a countdown, and a
 * script that waits on wait_url; a meta refresh to wait_url without
 * JavaScript.
 */

ngx_int_t
ngx_http_push_approval_send_interstitial(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf,
    ngx_http_push_approval_challenge_t *ch, ngx_str_t *wait_url)
{
    u_char                        *p;
    time_t                         left;
    ngx_str_t                      title, head;
    ngx_http_push_approval_out_t   o;

    if (ngx_http_push_approval_add_header(r, "Push-Approval-Id", &ch->id_text)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    head.len = sizeof("<noscript><meta http-equiv=\"refresh\" "
                      "content=\"1;url=\"></noscript>\n") - 1
               + ngx_http_push_approval_html_len(wait_url);
    head.data = ngx_pnalloc(r->pool, head.len);
    if (head.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(head.data, "<noscript><meta http-equiv=\"refresh\" "
                   "content=\"1;url=", sizeof("<noscript><meta http-equiv="
                   "\"refresh\" content=\"1;url=") - 1);
    p = ngx_http_push_approval_html_escape(p, wait_url);
    ngx_memcpy(p, "\"></noscript>\n", sizeof("\"></noscript>\n") - 1);

    ngx_str_set(&title, "Waiting for approval");

    if (ngx_http_push_approval_page_begin(r, &o, &title, &head) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_push_approval_out_lit(&o, "<div id=\"pa-box\" data-wait=\"");
    ngx_http_push_approval_out_html(&o, wait_url);
    ngx_http_push_approval_out_lit(&o, "\">\n<h1>Waiting for approval</h1>\n"
                                       "<p>An approval request was sent to "
                                       "<strong>");
    ngx_http_push_approval_out_html(&o, &ch->approver);
    ngx_http_push_approval_out_lit(&o, "</strong>.</p>\n");

    if (ch->code_required && ch->code.len) {
        ngx_http_push_approval_out_lit(&o, "<p>On the approving device, "
                                           "enter this code:</p>\n"
                                           "<p class=\"code\" id=\"pa-code\">");
        ngx_http_push_approval_out_html(&o, &ch->code);
        ngx_http_push_approval_out_lit(&o, "</p>\n");

    } else {
        ngx_http_push_approval_out_lit(&o, "<p id=\"pa-context\">No code "
                                           "is needed: the approver decides "
                                           "on what the request shows (who, "
                                           "from where, what). Make sure "
                                           "they expect it.</p>\n");
    }

    left = ch->expires - ngx_time();

    ngx_http_push_approval_out_lit(&o, "<dl>\n");
    ngx_http_push_approval_field(&o, "Unlocks", "pa-unlocks", &ch->unlocks);
    ngx_http_push_approval_field(&o, "User", "pa-user", &ch->user);
    ngx_http_push_approval_field(&o, "Approver", "pa-approver",
                                 &ch->approver);
    ngx_http_push_approval_out_printf(&o, "<dt>Time left</dt><dd><span "
                                      "id=\"pa-countdown\">%T</span> s</dd>\n"
                                      "</dl>\n", left > 0 ? left : 0);

    ngx_http_push_approval_out_lit(&o, "<p id=\"pa-status\" class=\"status\" "
                                       "role=\"status\" aria-live=\"polite\">"
                                       "Waiting for the decision&hellip;"
                                       "</p>\n<noscript><p><a class=\"btn\" "
                                       "href=\"");
    ngx_http_push_approval_out_html(&o, wait_url);
    ngx_http_push_approval_out_lit(&o, "\">Continue</a></p></noscript>\n"
                                       "</div>\n");

    return ngx_http_push_approval_page_end(r, &o, NGX_HTTP_ACCEPTED,
                                           ngx_http_push_approval_wait_script);
}


/*
 * The two-step answer: 401 with WWW-Authenticate and the problem+json that
 * tells the client the code to show, where to wait and its pending
 * secret.  The caller has set the pending cookie.
 */

ngx_int_t
ngx_http_push_approval_send_two_step(ngx_http_request_t *r,
    ngx_http_push_approval_loc_conf_t *plcf,
    ngx_http_push_approval_challenge_t *ch, ngx_str_t *wait_path,
    ngx_str_t *pending)
{
    ngx_http_push_approval_out_t  o;

    if (ngx_http_push_approval_authenticate(r, ch) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_push_approval_out_init(&o, r->pool);
    ngx_http_push_approval_problem(&o, NGX_HTTP_UNAUTHORIZED,
                                   NGX_HTTP_PUSH_APPROVAL_ST_PENDING,
                                   &ch->id_text);

    ngx_http_push_approval_out_lit(&o, ",\"code\":\"");
    ngx_http_push_approval_out_json(&o, &ch->code);
    ngx_http_push_approval_out_lit(&o, "\",\"wait\":\"");
    ngx_http_push_approval_out_json(&o, wait_path);
    ngx_http_push_approval_out_lit(&o, "\",\"pending\":\"");
    ngx_http_push_approval_out_json(&o, pending);
    ngx_http_push_approval_out_printf(&o, "\",\"expires\":%T}\n",
                                      ch->expires);

    return ngx_http_push_approval_send_out(r, &o, NGX_HTTP_UNAUTHORIZED,
                                           "application/problem+json");
}


/*
 * WWW-Authenticate: PushApproval realm="SERVER", approval_id="ID", the
 * server name as a quoted-string: " and \ escaped, controls dropped.
 */

static ngx_int_t
ngx_http_push_approval_authenticate(ngx_http_request_t *r,
    ngx_http_push_approval_challenge_t *ch)
{
    u_char     *p, *s, *last;
    ngx_str_t   value;

    value.data = ngx_pnalloc(r->pool, sizeof("PushApproval realm=\"\", "
                                             "approval_id=\"\"") - 1
                                      + 2 * ch->server.len
                                      + ch->id_text.len);
    if (value.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(value.data, "PushApproval realm=\"",
                   sizeof("PushApproval realm=\"") - 1);

    s = ch->server.data;
    last = s + ch->server.len;

    for ( /* void */ ; s < last; s++) {

        if (*s < 0x20 || *s == 0x7f) {
            continue;
        }

        if (*s == '"' || *s == '\\') {
            *p++ = '\\';
        }

        *p++ = *s;
    }

    p = ngx_cpymem(p, "\", approval_id=\"", sizeof("\", approval_id=\"") - 1);
    p = ngx_cpymem(p, ch->id_text.data, ch->id_text.len);
    *p++ = '"';

    value.len = p - value.data;

    return ngx_http_push_approval_add_header(r, "WWW-Authenticate", &value);
}


/*
 * A cross-site request: 403 cross_site.  A GET or HEAD navigation gets a
 * page whose "Request access" button repeats the request from this origin.
 */

ngx_int_t
ngx_http_push_approval_send_cross_site(ngx_http_request_t *r)
{
    ngx_table_elt_t                   *h;
    ngx_http_push_approval_out_t       o;
    ngx_http_push_approval_outcome_t  *oc;

    h = ngx_http_push_approval_find_header(r, "Sec-Fetch-Mode",
                                           sizeof("Sec-Fetch-Mode") - 1);

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))
        || h == NULL
        || h->value.len != sizeof("navigate") - 1
        || ngx_strncasecmp(h->value.data, (u_char *) "navigate",
                           sizeof("navigate") - 1) != 0)
    {
        return ngx_http_push_approval_send_status(r,
                                        NGX_HTTP_PUSH_APPROVAL_ST_CROSS_SITE,
                                        NULL, 0);
    }

    oc = ngx_http_push_approval_outcome(NGX_HTTP_PUSH_APPROVAL_ST_CROSS_SITE);

    if (ngx_http_push_approval_page_begin(r, &o, &oc->title, NULL)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_push_approval_out_lit(&o, "<h1>Request from another site</h1>\n"
        "<p>You followed a link from another website to a place that "
        "needs a person's approval. Approval requests are only made for "
        "requests from this site, so that another site cannot make you "
        "ask for, or approve, something you did not mean to.</p>\n"
        "<p>If you meant to come here, ask from this site:</p>\n"
        "<a class=\"btn primary\" id=\"pa-request\" href=\"");
    ngx_http_push_approval_request_uri(r, &o);
    ngx_http_push_approval_out_lit(&o, "\">Request access</a>\n"
        "<p class=\"muted\">Reason: <code id=\"pa-status\">cross_site"
        "</code></p>\n");

    return ngx_http_push_approval_page_end(r, &o, NGX_HTTP_FORBIDDEN, NULL);
}


/*
 * The request's own path and query, for an href: "/" unless it is a
 * path on this origin (starts with "/", not with "//" or "/\", which
 * browsers read as another host); bytes that are not printable ASCII,
 * and "\", are percent-encoded, then the whole is HTML-escaped.
 */

static void
ngx_http_push_approval_request_uri(ngx_http_request_t *r,
    ngx_http_push_approval_out_t *o)
{
    u_char     *p, *d, *s, *last;
    ngx_str_t   uri;

    static u_char  hex[] = "0123456789ABCDEF";

    uri = r->unparsed_uri;

    if (uri.len == 0 || uri.data[0] != '/'
        || (uri.len > 1 && (uri.data[1] == '/' || uri.data[1] == '\\')))
    {
        ngx_http_push_approval_out_lit(o, "/");
        return;
    }

    p = ngx_pnalloc(o->pool, 3 * uri.len);
    if (p == NULL) {
        o->failed = 1;
        return;
    }

    d = p;
    last = uri.data + uri.len;

    for (s = uri.data; s < last; s++) {

        if (*s <= 0x20 || *s >= 0x7f || *s == '\\') {
            *d++ = '%';
            *d++ = hex[*s >> 4];
            *d++ = hex[*s & 0xf];
            continue;
        }

        *d++ = *s;
    }

    uri.data = p;
    uri.len = d - p;

    ngx_http_push_approval_out_html(o, &uri);
}
