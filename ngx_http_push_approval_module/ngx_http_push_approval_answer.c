
/*
 * ngx_http_push_approval_module: answers by outcome, as pages for browsers
 * and as application/problem+json (RFC 9457) for everything else: the
 * values of $push_approval_status and how each is shown, and the answer
 * after a decision or a revocation.
 *
 * Every send function returns what a content handler returns: the value
 * to pass to ngx_http_finalize_request().  From the precontent phase the
 * caller does ngx_http_finalize_request(r, rc) itself and returns
 * NGX_DONE, as the generic phase checker would otherwise move on to the
 * next handler on NGX_OK.  The same holds for the send functions of
 * requester.c, approve_page.c and output.c.
 */


#include "ngx_http_push_approval_module.h"
#include "ngx_http_push_approval_answer.h"
#include "ngx_http_push_approval_headers.h"
#include "ngx_http_push_approval_output.h"


#define NGX_HTTP_PUSH_APPROVAL_HTTP_GONE    410     /* nginx has no macro */


static ngx_uint_t ngx_http_push_approval_http_status(ngx_uint_t status);
static ngx_int_t ngx_http_push_approval_status_page(ngx_http_request_t *r,
    ngx_uint_t http_status, ngx_uint_t status, ngx_str_t *approval_id);
static ngx_int_t ngx_http_push_approval_send_problem(ngx_http_request_t *r,
    ngx_uint_t http_status, ngx_uint_t status, ngx_str_t *approval_id);
static ngx_int_t ngx_http_push_approval_retry_after(ngx_http_request_t *r,
    time_t retry_after);
static void ngx_http_push_approval_result_text(ngx_uint_t status,
    ngx_str_t *title, ngx_str_t *text);


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
      NGX_HTTP_OK },

    { ngx_string("subrequest"), ngx_string("Not included"),
      ngx_string("A protected place is only included in a page that was "
                 "itself approved for it."),
      NGX_HTTP_FORBIDDEN }
};


ngx_http_push_approval_outcome_t *
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


/*
 * The HTTP status of a status (docs/flow.md, "Statuses"): 200 for
 * granted, approved and revoked; 500 for ST_NONE.
 */

static ngx_uint_t
ngx_http_push_approval_http_status(ngx_uint_t status)
{
    return ngx_http_push_approval_outcome(status)->http_status;
}


/*
 * A status answer: a page for clients that would rather read one (any
 * method), else problem+json.  retry_after > 0 adds Retry-After (limited,
 * locked).
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

void
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
 * After a decision or a revocation (from the console): {"id","status"} for
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


ngx_uint_t
ngx_http_push_approval_answer_of_state(ngx_uint_t state)
{
    switch (state) {
    case NGX_HTTP_PUSH_APPROVAL_APPROVED:
        return NGX_HTTP_PUSH_APPROVAL_ST_APPROVED;
    case NGX_HTTP_PUSH_APPROVAL_DENIED:
        return NGX_HTTP_PUSH_APPROVAL_ST_DENIED;
    case NGX_HTTP_PUSH_APPROVAL_REPORTED:
        return NGX_HTTP_PUSH_APPROVAL_ST_REPORTED;
    case NGX_HTTP_PUSH_APPROVAL_CODE_MISMATCH:
        return NGX_HTTP_PUSH_APPROVAL_ST_CODE_MISMATCH;
    case NGX_HTTP_PUSH_APPROVAL_PUSH_FAILED:
        return NGX_HTTP_PUSH_APPROVAL_ST_PUSH_FAILED;
    case NGX_HTTP_PUSH_APPROVAL_TIMEOUT:
        return NGX_HTTP_PUSH_APPROVAL_ST_TIMEOUT;
    default:
        return NGX_HTTP_PUSH_APPROVAL_ST_PENDING;
    }
}
