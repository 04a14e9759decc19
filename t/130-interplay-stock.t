#!/usr/bin/perl

# The main flows under Debian's stock nginx.conf (sendfile, tcp_nopush,
# keepalive, gzip, the mime types) in three servers: the stock
# `error_page 500 502 503 504 /50x.html` to a static page; every error
# status (400 403 404 405 413 429 500 503) to static pages in an
# unprotected location; and the same into a protected location.  Hold
# mode (console listing, approve page, approve, deny, revoke), two-step
# (401, wait, cookie), page mode (202, wait URL, 303), the endpoints' own
# errors and a failed push, each answered in bounded time, a passed request
# keeping its pass through error_page, an answered one never reaching
# protected content through it, and nothing left open at nginx -s quit.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std qw(decide answer_of elem unhtml);
use Test::More;
use Time::HiRes qw(time);

my $t = PA::Test->new(workers => 2);

my @STATUSES = qw(400 403 404 405 413 429 500 503);
my $content = "admin x: long enough for gzip to compress it, " . ('x' x 200) . "\n";
$t->write_file('html/admin/x.html', $content);
$t->write_file('html/self/x.html', "self x\n");
$t->write_file('html/50x.html', "STOCK 50x page\n");
for my $s (@STATUSES) {
    $t->write_file("html/err/$s.html", "ERR $s page\n");
    $t->write_file("html/perr/$s.html", "PERR $s page\n");
}

my $protected = <<'EOF';
        location /admin/ { %%STD%% push_approval_approver ops; client_max_body_size 100; }
        location /self/ { %%STD%% push_approval_wait 30s; }
EOF

sub error_pages {
    my ($prefix) = @_;
    return join '', map { "        error_page $_ $prefix/$_.html;\n" } @STATUSES;
}

# name, port index, error page prefix (undef: the stock 50x page), protected
my @V = (
    [ 'stock 50x', 0, undef, 0 ],
    [ 'static error pages', 1, '/err', 0 ],
    [ 'protected error pages', 2, '/perr', 1 ],
);

my $http = PA::Std::stock_http()
    . PA::Std::server(port => '%%PORT%%', name => 's0.test',
        server => "error_page 500 502 503 504 /50x.html;",
        locations => $protected . "        location = /50x.html { }\n")
    . PA::Std::server(port => '%%PORT1%%', name => 's1.test',
        server => error_pages('/err'),
        locations => $protected . "        location /err/ { }\n")
    . PA::Std::server(port => '%%PORT2%%', name => 's2.test',
        server => error_pages('/perr'),
        locations => $protected
            . "        location /perr/ { %%STD%% push_approval_approver ops; push_approval_wait 3s; }\n");

$t->start($http);

my $JS = 'Accept: application/json';
my $BROWSER = 'Accept: text/html,application/xhtml+xml,*/*;q=0.8';
sub user { PA::Std::user('st', 'k') }

sub ask {
    my (%a) = @_;
    return answer_of($t, $t->http_start(timeout => 10, %a));
}

sub wait_url_of {
    my ($body) = @_;
    my ($u) = $body =~ /<[^>]*\bdata-wait="([^"]*)"/;
    return unhtml($u);
}

