
/*
 * ngx_http_push_approval_module: answers, as pages for browsers and as
 * application/problem+json (RFC 9457) for everything else.
 *
 * Every send function returns what a content handler returns: the value
 * to pass to ngx_http_finalize_request().  From the precontent phase the
 * caller does ngx_http_finalize_request(r, rc) itself and returns
 * NGX_DONE, as the generic phase checker would otherwise move on to the
 * next handler on NGX_OK.
 *
 * Every value that came from a client (and every challenge field is one)
 * goes through ngx_http_push_approval_html_escape() or
 * ngx_http_push_approval_json_escape() on its way out.  Pages are small
 * self-contained documents: one inline stylesheet and, where needed, one
 * inline script, both allowed by a fresh CSP nonce; no external assets.
 */


#include "ngx_http_push_approval_module.h"


#define NGX_HTTP_PUSH_APPROVAL_NONCE_BYTES  16
#define NGX_HTTP_PUSH_APPROVAL_PRINTF_MAX   256
#define NGX_HTTP_PUSH_APPROVAL_HTTP_GONE    410     /* nginx has no macro */


/* one value of $push_approval_status and how it is shown */
typedef struct {
    ngx_str_t                     reason;
    ngx_str_t                     title;
    ngx_str_t                     text;
    ngx_uint_t                    http_status;
} ngx_http_push_approval_outcome_t;


/* a growing buffer in the request pool, for a page or a JSON body */
typedef struct {
    u_char                       *start;
    u_char                       *pos;
    u_char                       *end;
    ngx_pool_t                   *pool;
    ngx_str_t                     nonce;        /* pages only */
    ngx_uint_t                    failed;       /* out of memory */
} ngx_http_push_approval_out_t;


static ngx_http_push_approval_outcome_t *ngx_http_push_approval_outcome(
    ngx_uint_t status);
static ngx_int_t ngx_http_push_approval_status_page(ngx_http_request_t *r,
    ngx_uint_t http_status, ngx_uint_t status, ngx_str_t *approval_id);
static ngx_int_t ngx_http_push_approval_send_problem(ngx_http_request_t *r,
    ngx_uint_t http_status, ngx_uint_t status, ngx_str_t *approval_id);
static void ngx_http_push_approval_problem(ngx_http_push_approval_out_t *o,
    ngx_uint_t http_status, ngx_uint_t status, ngx_str_t *approval_id);
static ngx_int_t ngx_http_push_approval_retry_after(ngx_http_request_t *r,
    time_t retry_after);
static ngx_int_t ngx_http_push_approval_authenticate(ngx_http_request_t *r,
    ngx_http_push_approval_challenge_t *ch);
static void ngx_http_push_approval_request_uri(ngx_http_request_t *r,
    ngx_http_push_approval_out_t *o);
static void ngx_http_push_approval_challenge_list(
    ngx_http_push_approval_out_t *o, ngx_http_push_approval_challenge_t *ch);
static void ngx_http_push_approval_approve_form(
    ngx_http_push_approval_out_t *o, ngx_http_push_approval_challenge_t *ch,
    ngx_str_t *action_url);
static void ngx_http_push_approval_result_text(ngx_uint_t status,
    ngx_str_t *title, ngx_str_t *text);
static ngx_str_t *ngx_http_push_approval_state_name(
    ngx_http_push_approval_challenge_t *ch);
static void ngx_http_push_approval_field(ngx_http_push_approval_out_t *o,
    const char *label, const char *id, ngx_str_t *value);
static ngx_int_t ngx_http_push_approval_page_begin(ngx_http_request_t *r,
    ngx_http_push_approval_out_t *o, ngx_str_t *title, ngx_str_t *head);
static ngx_int_t ngx_http_push_approval_page_end(ngx_http_request_t *r,
    ngx_http_push_approval_out_t *o, ngx_uint_t http_status,
    const char *script);
static ngx_int_t ngx_http_push_approval_security_headers(
    ngx_http_request_t *r, ngx_str_t *nonce);
static ngx_int_t ngx_http_push_approval_send_out(ngx_http_request_t *r,
    ngx_http_push_approval_out_t *o, ngx_uint_t http_status,
    const char *type);

static void ngx_http_push_approval_out_init(ngx_http_push_approval_out_t *o,
    ngx_pool_t *pool);
static u_char *ngx_http_push_approval_out_reserve(
    ngx_http_push_approval_out_t *o, size_t n);
static void ngx_http_push_approval_out_raw(ngx_http_push_approval_out_t *o,
    u_char *data, size_t len);
static void ngx_http_push_approval_out_html(ngx_http_push_approval_out_t *o,
    ngx_str_t *s);
static void ngx_http_push_approval_out_json(ngx_http_push_approval_out_t *o,
    ngx_str_t *s);
