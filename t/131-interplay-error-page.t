#!/usr/bin/perl

# error_page meeting the gate and the endpoints, in the cases that crashed
# or hung: a malformed chunked body POSTed to an approve link under
# `error_page 400`; the wait endpoint redeeming an approval whose cookie
# lifetime has already run out, under the stock `error_page 500 502 503
# 504 /50x.html` (an answer, and the pending secret never burnt by a
# failed answer); a held POST whose body fails (413 over
# client_max_body_size, 400 for a malformed chunked body), under
# error_page to a static page and to a protected page.  Also what survives
# a redirect: a passed request keeps its pass through index, try_files and
# error_page into other protected places; a request the gate was answering
# (429, a failed body) is handled afresh where it lands and never sees
# protected content unapproved.  Every request is answered in bounded time,
# no worker dies, nothing is left open at nginx -s quit.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std qw(decide answer_of);
use Test::More;
use Time::HiRes qw(time sleep);

my $t = PA::Test->new(workers => 2);

my @STATUSES = qw(400 403 404 405 413 429 500 503);
for my $s (@STATUSES) {
    $t->write_file("html/err/$s.html", "ERR $s page\n");
    $t->write_file("html/perr/$s.html", "PERR $s page\n");
}
$t->write_file('html/50x.html', "STOCK 50x page\n");
$t->write_file('html/400.html', "STOCK 400 page\n");
for my $d (qw(hold self short lim idx tf tf2)) {
    $t->write_file("html/$d/x.html", "$d x\n");
}
$t->write_file('html/idx/index.html', "idx index\n");
$t->write_file('html/tf2/fallback.html', "tf2 fallback\n");
$t->write_file('html/ss/sub/fallback.html', "ss fallback\n");
$t->write_file('html/rec/x.html', "rec x\n");
$t->write_file('html/recerr/403.html', "RECERR 403 page\n");

my $locations = <<'EOF';
        location /hold/ { %%STD%% push_approval_approver ops; client_max_body_size 10; }
        location /self/ { %%STD%% }
        location /short/ { %%STD%% push_approval_ttl 1s; push_approval_wait 60s; }
        location /lim/ { %%STD%% push_approval_approver ops; push_approval_prompt_limit 1 1m; }
        location /idx/ { %%STD%% push_approval_approver ops; }
        location /tf/ { %%STD%% push_approval_approver ops; try_files $uri /tf2/fallback.html; }
        location /tf2/ { %%STD%% push_approval_approver ops; }
        location /ss/ { %%STD%% push_approval_approver ops; try_files $uri /ss/sub/fallback.html; }
        location /ss/sub/ { %%STD%% push_approval_approver ops; push_approval_scope /ss/; }
        location /rec/ {
            %%STD%% push_approval_approver ops;
            recursive_error_pages on;
            error_page 403 /recerr/403.html;
        }
        location /recerr/ {
            %%STD%% push_approval_approver ops; push_approval_wait 2s;
            recursive_error_pages on;
            error_page 403 /recerr/403.html;
        }
EOF

sub error_pages {
    my ($prefix) = @_;
    return join '', map { "        error_page $_ $prefix/$_.html;\n" } @STATUSES;
}

# name, port index, what an error page of this server is, protected
my @V = (
    [ 'static error pages', 0, qr/ERR \d+ page/, 0 ],
    [ 'protected error pages', 1, qr/PERR \d+ page/, 1 ],
    [ 'stock error pages', 2, qr/STOCK \S+ page/, 0 ],
);

$t->start(PA::Std::stock_http()
    . PA::Std::server(port => '%%PORT%%', name => 's0.test',
        server => error_pages('/err') . "        client_body_timeout 2s;\n",
        locations => $locations . "        location /err/ { }\n")
    . PA::Std::server(port => '%%PORT1%%', name => 's1.test',
        server => error_pages('/perr') . "        client_body_timeout 2s;\n",
        locations => $locations
            . "        location /perr/ { %%STD%% push_approval_approver ops; push_approval_wait 3s; }\n")
    . PA::Std::server(port => '%%PORT2%%', name => 's2.test',
        server => "error_page 500 502 503 504 /50x.html;\n        error_page 400 /400.html;\n"
            . "        client_body_timeout 2s;",
        locations => $locations
            . "        location = /50x.html { }\n        location = /400.html { }\n"));