# the body a request answered with $status by this variant may carry: the
# module's own answer, or the static error page; never a protected page
sub no_protected_page {
    my ($res, $what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    unlike($res->{body}, qr/PERR \d+ page|admin x:/, "$what: no protected content");
}

for my $v (@V) {
    my ($vn, $pi, $ep, $prot) = @$v;
    my $port = $t->port($pi);
    my %P = (port => $port);
    my $static_err = defined $ep && !$prot;

    # --- hold: console, approve page, approve, the cookie ---------------------------

    my $u = user();
    my $h = $t->http_start(%P, path => '/admin/x.html', headers => [$JS, "X-User: $u"]);
    my $p = $t->wait_push(5);
    ok($p && $p->{json}{id}, "$vn, hold: push");
    $p ||= { json => {} };
    my $id = $p->{json}{id} // 'none';
    my $listed = $t->wait_for(sub {
        my $r = $t->http(%P, path => '/_pa/console/?who=ops', headers => [$JS]);
        $r->{status} == 200 && index($r->{body}, "\"$id\"") >= 0;
    }, 5, "$vn: console lists the challenge");
    ok($listed, "$vn, console: lists the pending challenge");
    ok(PA::Std::still_held($h, 0.1), "$vn, hold: held");
    my $r = $t->http(%P, path => PA::Std::approve_path($p) // '/_pa/approve/x',
        headers => [$BROWSER]);
    is($r->{status}, 200, "$vn, approve page: 200");
    like($r->{body}, qr/name="decision"[^>]*value="approve"/, "$vn, approve page: buttons");
    my $d = decide($t, $p, 'approve');
    is($d->{status}, 200, "$vn, hold: approve recorded");
    my $res = answer_of($t, $h);
    is($res->{status}, 200, "$vn, hold: resumed with 200");
    is($res->{body}, $content, "$vn, hold: content");
    my $cn = PA::Std::approval_cookie($t, $res);
    ok($cn, "$vn, hold: approval cookie");
    my $cookie = $t->cookie_header($res);

    # keepalive and gzip with the cookie
    my $r1 = $t->http(%P, path => '/admin/x.html', keepalive => 1,
        headers => ["X-User: $u", $cookie, 'Accept-Encoding: gzip']);
    is($r1->{status}, 200, "$vn, cookie: 200");
    is($t->hdr($r1, 'content-encoding'), 'gzip', "$vn, cookie: gzipped");
    my $r2 = $t->http(%P, path => '/admin/x.html', conn => $r1->{conn},
        headers => ["X-User: $u", $cookie]);
    is($r2->{status}, 200, "$vn, cookie, same connection: 200");
    is($r2->{body}, $content, "$vn, cookie, same connection: content");
    ok($t->no_push(0.2), "$vn, cookie: no push");

    # a passed request keeps its pass through error_page
    $r = $t->http(%P, path => '/admin/missing.html', headers => ["X-User: $u", $cookie]);
    is($r->{status}, 404, "$vn, 404 after the gate passed");
    like($r->{body}, qr/ERR 404 page/, "$vn, 404: the static error page") if $static_err;
    like($r->{body}, qr/PERR 404 page/, "$vn, 404: the protected error page, no second challenge")
        if $prot;
    $r = $t->http(%P, method => 'POST', path => '/admin/x.html', body => 'a=1',
        headers => ["X-User: $u", $cookie, 'Content-Type: application/x-www-form-urlencoded']);
    is($r->{status}, 405, "$vn, 405 after the gate passed");
    like($r->{body}, qr/ERR 405 page/, "$vn, 405: the static error page") if $static_err;
    like($r->{body}, qr/PERR 405 page/, "$vn, 405: the protected error page") if $prot;
    ok($t->no_push(0.2), "$vn, error pages of a passed request: no push");

    # revoke, then the cookie is gated again; deny -> 403
    $r = $t->http(%P, method => 'POST', path => "/_pa/console/revoke/$id?who=ops",
        headers => [$JS, 'Sec-Fetch-Site: same-origin']);
    is($r->{status}, 200, "$vn, console revoke: 200");
    like($r->{body}, qr/"status"\s*:\s*"revoked"/, "$vn, console revoke: revoked");
    $h = $t->http_start(%P, path => '/admin/x.html', headers => [$JS, "X-User: $u", $cookie]);
    $p = $t->wait_push(5);
    ok($p, "$vn, revoked cookie: gated again");
    decide($t, $p, 'deny') if $p;
    $res = answer_of($t, $h);
    is($res->{status}, 403, "$vn, denied: 403");
    like($res->{body}, qr/"denied"|ERR 403 page/, "$vn, denied: the module's answer or the error page");
    no_protected_page($res, "$vn, denied");

    # --- two-step -------------------------------------------------------------------

    $u = user();
    $r = $t->http(%P, path => '/self/x.html', headers => [$JS, "X-User: $u"]);
    is($r->{status}, 401, "$vn, two-step: 401");
    my $j = PA::Std::json_of($r);
    like($j->{code} // '', qr/^\d{6}$/, "$vn, two-step: code");
    $p = $t->wait_push(5);
    ok($p, "$vn, two-step: push");
    my $w = $t->http_start(%P, path => $j->{wait} // '/_pa/wait/x',
        headers => [$JS, 'Push-Approval-Pending: ' . ($j->{pending} // '')]);
    ok(PA::Std::still_held($w, 0.2), "$vn, two-step: wait held");
    $d = decide($t, $p, 'approve', code => $j->{code});
    is($d->{status}, 200, "$vn, two-step: approved with the code");
    my $wr = answer_of($t, $w);
    is($wr->{status}, 200, "$vn, two-step: wait 200");
    is(PA::Std::json_of($wr)->{status}, 'approved', "$vn, two-step: wait JSON approved");
    $r = $t->http(%P, path => '/self/x.html', headers => [$JS, "X-User: $u", $t->cookie_header($wr)]);
    is($r->{status}, 200, "$vn, two-step: the cookie opens");
    is($r->{body}, "self x\n", "$vn, two-step: content");

    # --- page -----------------------------------------------------------------------

    $u = user();
    $r = $t->http(%P, path => '/self/x.html?pg=1', headers => [$BROWSER, "X-User: $u"]);
    is($r->{status}, 202, "$vn, page: 202");
    my $code = elem($r->{body}, 'pa-code');
    like($code // '', qr/^\d{6}$/, "$vn, page: pa-code");
    my $wait = wait_url_of($r->{body});
    like($wait // '', qr{^/_pa/wait/}, "$vn, page: wait URL");
    $p = $t->wait_push(5);
    ok($p, "$vn, page: push");
    $w = $t->http_start(%P, path => $wait // '/_pa/wait/x', headers => [$BROWSER, $t->cookie_header($r)]);
    ok(PA::Std::still_held($w, 0.2), "$vn, page: wait URL held");
    $d = decide($t, $p, 'approve', code => $code);
    is($d->{status}, 200, "$vn, page: approved with the code");
    $wr = answer_of($t, $w);
    is($wr->{status}, 303, "$vn, page: 303 back");
    (my $loc = $t->hdr($wr, 'location') // '') =~ s{^https?://[^/]+}{};
    is($loc, '/self/x.html?pg=1', "$vn, page: Location");
    $r = $t->http(%P, path => $loc || '/self/x.html', headers => [$BROWSER, "X-User: $u", $t->cookie_header($wr)]);
    is($r->{status}, 200, "$vn, page: reloaded with the cookie");

    # --- the endpoints' own errors ------------------------------------------------------

    $r = ask(%P, path => '/_pa/wait/AAAAAAAAAAAAAAAAAAAAAA', headers => [$JS]);
    is($r->{status}, 404, "$vn, wait endpoint, unknown id: 404");
    $r = ask(%P, method => 'POST', path => '/_pa/approve/AAAAAAAAAAAAAAAAAAAAAA.'
        . ('A' x 43), headers => [$JS, 'Content-Type: application/x-www-form-urlencoded'],
        body => 'decision=approve');
    is($r->{status}, 404, "$vn, approve endpoint, unknown id: 404");
    $r = ask(%P, method => 'POST', path => '/_pa/console/revoke/AAAAAAAAAAAAAAAAAAAAAA',
        headers => [$JS, 'Sec-Fetch-Site: same-origin']);
    is($r->{status}, 403, "$vn, console without an identity: 403");
    no_protected_page($r, "$vn, console 403");

    # --- a failed push: 503 -----------------------------------------------------------

    $t->receiver_set(status => 500);
    $r = ask(%P, path => '/admin/x.html', headers => [$JS, 'X-User: ' . user()]);
    is($r->{status}, 503, "$vn, push failed: 503");
    like($r->{body}, qr/push_failed|STOCK 50x page|ERR 503 page/,
        "$vn, push failed: the module's answer or the static error page");
    no_protected_page($r, "$vn, push failed");
    $t->receiver_set(status => 200);
    $t->clear_pushes;
}

$t->quit_clean;
$t->done;
done_testing;