static void ngx_http_push_approval_out_printf(
    ngx_http_push_approval_out_t *o, const char *fmt, ...);


#define ngx_http_push_approval_out_lit(o, s)                                 \
    ngx_http_push_approval_out_raw(o, (u_char *) s, sizeof(s) - 1)

#define ngx_http_push_approval_out_str(o, s)                                 \
    ngx_http_push_approval_out_raw(o, (s)->data, (s)->len)


/* indexed by ngx_http_push_approval_status_e: keep the order */

static ngx_http_push_approval_outcome_t  ngx_http_push_approval_outcomes[] = {

    { ngx_string(""), ngx_string("Error"),
      ngx_string("Something went wrong. Try again later."),
      NGX_HTTP_INTERNAL_SERVER_ERROR },

    { ngx_string("granted"), ngx_string("Access granted"),
      ngx_string("An approval is in place for this request."),
      NGX_HTTP_OK },

    { ngx_string("approval_pending"), ngx_string("Approval pending"),
      ngx_string("This request waits for a person to approve it."),
      NGX_HTTP_UNAUTHORIZED },

    { ngx_string("approved"), ngx_string("Approved"),
      ngx_string("The request was approved."),
      NGX_HTTP_OK },

    { ngx_string("denied"), ngx_string("Access denied"),
      ngx_string("The approver denied this request."),
      NGX_HTTP_FORBIDDEN },

    { ngx_string("reported"), ngx_string("Request reported"),
      ngx_string("The approver said they did not ask for this, "
                 "and the request was reported."),
      NGX_HTTP_FORBIDDEN },

    { ngx_string("timeout"), ngx_string("Approval timed out"),
      ngx_string("Nobody approved the request in time. "
                 "Reload the page to ask again."),
      NGX_HTTP_FORBIDDEN },

    { ngx_string("code_mismatch"), ngx_string("Wrong code"),
      ngx_string("The code entered on the approving device did not "
                 "match the code shown to the requester."),
      NGX_HTTP_FORBIDDEN },

    { ngx_string("limited"), ngx_string("Too many approval requests"),
      ngx_string("Too many approval requests were made in a short "
                 "time. Wait a little before asking again."),
      NGX_HTTP_TOO_MANY_REQUESTS },

    { ngx_string("locked"), ngx_string("Approval requests locked"),
      ngx_string("Recent requests were denied or reported, so new "
                 "approval requests are stopped for a while."),
      NGX_HTTP_TOO_MANY_REQUESTS },

    { ngx_string("cross_site"), ngx_string("Request from another site"),
      ngx_string("This request came from another website. Approval "
                 "requests are only made for requests from this site."),
      NGX_HTTP_FORBIDDEN },

    { ngx_string("no_identity"), ngx_string("Not signed in"),
      ngx_string("This place needs to know who you are, and no signed-in "
                 "user was given."),
      NGX_HTTP_FORBIDDEN },

    { ngx_string("push_failed"), ngx_string("Approval request not sent"),
      ngx_string("The approval request could not be delivered to the "
                 "approver. Try again later."),
      NGX_HTTP_SERVICE_UNAVAILABLE },

    { ngx_string("unavailable"), ngx_string("Service unavailable"),
      ngx_string("Approvals are not available right now. "
                 "Try again later."),
      NGX_HTTP_SERVICE_UNAVAILABLE },

    { ngx_string("gone"), ngx_string("No longer open"),
      ngx_string("This approval request was already decided or has "
                 "expired."),
      NGX_HTTP_PUSH_APPROVAL_HTTP_GONE },

    { ngx_string("not_found"), ngx_string("Not found"),
      ngx_string("There is no such approval request."),
      NGX_HTTP_NOT_FOUND },

    { ngx_string("self_approval"), ngx_string("Someone else must approve"),
      ngx_string("A request cannot be approved by the person who made "
                 "it here."),
      NGX_HTTP_FORBIDDEN },

    { ngx_string("approver_identity_required"),
      ngx_string("Approver sign-in required"),
      ngx_string("A decision here needs a signed-in approver."),
      NGX_HTTP_FORBIDDEN },

    { ngx_string("bad_request"), ngx_string("Bad request"),
      ngx_string("The request could not be understood."),
      NGX_HTTP_BAD_REQUEST },

    { ngx_string("revoked"), ngx_string("Approval revoked"),
      ngx_string("The approval was revoked; its cookies stop working at "
                 "their next request."),
      NGX_HTTP_OK }
};


static ngx_str_t  ngx_http_push_approval_type_html =
    ngx_string("text/html");