my $JS = 'Accept: application/json';
my $FORM = 'Content-Type: application/x-www-form-urlencoded';
sub user { PA::Std::user('ep', 'z') }

sub answered {
    my ($res, $what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    return ok($res->{status} > 0, "$what: answered within 10 s")
        || diag('no answer: ' . ($res->{error} // '?'));
}

# a held challenge of /hold/ on $port: (handle, push)
sub held {
    my ($port, $u) = @_;
    my $h = $t->http_start(port => $port, path => '/hold/x.html',
        headers => [$JS, "X-User: $u"], timeout => 10);
    my $p = $t->wait_push(5);
    return ($h, $p);
}

sub raw_post {
    my ($path, @h) = @_;
    return "POST $path HTTP/1.1\r\nHost: localhost\r\nUser-Agent: pa-test/1\r\n"
        . join('', map { "$_\r\n" } @h) . "Connection: close\r\n";
}

my @workers = sort $t->worker_pids;

for my $v (@V) {
    my ($vn, $pi, $errpage, $prot) = @$v;
    my $port = $t->port($pi);
    my %P = (port => $port);

    # --- a malformed chunked body POSTed to an approve link ------------------------------

    {
        my $u = user();
        my ($h, $p) = held($port, $u);
        ok($p, "$vn, approve link: push");
        my $path = PA::Std::approve_path($p) // '/_pa/approve/x';
        my $r = answer_of($t, $t->http_start(%P, timeout => 10,
            raw => raw_post($path, $JS, $FORM, 'Transfer-Encoding: chunked')
                . "\r\nzz\r\n"));
        answered($r, "$vn, malformed chunked body to the approve link");
        is($r->{status}, 400, "$vn, malformed chunked body to the approve link: 400");
        unlike($r->{body}, qr/PERR/, "$vn, malformed chunked body: no protected page");
        ok(PA::Std::still_held($h, 0.1), "$vn, malformed chunked body decided nothing");

        # a body over the limit, chunked, and one cut short
        $r = answer_of($t, $t->http_start(%P, timeout => 10,
            raw => raw_post($path, $JS, $FORM, 'Transfer-Encoding: chunked')
                . "\r\n8\r\ndecision\r\nzz\r\n"));
        answered($r, "$vn, approve link, a chunk then garbage");
        is($r->{status}, 400, "$vn, approve link, a chunk then garbage: 400");

        # a body over client_max_body_size, and one that stalls
        $r = answer_of($t, $t->http_start(%P, timeout => 10,
            raw => raw_post($path, $JS, $FORM, 'Content-Length: 2000000')
                . "\r\ndecision=approve&"));
        answered($r, "$vn, approve link, a body over the limit");
        is($r->{status}, 413, "$vn, approve link, a body over the limit: 413");
        my $t0 = time;
        $r = answer_of($t, $t->http_start(%P, timeout => 10,
            raw => raw_post($path, $JS, $FORM, 'Content-Length: 50')
                . "\r\ndecision=approve&"));
        ok($r->{status} == 408 || ($r->{error} // '') =~ /closed|no response/,
            "$vn, approve link, a stalled body: 408 or closed")
            or diag("status $r->{status} " . ($r->{error} // ''));
        cmp_ok(time - $t0, '<', 8, "$vn, approve link, a stalled body: in bounded time");
        ok(PA::Std::still_held($h, 0.1), "$vn, approve link: broken bodies decided nothing");

        # the wait and console endpoints with a malformed chunked body
        $r = answer_of($t, $t->http_start(%P, timeout => 10,
            raw => "GET /_pa/wait/$p->{json}{id} HTTP/1.1\r\nHost: localhost\r\n"
                . "Accept: application/json\r\nTransfer-Encoding: chunked\r\n"
                . "Connection: close\r\n\r\nzz\r\n"));
        answered($r, "$vn, wait endpoint, a malformed chunked body");
        cmp_ok($r->{status}, '<', 500, "$vn, wait endpoint, a malformed chunked body: no server error");
        $r = answer_of($t, $t->http_start(%P, timeout => 10,
            raw => raw_post("/_pa/console/revoke/$p->{json}{id}?who=ops", $JS,
                'Sec-Fetch-Site: same-origin', 'Transfer-Encoding: chunked') . "\r\nzz\r\n"));
        answered($r, "$vn, console revoke, a malformed chunked body");
        cmp_ok($r->{status}, '<', 500, "$vn, console revoke, a malformed chunked body: no server error");

        my $d = decide($t, $p, 'approve');
        is($d->{status}, 200, "$vn, approve link: the token still decides");
        my $res = answer_of($t, $h);
        is($res->{status}, 200, "$vn, approve link: held request resumed");
    }

    # --- the wait endpoint, the cookie lifetime already over ----------------------------------

    {
        my $u = user();
        my $r = $t->http(%P, path => '/short/x.html', headers => [$JS, "X-User: $u"]);
        is($r->{status}, 401, "$vn, ttl 1s: 401");
        my $j = PA::Std::json_of($r);
        my $p = $t->wait_push(5);
        my $d = decide($t, $p, 'approve', code => $j->{code});
        is($d->{status}, 200, "$vn, ttl 1s: approved");
        sleep 2.2;
        my @pend = ($JS, 'Push-Approval-Pending: ' . ($j->{pending} // ''));
        my $w1 = answer_of($t, $t->http_start(%P, path => $j->{wait} // '/_pa/wait/x',
            headers => [@pend], timeout => 10));
        answered($w1, "$vn, wait after the ttl");
        cmp_ok($w1->{status}, '<', 500, "$vn, wait after the ttl: no server error")
            or diag($w1->{body});
        my $got = PA::Std::approval_cookie($t, $w1);
        if (!$got && $w1->{status} >= 500) {
            my $w2 = answer_of($t, $t->http_start(%P, path => $j->{wait} // '/_pa/wait/x',
                headers => [@pend], timeout => 10));
            ok($w2->{status} != 404 && $w2->{status} != 410,
                "$vn, wait failed: the pending secret was not burnt")
                or diag("second wait: $w2->{status} $w2->{body}");
        }

        # the same with a browser (303) and the pending cookie
        $r = $t->http(%P, path => '/short/x.html', headers => [$JS, "X-User: $u"]);
        $j = PA::Std::json_of($r);
        $p = $t->wait_push(5);
        decide($t, $p, 'approve', code => $j->{code});
        sleep 2.2;
        my $w = answer_of($t, $t->http_start(%P, path => $j->{wait} // '/_pa/wait/x',
            headers => ['Accept: text/html', $t->cookie_header($r)], timeout => 10));
        answered($w, "$vn, wait (browser) after the ttl");
        cmp_ok($w->{status}, '<', 500, "$vn, wait (browser) after the ttl: no server error");
    }

    # --- a held POST whose body fails ---------------------------------------------------------

    for my $case (
        [ '413, Content-Length over the limit', 413,
          raw_post('/hold/x.html', $JS, $FORM, 'X-User: ' . user(), 'Content-Length: 100')
              . "\r\n" . ('a' x 100) ],
        [ '413, chunked over the limit', 413,
          raw_post('/hold/x.html', $JS, $FORM, 'X-User: ' . user(), 'Transfer-Encoding: chunked')
              . "\r\n64\r\n" . ('a' x 100) . "\r\n0\r\n\r\n" ],
        [ '400, malformed chunked body', 400,
          raw_post('/hold/x.html', $JS, $FORM, 'X-User: ' . user(), 'Transfer-Encoding: chunked')
              . "\r\nzz\r\n" ],
        [ '408, the body stalls', 408,
          raw_post('/hold/x.html', $JS, $FORM, 'X-User: ' . user(), 'Content-Length: 9')
              . "\r\nabc" ],
        [ '400, a chunk then garbage', 400,
          raw_post('/hold/x.html', $JS, $FORM, 'X-User: ' . user(), 'Transfer-Encoding: chunked')
              . "\r\n3\r\nabc\r\nqq\r\n" ],
    ) {
        my ($what, $status, $raw) = @$case;
        my $r = answer_of($t, $t->http_start(%P, timeout => 10, raw => $raw));
        if ($status == 408) {
            # nginx may answer 408 or close the connection
            ok($r->{status} == 408 || $r->{status} == 403
                || ($r->{error} // '') =~ /closed|no response/,
                "$vn, held POST, $what: 408 or closed")
                or diag("status $r->{status} " . ($r->{error} // ''));
            unlike($r->{body}, qr/PERR/, "$vn, held POST, $what: no protected page unapproved");
            next;
        }
        answered($r, "$vn, held POST, $what");
        # a protected error page is gated afresh (denied here): its answer
        # keeps the error status or says 403
        ok($r->{status} == $status || ($prot && $r->{status} == 403),
            "$vn, held POST, $what: $status") or diag("status $r->{status}");
        # the stock server has error pages for 400 and 5xx only
        like($r->{body}, $errpage, "$vn, held POST, $what: the error page")
            unless $prot || ($pi == 2 && $status != 400);
        unlike($r->{body}, qr/PERR/, "$vn, held POST, $what: no protected page unapproved");
    }

    # --- 429 from the gate, redirected by error_page --------------------------------------------

    {
        my $u = user();
        my ($h, $p) = (undef, undef);
        $h = $t->http_start(%P, path => '/lim/x.html', headers => [$JS, "X-User: $u"], timeout => 10);
        $p = $t->wait_push(5);
        ok($p, "$vn, limit: first challenge");
        my $r = answer_of($t, $t->http_start(%P, path => '/lim/x.html?2',
            headers => [$JS, "X-User: $u", 'User-Agent: other'], timeout => 10));
        answered($r, "$vn, limit: second challenge");
        ok($r->{status} == 429 || ($prot && $r->{status} == 403), "$vn, limit: 429")
            or diag("status $r->{status}");
        unlike($r->{body}, qr/PERR/, "$vn, limit: no protected page unapproved");
        decide($t, $p, 'deny') if $p;
        is(answer_of($t, $h)->{status}, 403, "$vn, limit: the first one denied");
    }

    # --- a passed request keeps its pass through index and try_files ----------------------------

    for my $case ([ 'index', '/idx/', "idx index\n" ],
                  [ 'try_files into another protected location', '/tf/missing.html', "tf2 fallback\n" ],
                  [ 'try_files into a location of the same scope', '/ss/missing.html', "ss fallback\n" ])
    {
        my ($what, $path, $body) = @$case;
        my $u = user();
        my $h = $t->http_start(%P, path => $path, headers => [$JS, "X-User: $u"], timeout => 10);
        my $p = $t->wait_push(5);
        ok($p, "$vn, $what: gated");
        decide($t, $p, 'approve') if $p;
        my $res = answer_of($t, $h);
        is($res->{status}, 200, "$vn, $what: approved, 200");
        is($res->{body}, $body, "$vn, $what: served after the redirect");
        is(scalar @{ $res->{extra} }, 0, "$vn, $what: no second challenge");
        my $r = $t->http(%P, path => $path, headers => [$JS, "X-User: $u", $t->cookie_header($res)]);
        is($r->{status}, 200, "$vn, $what with the cookie: 200");
        ok($t->no_push(0.2), "$vn, $what with the cookie: no push");
    }
    $t->clear_pushes;
}

# --- recursive_error_pages into a protected page: each landing is gated
# afresh (denied here, up to nginx's limit of redirects), never served
# unapproved, and the request ends

{
    my $h = $t->http_start(path => '/rec/x.html', timeout => 20,
        headers => [$JS, 'X-User: ' . user()]);
    my $p = $t->wait_push(5);
    ok($p, 'recursive error pages: gated');
    decide($t, $p, 'deny') if $p;
    my $r = answer_of($t, $h, 20);
    answered($r, 'recursive error pages');
    ok($r->{status} >= 400, "recursive error pages: an error status ($r->{status})");
    unlike($r->{body}, qr/RECERR|rec x/, 'recursive error pages: nothing protected served');
    cmp_ok(scalar @{ $r->{extra} }, '<=', 12, 'recursive error pages: bounded number of challenges');
    $t->clear_pushes;
}

is(join(' ', sort $t->worker_pids), join(' ', @workers), 'no worker was replaced');
$t->quit_clean;
$t->done;
done_testing;
