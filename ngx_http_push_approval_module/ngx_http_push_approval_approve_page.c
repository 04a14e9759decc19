
/*
 * ngx_http_push_approval_module: the approve page (docs/flow.md, "The
 * approve page"), what an approver reads before deciding: the request in
 * full, and the form while the challenge is open.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_approve_page.h"
#include "ngx_http_push_approval_challenge.h"
#include "ngx_http_push_approval_output.h"
#include "ngx_http_push_approval_text.h"


static void ngx_http_push_approval_approve_page_challenge(
    ngx_http_push_approval_out_t *o, ngx_http_push_approval_challenge_t *ch);
static void ngx_http_push_approval_approve_page_form(
    ngx_http_push_approval_out_t *o, ngx_http_push_approval_challenge_t *ch,
    ngx_str_t *action_url);
static ngx_str_t *ngx_http_push_approval_state_name(
    ngx_http_push_approval_challenge_t *ch);


static const char  ngx_http_push_approval_countdown_script[] =
    "(function(){"
    "var c=document.getElementById('pa-countdown');if(!c){return;}"
    "var end=Date.now()+1000*parseInt(c.textContent,10),"
    "t=setInterval(function(){"
    "var l=Math.max(0,Math.ceil((end-Date.now())/1000));"
    "c.textContent=String(l);if(!l){clearInterval(t);}},1000);"
    "})();";


/*
 * The approve page (GET; changes nothing): the request in full, and a
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

    ngx_http_push_approval_approve_page_challenge(&o, ch);
    ngx_http_push_approval_approve_page_form(&o, ch, action_url);

    return ngx_http_push_approval_page_end(r, &o, NGX_HTTP_OK,
                                     ngx_http_push_approval_countdown_script);
}


static void
ngx_http_push_approval_approve_page_challenge(ngx_http_push_approval_out_t *o,
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
ngx_http_push_approval_approve_page_form(ngx_http_push_approval_out_t *o,
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