static const char  ngx_http_push_approval_style[] =
    ":root{color-scheme:light dark;--fg:#1c2128;--bg:#f3f4f6;--card:#fff;"
    "--muted:#57606a;--line:#d0d7de;--accent:#0b5cd5;--ok:#116329;"
    "--bad:#b3261e}"
    "@media(prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;"
    "--card:#161b22;--muted:#9da7b3;--line:#30363d;--ok:#56d364;"
    "--bad:#ff7b72}}"
    "*{box-sizing:border-box}"
    "body{margin:0;background:var(--bg);color:var(--fg);"
    "font:1rem/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,"
    "sans-serif}"
    "main{max-width:32rem;margin:0 auto;padding:1.5rem 1rem}"
    ".card{background:var(--card);border:1px solid var(--line);"
    "border-radius:.75rem;padding:1.25rem}"
    "h1{font-size:1.375rem;line-height:1.3;margin:0 0 .75rem}"
    "p{margin:.6rem 0}"
    ".muted{color:var(--muted);font-size:.9375rem}"
    ".code{font:700 2.25rem/1.2 ui-monospace,SFMono-Regular,Menlo,"
    "Consolas,monospace;letter-spacing:.25em;text-align:center;"
    "margin:1rem 0;padding:.75rem;border:2px dashed var(--line);"
    "border-radius:.5rem}"
    "dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem .9rem;"
    "margin:1rem 0}"
    "dt{color:var(--muted)}"
    "dd{margin:0;overflow-wrap:anywhere}"
    "label{display:block;font-weight:600;margin:1rem 0 .4rem}"
    "input{display:block;width:100%;font:600 1.5rem/1.2 ui-monospace,"
    "monospace;letter-spacing:.2em;padding:.7rem;color:var(--fg);"
    "background:var(--bg);border:1px solid var(--line);"
    "border-radius:.5rem}"
    ".btn,button{display:block;width:100%;min-height:3rem;"
    "margin:.7rem 0 0;padding:.75rem 1rem;font:inherit;font-weight:600;"
    "text-align:center;text-decoration:none;color:var(--fg);"
    "background:var(--card);border:1px solid var(--line);"
    "border-radius:.5rem;cursor:pointer}"
    ".primary{color:#fff;background:var(--accent);"
    "border-color:var(--accent)}"
    ".danger{color:var(--bad);border-color:var(--bad)}"
    ":focus-visible{outline:3px solid var(--accent);outline-offset:2px}"
    ".ok{color:var(--ok)}.bad{color:var(--bad)}"
    ".status{font-weight:600}"
    "code{font-family:ui-monospace,monospace;overflow-wrap:anywhere}";


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


static const char  ngx_http_push_approval_countdown_script[] =
    "(function(){"
    "var c=document.getElementById('pa-countdown');if(!c){return;}"
    "var end=Date.now()+1000*parseInt(c.textContent,10),"
    "t=setInterval(function(){"
    "var l=Math.max(0,Math.ceil((end-Date.now())/1000));"
    "c.textContent=String(l);if(!l){clearInterval(t);}},1000);"
    "})();";


static ngx_http_push_approval_outcome_t *
ngx_http_push_approval_outcome(ngx_uint_t status)
{
    if (status >= sizeof(ngx_http_push_approval_outcomes)
                  / sizeof(ngx_http_push_approval_outcome_t))
    {
        status = NGX_HTTP_PUSH_APPROVAL_ST_NONE;
    }

    return &ngx_http_push_approval_outcomes[status];
}


/* the value of $push_approval_status; "" for ST_NONE */

ngx_str_t *
ngx_http_push_approval_status_name(ngx_uint_t status)
{
    return &ngx_http_push_approval_outcome(status)->reason;
}


/* §6; 200 for granted, approved and revoked; 500 for ST_NONE */

ngx_uint_t
ngx_http_push_approval_http_status(ngx_uint_t status)
{
    return ngx_http_push_approval_outcome(status)->http_status;
}


/*
 * §6: a page for clients that would rather read one (any method), else
 * problem+json.  retry_after > 0 adds Retry-After (limited, locked).
 */

ngx_int_t
ngx_http_push_approval_send_status(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *approval_id, time_t retry_after)
{
    ngx_uint_t  http_status;

    if (ngx_http_push_approval_retry_after(r, retry_after) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    http_status = ngx_http_push_approval_http_status(status);

    if (ngx_http_push_approval_wants_html(r)) {
        return ngx_http_push_approval_status_page(r, http_status, status,
                                                  approval_id);
    }

    return ngx_http_push_approval_send_problem(r, http_status, status,
                                               approval_id);
}


static ngx_int_t
ngx_http_push_approval_retry_after(ngx_http_request_t *r, time_t retry_after)
{
    ngx_str_t  value;

    if (retry_after <= 0) {
        return NGX_OK;
    }

    value.data = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
    if (value.data == NULL) {
        return NGX_ERROR;
    }

    value.len = ngx_sprintf(value.data, "%T", retry_after) - value.data;

    return ngx_http_push_approval_add_header(r, "Retry-After", &value);
}


static ngx_int_t
ngx_http_push_approval_status_page(ngx_http_request_t *r,
    ngx_uint_t http_status, ngx_uint_t status, ngx_str_t *approval_id)
{
    ngx_http_push_approval_out_t       o;
    ngx_http_push_approval_outcome_t  *oc;

    oc = ngx_http_push_approval_outcome(status);

    if (ngx_http_push_approval_page_begin(r, &o, &oc->title, NULL)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_push_approval_out_lit(&o, "<h1>");
    ngx_http_push_approval_out_html(&o, &oc->title);
    ngx_http_push_approval_out_lit(&o, "</h1>\n<p>");
    ngx_http_push_approval_out_html(&o, &oc->text);
    ngx_http_push_approval_out_lit(&o, "</p>\n<p class=\"muted\">Reason: "
                                       "<code id=\"pa-status\">");
    ngx_http_push_approval_out_str(&o, &oc->reason);
    ngx_http_push_approval_out_lit(&o, "</code>");

    if (approval_id && approval_id->len) {
        ngx_http_push_approval_out_lit(&o, "<br>Reference: "
                                           "<code id=\"pa-id\">");
        ngx_http_push_approval_out_html(&o, approval_id);
        ngx_http_push_approval_out_lit(&o, "</code>");
    }

    ngx_http_push_approval_out_lit(&o, "</p>\n");

    return ngx_http_push_approval_page_end(r, &o, http_status, NULL);
}


static ngx_int_t
ngx_http_push_approval_send_problem(ngx_http_request_t *r,
    ngx_uint_t http_status, ngx_uint_t status, ngx_str_t *approval_id)
{
    ngx_http_push_approval_out_t  o;

    ngx_http_push_approval_out_init(&o, r->pool);
    ngx_http_push_approval_problem(&o, http_status, status, approval_id);
    ngx_http_push_approval_out_lit(&o, "}\n");

    return ngx_http_push_approval_send_out(r, &o, http_status,
                                           "application/problem+json");
}


/* {"type","title","status","reason"[,"approval_id"], without the "}" */

static void
ngx_http_push_approval_problem(ngx_http_push_approval_out_t *o,
    ngx_uint_t http_status, ngx_uint_t status, ngx_str_t *approval_id)
{
    ngx_http_push_approval_outcome_t  *oc;

    oc = ngx_http_push_approval_outcome(status);

    ngx_http_push_approval_out_lit(o, "{\"type\":\"urn:push-approval:");
    ngx_http_push_approval_out_str(o, &oc->reason);
    ngx_http_push_approval_out_lit(o, "\",\"title\":\"");
    ngx_http_push_approval_out_json(o, &oc->title);
    ngx_http_push_approval_out_printf(o, "\",\"status\":%ui,\"reason\":\"",
                                      http_status);
    ngx_http_push_approval_out_str(o, &oc->reason);
    ngx_http_push_approval_out_lit(o, "\"");

    if (approval_id && approval_id->len) {
        ngx_http_push_approval_out_lit(o, ",\"approval_id\":\"");
        ngx_http_push_approval_out_json(o, approval_id);
        ngx_http_push_approval_out_lit(o, "\"");
    }
}


/*
 * §1.8 page: 202, Push-Approval-Id, the code (or a line saying that the
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
 * §1.8 two-step: 401 with WWW-Authenticate and the problem+json that
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
 * §1.5: 403 cross_site.  A GET or HEAD navigation gets a page whose
 * "Request access" button repeats the request from this origin.
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


/*
 * §5.2 approve page (GET; changes nothing): the request in full, and a
 * form to action_url while the challenge is open.
 */

ngx_int_t
ngx_http_push_approval_send_approve_page(ngx_http_request_t *r,
    ngx_http_push_approval_challenge_t *ch, ngx_str_t *action_url)
{
    ngx_str_t                      title;
    ngx_http_push_approval_out_t   o;

    ngx_str_set(&title, "Approve access?");

    if (ngx_http_push_approval_page_begin(r, &o, &title, NULL) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_push_approval_out_lit(&o, "<h1>Approve access?</h1>\n<p><strong>");
    ngx_http_push_approval_out_html(&o, &ch->user);
    ngx_http_push_approval_out_lit(&o, "</strong> asks for access to "
                                       "<strong>");
    ngx_http_push_approval_out_html(&o, &ch->server);
    ngx_http_push_approval_out_lit(&o, "</strong>.</p>\n");

    ngx_http_push_approval_challenge_list(&o, ch);
    ngx_http_push_approval_approve_form(&o, ch, action_url);

    return ngx_http_push_approval_page_end(r, &o, NGX_HTTP_OK,
                                     ngx_http_push_approval_countdown_script);
}


static void
ngx_http_push_approval_challenge_list(ngx_http_push_approval_out_t *o,
    ngx_http_push_approval_challenge_t *ch)
{
    time_t      now, ago, left;
    ngx_tm_t    tm;
    ngx_str_t   text;
    u_char      buf[128];

    now = ngx_time();
    ago = now - ch->created;
    left = ch->expires - now;

    ngx_http_push_approval_out_lit(o, "<dl>\n");
    ngx_http_push_approval_field(o, "User", "pa-user", &ch->user);
    ngx_http_push_approval_field(o, "From", "pa-client", &ch->client);
    ngx_http_push_approval_field(o, "Browser", "pa-agent", &ch->agent);
    ngx_http_push_approval_field(o, "Server", "pa-server", &ch->server);
    ngx_http_push_approval_field(o, "Scope", "pa-scope", &ch->scope);

    text.data = buf;
    text.len = ngx_http_push_approval_methods_text(buf, ch->methods) - buf;
    ngx_http_push_approval_field(o, "Methods", "pa-methods", &text);

    ngx_http_push_approval_field(o, "Unlocks", "pa-unlocks", &ch->unlocks);

    text.len = ngx_http_push_approval_ttl_text(buf, ch->ttl) - buf;
    ngx_http_push_approval_field(o, "For", "pa-ttl", &text);

    ngx_gmtime(ch->created, &tm);

    ngx_http_push_approval_out_printf(o, "<dt>Asked</dt><dd id=\"pa-asked\">"
                                      "%4d-%02d-%02d %02d:%02d:%02d UTC "
                                      "(%T s ago)</dd>\n",
                                      tm.ngx_tm_year, tm.ngx_tm_mon,
                                      tm.ngx_tm_mday, tm.ngx_tm_hour,
                                      tm.ngx_tm_min, tm.ngx_tm_sec,
                                      ago > 0 ? ago : 0);

    ngx_http_push_approval_out_printf(o, "<dt>Time left</dt><dd><span "
                                      "id=\"pa-countdown\">%T</span> s</dd>\n"
                                      "</dl>\n", left > 0 ? left : 0);
}


static void
ngx_http_push_approval_approve_form(ngx_http_push_approval_out_t *o,
    ngx_http_push_approval_challenge_t *ch, ngx_str_t *action_url)
{
    ngx_str_t  *state;

    state = ngx_http_push_approval_state_name(ch);

    if (state) {
        ngx_http_push_approval_out_lit(o, "<p class=\"status\">This request "
                                          "is closed: <strong "
                                          "id=\"pa-state\">");
        ngx_http_push_approval_out_str(o, state);
        ngx_http_push_approval_out_lit(o, "</strong>.</p>\n");
        return;
    }

    ngx_http_push_approval_out_lit(o, "<form method=\"post\" action=\"");
    ngx_http_push_approval_out_html(o, action_url);
    ngx_http_push_approval_out_lit(o, "\">\n");

    if (ch->code_required) {
        ngx_http_push_approval_out_lit(o, "<label for=\"pa-code-input\">"
                                          "Code shown to ");
        ngx_http_push_approval_out_html(o, &ch->user);
        ngx_http_push_approval_out_lit(o, "</label>\n<input name=\"code\" "
            "id=\"pa-code-input\" inputmode=\"numeric\" "
            "autocomplete=\"one-time-code\" pattern=\"[0-9]*\" "
            "maxlength=\"8\" required>\n");
    }

    ngx_http_push_approval_out_lit(o,
        "<button type=\"submit\" name=\"decision\" value=\"approve\" "
        "class=\"primary\">Approve</button>\n"
        "<button type=\"submit\" name=\"decision\" value=\"deny\" "
        "formnovalidate>Deny</button>\n"
        "<button type=\"submit\" name=\"decision\" value=\"report\" "
        "class=\"danger\" formnovalidate>I did not ask for this</button>\n"
        "</form>\n"
        "<p class=\"muted\">Approve only if you expect this request and "
        "everything above matches.</p>\n");
}


/* NULL while the challenge is open */

static ngx_str_t *
ngx_http_push_approval_state_name(ngx_http_push_approval_challenge_t *ch)
{
    static ngx_str_t  names[] = {
        ngx_string("approved"),
        ngx_string("denied"),
        ngx_string("reported"),
        ngx_string("denied (wrong code)"),
        ngx_string("expired"),
        ngx_string("failed (push not delivered)")
    };

    if (ch->state >= NGX_HTTP_PUSH_APPROVAL_APPROVED
        && ch->state <= NGX_HTTP_PUSH_APPROVAL_PUSH_FAILED)
    {
        return &names[ch->state - NGX_HTTP_PUSH_APPROVAL_APPROVED];
    }

    if (ch->expires <= ngx_time()) {
        return &names[NGX_HTTP_PUSH_APPROVAL_TIMEOUT
                      - NGX_HTTP_PUSH_APPROVAL_APPROVED];
    }

    return NULL;
}


/* <dt>label</dt><dd id="id">value</dd>; an empty value shows a dash */

static void
ngx_http_push_approval_field(ngx_http_push_approval_out_t *o,
    const char *label, const char *id, ngx_str_t *value)
{
    ngx_http_push_approval_out_printf(o, "<dt>%s</dt><dd id=\"%s\">",
                                      label, id);

    if (value->len) {
        ngx_http_push_approval_out_html(o, value);

    } else {
        ngx_http_push_approval_out_lit(o, "&mdash;");
    }

    ngx_http_push_approval_out_lit(o, "</dd>\n");
}


/*
 * After a decision (§5.2) or a revocation (§5.4): {"id","status"} for
 * http_status < 300, problem+json for errors; browsers get a page whose
 * element pa-result holds the outcome word or the error reason.
 */

ngx_int_t
ngx_http_push_approval_send_result(ngx_http_request_t *r,
    ngx_uint_t http_status, ngx_uint_t status, ngx_str_t *id)
{
    ngx_str_t                          title, text;
    ngx_http_push_approval_out_t       o;
    ngx_http_push_approval_outcome_t  *oc;

    oc = ngx_http_push_approval_outcome(status);

    if (!ngx_http_push_approval_wants_html(r)) {

        if (http_status >= NGX_HTTP_SPECIAL_RESPONSE) {
            return ngx_http_push_approval_send_problem(r, http_status,
                                                       status, id);
        }

        ngx_http_push_approval_out_init(&o, r->pool);
        ngx_http_push_approval_out_lit(&o, "{\"id\":\"");

        if (id) {
            ngx_http_push_approval_out_json(&o, id);
        }

        ngx_http_push_approval_out_lit(&o, "\",\"status\":\"");
        ngx_http_push_approval_out_str(&o, &oc->reason);
        ngx_http_push_approval_out_lit(&o, "\"}\n");

        return ngx_http_push_approval_send_out(r, &o, http_status,
                                               "application/json");
    }

    ngx_http_push_approval_result_text(status, &title, &text);

    if (ngx_http_push_approval_page_begin(r, &o, &title, NULL) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_push_approval_out_lit(&o, "<h1>");
    ngx_http_push_approval_out_html(&o, &title);
    ngx_http_push_approval_out_printf(&o, "</h1>\n<p class=\"status %s\">"
                                      "Result: <strong id=\"pa-result\">",
                                      (status
                                       == NGX_HTTP_PUSH_APPROVAL_ST_APPROVED)
                                      ? "ok" : "bad");
    ngx_http_push_approval_out_str(&o, &oc->reason);
    ngx_http_push_approval_out_lit(&o, "</strong></p>\n<p>");
    ngx_http_push_approval_out_html(&o, &text);
    ngx_http_push_approval_out_lit(&o, "</p>\n");

    if (id && id->len) {
        ngx_http_push_approval_out_lit(&o, "<p class=\"muted\">Reference: "
                                           "<code id=\"pa-id\">");
        ngx_http_push_approval_out_html(&o, id);
        ngx_http_push_approval_out_lit(&o, "</code></p>\n");
    }

    return ngx_http_push_approval_page_end(r, &o, http_status, NULL);
}


/* what the approver reads after a decision; else as the requester would */

static void
ngx_http_push_approval_result_text(ngx_uint_t status, ngx_str_t *title,
    ngx_str_t *text)
{
    ngx_http_push_approval_outcome_t  *oc;

    switch (status) {

    case NGX_HTTP_PUSH_APPROVAL_ST_APPROVED:
        ngx_str_set(title, "Approved");
        ngx_str_set(text, "The request was approved. The requester can go "
                          "on now.");
        return;

    case NGX_HTTP_PUSH_APPROVAL_ST_DENIED:
        ngx_str_set(title, "Denied");
        ngx_str_set(text, "The request was denied.");
        return;

    case NGX_HTTP_PUSH_APPROVAL_ST_REPORTED:
        ngx_str_set(title, "Reported");
        ngx_str_set(text, "The request was denied and reported. New "
                          "approval requests for this user are paused for "
                          "a while.");
        return;
    }

    oc = ngx_http_push_approval_outcome(status);

    *title = oc->title;
    *text = oc->text;
}


/*
 * A page from a fragment: title is plain text (escaped here), html is
 * markup the caller has built with every client value escaped.  No
 * script; forms may post to this origin only.
 */

ngx_int_t
ngx_http_push_approval_send_page(ngx_http_request_t *r,
    ngx_uint_t http_status, ngx_str_t *title, ngx_str_t *html)
{
    ngx_http_push_approval_out_t  o;

    if (ngx_http_push_approval_page_begin(r, &o, title, NULL) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_push_approval_out_str(&o, html);

    return ngx_http_push_approval_page_end(r, &o, http_status, NULL);
}


ngx_int_t
ngx_http_push_approval_send_json(ngx_http_request_t *r,
    ngx_uint_t http_status, ngx_str_t *json)
{
    ngx_str_t  type;

    ngx_str_set(&type, "application/json");

    return ngx_http_push_approval_send_buf(r, http_status, &type, json, NULL);
}


/*
 * The document around a page: head (with the caller's extra head markup,
 * trusted), the stylesheet, and the opening of the card.  Generates the
 * nonce.
 */

static ngx_int_t
ngx_http_push_approval_page_begin(ngx_http_request_t *r,
    ngx_http_push_approval_out_t *o, ngx_str_t *title, ngx_str_t *head)
{
    u_char     raw[NGX_HTTP_PUSH_APPROVAL_NONCE_BYTES];
    ngx_str_t  src;

    ngx_http_push_approval_out_init(o, r->pool);

    o->nonce.data = ngx_pnalloc(r->pool, ngx_base64_encoded_length(
                                         NGX_HTTP_PUSH_APPROVAL_NONCE_BYTES));
    if (o->nonce.data == NULL
        || ngx_http_push_approval_random(raw, sizeof(raw)) != NGX_OK)
    {
        return NGX_ERROR;
    }

    src.data = raw;
    src.len = sizeof(raw);
    ngx_http_push_approval_b64url_encode(&o->nonce, &src);

    ngx_http_push_approval_out_lit(o, "<!DOCTYPE html>\n<html lang=\"en\">\n"
        "<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, "
        "initial-scale=1\">\n<meta name=\"robots\" content=\"noindex\">\n"
        "<title>");
    ngx_http_push_approval_out_html(o, title);
    ngx_http_push_approval_out_lit(o, "</title>\n");

    if (head) {
        ngx_http_push_approval_out_str(o, head);
    }

    ngx_http_push_approval_out_lit(o, "<style nonce=\"");
    ngx_http_push_approval_out_str(o, &o->nonce);
    ngx_http_push_approval_out_lit(o, "\">");
    ngx_http_push_approval_out_lit(o, ngx_http_push_approval_style);
    ngx_http_push_approval_out_lit(o, "</style>\n</head>\n<body>\n<main>\n"
                                      "<div class=\"card\">\n");

    return NGX_OK;
}


static ngx_int_t
ngx_http_push_approval_page_end(ngx_http_request_t *r,
    ngx_http_push_approval_out_t *o, ngx_uint_t http_status,
    const char *script)
{
    ngx_str_t  body;

    ngx_http_push_approval_out_lit(o, "</div>\n</main>\n");

    if (script) {
        ngx_http_push_approval_out_lit(o, "<script nonce=\"");
        ngx_http_push_approval_out_str(o, &o->nonce);
        ngx_http_push_approval_out_lit(o, "\">");
        ngx_http_push_approval_out_raw(o, (u_char *) script,
                                       ngx_strlen(script));
        ngx_http_push_approval_out_lit(o, "</script>\n");
    }

    ngx_http_push_approval_out_lit(o, "</body>\n</html>\n");

    if (o->failed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body.data = o->start;
    body.len = o->pos - o->start;

    return ngx_http_push_approval_send_buf(r, http_status,
                                           &ngx_http_push_approval_type_html,
                                           &body, &o->nonce);
}


static ngx_int_t
ngx_http_push_approval_send_out(ngx_http_request_t *r,
    ngx_http_push_approval_out_t *o, ngx_uint_t http_status,
    const char *type)
{
    ngx_str_t  body, t;

    if (o->failed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body.data = o->start;
    body.len = o->pos - o->start;

    t.data = (u_char *) type;
    t.len = ngx_strlen(type);

    return ngx_http_push_approval_send_buf(r, http_status, &t, &body, NULL);
}


/*
 * Sends a whole answer from memory that lives as long as the request:
 * discards an unread request body, sets the status, the type, the
 * length, Cache-Control: no-store (unless the caller set a Cache-Control,
 * as the cookie does) and X-Content-Type-Options.  With a nonce, the body
 * is an HTML page (charset utf-8) and gets the page security headers.
 * HEAD gets the headers only.
 */

ngx_int_t
ngx_http_push_approval_send_buf(ngx_http_request_t *r,
    ngx_uint_t http_status, ngx_str_t *type, ngx_str_t *body,
    ngx_str_t *nonce)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_push_approval_security_headers(r, nonce) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = http_status;

    ngx_http_clear_content_length(r);
    r->headers_out.content_length_n = body->len;

    r->headers_out.content_type_len = type->len;
    r->headers_out.content_type = *type;
    r->headers_out.content_type_lowcase = NULL;

    if (nonce) {
        ngx_str_set(&r->headers_out.charset, "utf-8");

    } else {
        ngx_str_null(&r->headers_out.charset);
    }

    if (r->method == NGX_HTTP_HEAD) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = body->data;
    b->last = body->data + body->len;
    b->memory = body->len ? 1 : 0;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static ngx_int_t
ngx_http_push_approval_security_headers(ngx_http_request_t *r,
    ngx_str_t *nonce)
{
    ngx_str_t  value;

    if (!ngx_http_push_approval_list_find(&r->headers_out.headers,
                                          "Cache-Control",
                                          sizeof("Cache-Control") - 1))
    {
        ngx_str_set(&value, "no-store");

        if (ngx_http_push_approval_add_header(r, "Cache-Control", &value)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    ngx_str_set(&value, "nosniff");

    if (ngx_http_push_approval_add_header(r, "X-Content-Type-Options",
                                          &value)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (nonce == NULL) {
        return NGX_OK;
    }

    value.data = ngx_pnalloc(r->pool, 2 * nonce->len
                             + sizeof("default-src 'none'; "
                                      "script-src 'nonce-'; "
                                      "style-src 'nonce-'; "
                                      "connect-src 'self'; img-src 'none'; "
                                      "form-action 'self'; "
                                      "base-uri 'none'; "
                                      "frame-ancestors 'none'"));
    if (value.data == NULL) {
        return NGX_ERROR;
    }

    value.len = ngx_sprintf(value.data, "default-src 'none'; "
                            "script-src 'nonce-%V'; style-src 'nonce-%V'; "
                            "connect-src 'self'; img-src 'none'; "
                            "form-action 'self'; base-uri 'none'; "
                            "frame-ancestors 'none'", nonce, nonce)
                - value.data;

    if (ngx_http_push_approval_add_header(r, "Content-Security-Policy",
                                          &value)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_str_set(&value, "no-referrer");

    if (ngx_http_push_approval_add_header(r, "Referrer-Policy", &value)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_str_set(&value, "DENY");

    return ngx_http_push_approval_add_header(r, "X-Frame-Options", &value);
}


static void
ngx_http_push_approval_out_init(ngx_http_push_approval_out_t *o,
    ngx_pool_t *pool)
{
    ngx_memzero(o, sizeof(ngx_http_push_approval_out_t));

    o->pool = pool;
}


/* room for n more bytes, or NULL (and failed set) */

static u_char *
ngx_http_push_approval_out_reserve(ngx_http_push_approval_out_t *o,
    size_t n)
{
    u_char  *p;
    size_t   size, used;

    if (o->failed) {
        return NULL;
    }

    if ((size_t) (o->end - o->pos) >= n) {
        return o->pos;
    }

    used = o->pos - o->start;
    size = ngx_max(2 * (size_t) (o->end - o->start), used + n);
    size = ngx_max(size, 4096);

    p = ngx_pnalloc(o->pool, size);
    if (p == NULL) {
        o->failed = 1;
        return NULL;
    }

    if (used) {
        ngx_memcpy(p, o->start, used);
    }

    o->start = p;
    o->pos = p + used;
    o->end = p + size;

    return o->pos;
}


static void
ngx_http_push_approval_out_raw(ngx_http_push_approval_out_t *o,
    u_char *data, size_t len)
{
    if (ngx_http_push_approval_out_reserve(o, len) == NULL) {
        return;
    }

    o->pos = ngx_cpymem(o->pos, data, len);
}


static void
ngx_http_push_approval_out_html(ngx_http_push_approval_out_t *o,
    ngx_str_t *s)
{
    if (ngx_http_push_approval_out_reserve(o,
                                    ngx_http_push_approval_html_len(s))
        == NULL)
    {
        return;
    }

    o->pos = ngx_http_push_approval_html_escape(o->pos, s);
}


/* the inside of a JSON string, without the quotes */

static void
ngx_http_push_approval_out_json(ngx_http_push_approval_out_t *o,
    ngx_str_t *s)
{
    if (ngx_http_push_approval_out_reserve(o,
                                    ngx_http_push_approval_json_len(s))
        == NULL)
    {
        return;
    }

    o->pos = ngx_http_push_approval_json_escape(o->pos, s);
}


/* for numbers and literals only: at most 256 bytes of output */

static void
ngx_http_push_approval_out_printf(ngx_http_push_approval_out_t *o,
    const char *fmt, ...)
{
    va_list  args;

    if (ngx_http_push_approval_out_reserve(o,
                                    NGX_HTTP_PUSH_APPROVAL_PRINTF_MAX)
        == NULL)
    {
        return;
    }

    va_start(args, fmt);
    o->pos = ngx_vslprintf(o->pos, o->pos + NGX_HTTP_PUSH_APPROVAL_PRINTF_MAX,
                           fmt, args);
    va_end(args);
}
