#!/usr/bin/perl

# nginx features meeting the gate: `rewrite ... last` and X-Accel-Redirect
# into a protected place (a new request there is gated), named locations
# through try_files (a passed request stays passed) and error_page (an
# unpassed one is gated afresh), proxy_intercept_errors with error_page on
# a protected proxied location, limit_req in front of a protected place,
# HTTP/2 (h2c prior knowledge) held and approved, pipelined requests behind
# a held one, chunked and oversized bodies of a held POST, and
# client_body_timeout on a held POST whose client stalls.  Every request
# answered in bounded time; nothing left open at nginx -s quit.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std qw(decide);
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(time);

my $t = PA::Test->new(workers => 2);

$t->write_file('html/admin/x.txt', "admin x\n");
$t->write_file('html/open/x.txt', "open x\n");
$t->write_file('html/pint/secret.txt', "INTERNAL SECRET\n");
$t->write_file('html/pieerr/500.html', "PIE ERR 500\n");
$t->write_file('html/lr/x.txt', "lr x\n");
$t->write_file('html/lr2/x.txt', "lr2 x\n");
$t->write_file("html/pieerr/$_.html", "PIE ERR $_\n") for qw(408 503);
$t->write_file('html/open/413.html', "OPEN 413\n");
$t->write_file('html/open/408.html', "OPEN 408\n");

my $protected = <<'EOF';
        location /admin/ { %%STD%% push_approval_approver ops; }
        location /open/ { }
        location /rw/ { rewrite ^/rw/(.*)$ /admin/$1 last; }
        location /named/ { %%STD%% push_approval_approver ops; try_files $uri @nfallback; }
        location @nfallback {
            %%STD%% push_approval_approver ops; push_approval_scope /named/;
            proxy_pass http://127.0.0.1:%%RECEIVER%%;
        }
        location /np/ { error_page 404 = @nprot; }
        location @nprot {
            %%STD%% push_approval_approver ops; push_approval_scope /np/;
            proxy_pass http://127.0.0.1:%%RECEIVER%%;
        }
        location /xa/ { proxy_pass http://127.0.0.1:%%PORT1%%/xa/; }
        location /pint/ { internal; %%STD%% push_approval_approver ops; }
        location /pie/ {
            %%STD%% push_approval_approver ops;
            proxy_pass http://127.0.0.1:%%PORT1%%/status500/;
            proxy_intercept_errors on;
            error_page 500 /pieerr/500.html;
        }
        location /pieerr/ { %%STD%% push_approval_approver ops; }
        location /lr/ { limit_req zone=lr; %%STD%% push_approval_approver ops; }
        location /post/ {
            %%STD%% push_approval_approver ops;
            client_max_body_size 1m;
            proxy_pass http://127.0.0.1:%%RECEIVER%%/backend/;
        }
        location /lr2/ {
            limit_req zone=lr2; error_page 503 /pieerr/503.html;
            %%STD%% push_approval_approver ops;
        }
        location /post2/ {
            %%STD%% push_approval_approver ops;
            client_max_body_size 10;
            error_page 413 /open/413.html;
            proxy_pass http://127.0.0.1:%%RECEIVER%%/backend/;
        }
        location /cbt2/ {
            %%STD%% push_approval_approver ops;
            client_body_timeout 1s;
            error_page 408 /pieerr/408.html;
            proxy_pass http://127.0.0.1:%%RECEIVER%%/backend/;
        }
        location /cbt3/ {
            %%STD%% push_approval_approver ops;
            client_body_timeout 1s;
            error_page 408 /open/408.html;
            proxy_pass http://127.0.0.1:%%RECEIVER%%/backend/;
        }
        location /cbt/ {
            %%STD%% push_approval_approver ops;
            client_body_timeout 1s;
            proxy_pass http://127.0.0.1:%%RECEIVER%%/backend/;
        }
EOF

my $backend = <<'EOF';
    server {
        listen 127.0.0.1:%%PORT1%%;
        server_name backend.test;
        location /xa/ {
            add_header X-Accel-Redirect /pint/secret.txt;
            return 200 "backend body\n";
        }
        location /status500/ { return 500 "backend 500\n"; }
    }
EOF

$t->start(PA::Std::stock_http(http => 'limit_req_zone $http_x_user zone=lr:1m rate=1r/m; limit_req_zone $http_x_user zone=lr2:1m rate=1r/m;')
    . PA::Std::server(name => 's0.test', locations => $protected)
    . PA::Std::server(port => '%%PORT2%%', name => 's0.test', listen => 'http2',
        endpoint_url => 'http://127.0.0.1:%%PORT%%/_pa/approve/', locations => $protected)
    . $backend);

my $JS = 'Accept: application/json';
sub user { PA::Std::user('ft', 'w') }

# a request that must be gated: (answer, push) after $decision
sub gated {
    my ($what, $decision, %a) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $h = $t->http_start(timeout => 10, %a);
    my $p = $t->wait_push(5);
    ok($p && $p->{uri} eq '/push', "$what: gated (push)");
    my $d = $p ? decide($t, $p, $decision) : { status => 0 };
    is($d->{status}, 200, "$what: $decision recorded");
    my $res = $t->http_wait($h, 10);
    ok($res->{status}, "$what: answered") or diag($res->{error});
    return ($res, $p);
}

# --- rewrite ... last into a protected place --------------------------------------------

{
    my $u = user();
    my ($res) = gated('rewrite last into /admin/', 'deny',
        path => '/rw/x.txt', headers => [$JS, "X-User: $u"]);
    is($res->{status}, 403, 'rewrite last: denied, 403');
    unlike($res->{body}, qr/admin x/, 'rewrite last: no content unapproved');
    ($res) = gated('rewrite last, approved', 'approve',
        path => '/rw/x.txt', headers => [$JS, "X-User: $u", 'User-Agent: rw2']);
    is($res->{body}, "admin x\n", 'rewrite last, approved: content');
}

# --- named locations --------------------------------------------------------------------------

{
    my $u = user();
    my ($res) = gated('try_files to a protected named location', 'approve',
        path => '/named/missing?x=1', headers => [$JS, "X-User: $u"]);
    is($res->{status}, 200, 'try_files @named after approval: 200');
    my $be = $t->wait_push(5);
    is($be && $be->{uri}, '/named/missing?x=1', 'try_files @named: the backend got the request');
    ok($t->no_push(0.3), 'try_files @named: no second challenge');

    # an unprotected location whose error_page lands in a protected named location
    my $r;
    ($r) = gated('error_page into a protected named location', 'deny',
        path => '/np/missing', headers => [$JS, 'X-User: ' . user()]);
    ok($r->{status} == 403 || $r->{status} == 404, 'error_page @named, denied: 403 (or the 404 kept)')
        or diag("status $r->{status}");
    ok($t->no_push(0.3), 'error_page @named, denied: the backend never asked');
}

# --- X-Accel-Redirect from a backend into a protected internal location ----------------------------

{
    my $u = user();
    my $h = $t->http_start(path => '/xa/x', headers => [$JS, "X-User: $u"], timeout => 10);
    my $p = $t->wait_push(5);
    ok($p && $p->{uri} eq '/push', 'X-Accel-Redirect into a protected place: gated (push)');
    decide($t, $p, 'deny') if $p;
    my $res = $t->http_wait($h, 10);
    ok($res->{status}, 'X-Accel-Redirect: answered') or diag($res->{error});
    unlike($res->{body}, qr/INTERNAL SECRET/, 'X-Accel-Redirect: no protected content unapproved');
    isnt($res->{status}, 200, 'X-Accel-Redirect, denied: not 200');

    my ($ok) = gated('X-Accel-Redirect, approved', 'approve',
        path => '/xa/x', headers => [$JS, "X-User: $u", 'User-Agent: xa2']);
    is($ok->{body}, "INTERNAL SECRET\n", 'X-Accel-Redirect, approved: the internal file');
}

# --- proxy_intercept_errors with error_page on a protected proxied location -------------------------

{
    my ($res) = gated('proxy_intercept_errors', 'approve',
        path => '/pie/x', headers => [$JS, 'X-User: ' . user()]);
    is($res->{status}, 500, 'proxy_intercept_errors: 500');
    is($res->{body}, "PIE ERR 500\n", 'proxy_intercept_errors: the protected error page of a passed request');
    ok($t->no_push(0.3), 'proxy_intercept_errors: no second challenge');
}

# --- limit_req in front of a protected place ----------------------------------------------------------

{
    my $u = user();
    my ($res) = gated('limit_req, first request', 'deny', path => '/lr/x.txt',
        headers => [$JS, "X-User: $u"]);
    is($res->{status}, 403, 'limit_req, first request: denied');
    my $r = $t->http(path => '/lr/x.txt', headers => [$JS, "X-User: $u", 'User-Agent: lr2'],
        timeout => 10);
    is($r->{status}, 503, 'limit_req: 503 from limit_req');
    ok($t->no_push(0.5), 'limit_req: no push');
}

{
    # limit_req's 503 redirected by error_page into a protected place: a
    # new request there, gated afresh (denied here), never the page unapproved
    my $u = user();
    my ($res) = gated('limit_req with error_page, first request', 'deny', path => '/lr2/x.txt',
        headers => [$JS, "X-User: $u"]);
    my $h = $t->http_start(path => '/lr2/x.txt', headers => [$JS, "X-User: $u", 'User-Agent: lr2b'],
        timeout => 10);
    my $p = $t->wait_push(2);
    decide($t, $p, 'deny') if $p;
    my $r = $t->http_wait($h, 10);
    ok($r->{status} == 503 || $r->{status} == 403, 'limit_req with error_page: 503 (or 403 gated afresh)')
        or diag("status $r->{status} " . ($r->{error} // ''));
    unlike($r->{body}, qr/PIE ERR/, 'limit_req with error_page: no protected page unapproved');
}

# --- HTTP/2 (h2c, prior knowledge) held and approved --------------------------------------------------------

{
    my $u = user();
    my $base = 'http://127.0.0.1:' . $t->port(2);
    my $c = $t->curl_start('--http2-prior-knowledge', '-H', 'Accept: application/json',
        '-H', "X-User: $u", "$base/admin/x.txt");
    my $p = $t->wait_push(5);
    ok($p && $p->{uri} eq '/push', 'HTTP/2: gated (push)');
    decide($t, $p, 'approve') if $p;
    my $res = $t->curl_wait($c, 15);
    is($res->{rc}, 0, 'HTTP/2: curl finished');
    is($res->{status}, 200, 'HTTP/2 held request approved: 200');
    is($res->{body}, "admin x\n", 'HTTP/2: content');
    ok(grep({ /^pa_[0-9a-f]{8}=/ } @{ $res->{headers}{'set-cookie'} || [] }), 'HTTP/2: approval cookie');

    # a held POST with a body over HTTP/2
    my $body = join '', map { chr(97 + $_ % 26) } 1 .. 30000;
    $t->write_file('h2body', $body);
    $c = $t->curl_start('--http2-prior-knowledge', '-H', 'Accept: application/json',
        '-H', "X-User: $u", '-H', 'User-Agent: h2post', '--data-binary', '@' . $t->dir . '/h2body',
        "$base/post/h2");
    $p = $t->wait_push(5);
    ok($p && $p->{uri} eq '/push', 'HTTP/2 POST: gated (push)');
    decide($t, $p, 'approve') if $p;
    my $be = $t->wait_push(5);
    ok($be && $be->{body} eq $body, 'HTTP/2 POST: the exact body reached the backend');
    $res = $t->curl_wait($c, 15);
    is($res->{status}, 200, 'HTTP/2 POST approved: 200');

    # over client_max_body_size, error_page 413 to a static page (nginx
    # 1.26 resets the stream after its early answer: curl may report the
    # reset (exit 92) instead of the answer; the log shows the answer)
    my $off = $t->log_size('access.log');
    $c = $t->curl_start('--http2-prior-knowledge', '-H', 'Accept: application/json',
        '-H', "X-User: $u", '-H', 'User-Agent: h2big', '--data-binary', '@' . $t->dir . '/h2body',
        "$base/post2/h2");
    $res = $t->curl_wait($c, 15);
    ok($res->{status} == 413 || $res->{rc} == 92, 'HTTP/2 POST over the limit: 413 (or the stream reset)')
        or diag("status $res->{status}, curl exit $res->{rc}");
    is($res->{body}, "OPEN 413\n", 'HTTP/2 POST over the limit: the error page') if $res->{status};
    ok($t->wait_log('access.log', qr{ 413 GET /open/413\.html }, 5, $off),
        'HTTP/2 POST over the limit: answered with the error page');
    ok($t->no_push(0.3), 'HTTP/2 POST over the limit: no push');

    # denied
    $c = $t->curl_start('--http2-prior-knowledge', '-H', 'Accept: application/json',
        '-H', "X-User: $u", '-H', 'User-Agent: h2deny', "$base/admin/x.txt");
    $p = $t->wait_push(5);
    decide($t, $p, 'deny') if $p;
    $res = $t->curl_wait($c, 15);
    is($res->{status}, 403, 'HTTP/2 held request denied: 403');
}

{
    my $r = $t->http(path => '/post2/x', method => 'POST', body => 'x' x 100,
        headers => [$JS, 'X-User: ' . user()], timeout => 10);
    is($r->{status}, 413, 'POST over the limit, error_page 413: 413');
    is($r->{body}, "OPEN 413\n", 'POST over the limit, error_page 413: the error page');
    ok($t->no_push(0.3), 'POST over the limit, error_page 413: no push');
}

# --- keepalive: a held request approved, then the next one on the connection -------------

{
    my $u = user();
    my $h = $t->http_start(path => '/admin/x.txt', keepalive => 1, timeout => 10,
        headers => [$JS, "X-User: $u"]);
    my $p = $t->wait_push(5);
    decide($t, $p, 'approve') if $p;
    my $res = $t->http_wait($h, 10);
    is($res->{status}, 200, 'keepalive: held request approved');
    ok($res->{conn}, 'keepalive: connection kept');
    my $r = $t->http(conn => $res->{conn}, path => '/admin/x.txt',
        headers => [$JS, "X-User: $u", $t->cookie_header($res)]);
    is($r->{status}, 200, 'keepalive: the next request with the cookie on the same connection');
    ok($t->no_push(0.2), 'keepalive: no push');
}

# all that socket $s receives until the server closes it (at most 10 s);
# the socket is closed
sub read_to_close {
    my ($s) = @_;
    my $all = '';
    my $end = time + 10;
    $s->blocking(0);
    while (time < $end) {
        my $rin = '';
        vec($rin, fileno($s), 1) = 1;
        select(my $rout = $rin, undef, undef, 0.2) or next;
        my $n = sysread($s, my $buf, 65536);
        last unless $n;
        $all .= $buf;
    }
    close $s;
    return $all;
}

# --- pipelining: a held request, then another on the same connection ------------------------------------------

{
    my $u = user();
    my $raw = "GET /admin/x.txt HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n"
        . "X-User: $u\r\n\r\n"
        . "GET /open/x.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port,
        Timeout => 5);
    print {$s} $raw;
    my $p = $t->wait_push(5);
    ok($p && $p->{uri} eq '/push', 'pipelined: the first request is gated');
    decide($t, $p, 'approve') if $p;
    my $all = read_to_close($s);
    my @st = $all =~ m{^HTTP/1\.1 (\d{3})}mg;
    is("@st", '200 200', 'pipelined: both answered, in order');
    like($all, qr/admin x\n.*open x\n/s, 'pipelined: the held one first, then the second');

    # the held one denied
    $raw =~ s/X-User: \Q$u\E/'X-User: ' . user()/e;
    $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port, Timeout => 5);
    print {$s} $raw;
    $p = $t->wait_push(5);
    decide($t, $p, 'deny') if $p;
    $all = read_to_close($s);
    @st = $all =~ m{^HTTP/1\.1 (\d{3})}mg;
    is("@st", '403 200', 'pipelined, the first denied: 403, then the second answered');

    # both protected: the second (without the first's cookie) makes its own
    # challenge once the first is answered
    $u = user();
    $raw = "GET /admin/x.txt HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n"
        . "X-User: $u\r\n\r\n"
        . "GET /admin/x.txt?2 HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n"
        . "X-User: $u\r\nConnection: close\r\n\r\n";
    $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port, Timeout => 5);
    print {$s} $raw;
    my @d;
    for my $n (1, 2) {
        $p = $t->wait_push(5);
        ok($p && $p->{uri} eq '/push', "pipelined, both protected: challenge $n");
        push @d, $p && $p->{json}{id};
        decide($t, $p, 'approve') if $p;
    }
    isnt($d[0] // '', $d[1] // '', 'pipelined, both protected: two challenges');
    $all = read_to_close($s);
    @st = $all =~ m{^HTTP/1\.1 (\d{3})}mg;
    is("@st", '200 200', 'pipelined, both protected: both approved and answered');
}

# --- chunked and oversized bodies of a held POST ----------------------------------------------------------------

for my $case (['chunked', 5000], ['chunked, over the buffer (temp file)', 300000]) {
    my ($what, $len) = @$case;
    my $body = join '', map { chr(65 + $_ % 26) } 1 .. $len;
    my $chunked = '';
    for (my $i = 0; $i < length $body; $i += 4096) {
        my $c = substr($body, $i, 4096);
        $chunked .= sprintf("%x\r\n%s\r\n", length $c, $c);
    }
    $chunked .= "0\r\n\r\n";
    my $h = $t->http_start(path => '/post/c', timeout => 10,
        method => 'POST', body => $chunked,
        headers => [$JS, 'X-User: ' . user(), 'Transfer-Encoding: chunked']);
    my $p = $t->wait_push(5);
    ok($p && $p->{uri} eq '/push', "POST $what: gated");
    decide($t, $p, 'approve') if $p;
    my $be = $t->wait_push(5);
    ok($be && $be->{body} eq $body, "POST $what: the exact body reached the backend")
        or diag('backend got ' . length($be ? $be->{body} // '' : '') . " of $len bytes");
    is($t->http_wait($h, 10)->{status}, 200, "POST $what: 200");
}

{
    # over client_max_body_size: 413, no push
    my $r = $t->http(path => '/post/big', method => 'POST', body => 'x' x (1024 * 1024 + 10),
        headers => [$JS, 'X-User: ' . user()], timeout => 10);
    is($r->{status}, 413, 'POST over client_max_body_size: 413');
    ok($t->no_push(0.3), 'POST over client_max_body_size: no push');
}

# --- client_body_timeout on a held POST whose client stalls --------------------------------------------------------

{
    my $off = $t->log_size('access.log');
    my $t0 = time;
    my $h = $t->http_start(path => '/cbt/x', timeout => 10,
        raw => "POST /cbt/x HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n"
            . 'X-User: ' . user() . "\r\nContent-Length: 100\r\n\r\n0123456789");
    my $r = $t->http_wait($h, 10);
    ok($r->{status} == 408 || ($r->{error} // '') =~ /closed|read|no response/,
        'client_body_timeout: 408 or the connection closed')
        or diag("status $r->{status} " . ($r->{error} // ''));
    cmp_ok(time - $t0, '<', 8, 'client_body_timeout: ended in bounded time');
    ok($t->no_push(0.3), 'client_body_timeout: no push for an incomplete body');
    ok($t->wait_log('access.log', qr{ POST /cbt/x }, 5, $off), 'client_body_timeout: logged');
}

# with error_page 408 to a protected page and to a static one
for my $case (['protected', '/cbt2/x'], ['static', '/cbt3/x']) {
    my ($what, $path) = @$case;
    my $t0 = time;
    my $h = $t->http_start(path => $path, timeout => 10,
        raw => "POST $path HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n"
            . 'X-User: ' . user() . "\r\nContent-Length: 100\r\n\r\n0123456789");
    my $end = time + 10;
    while (time < $end && PA::Std::still_held($h, 0.1)) {
        while (my $p = $t->wait_push(0.05)) { decide($t, $p, 'deny') if $p->{json} }
    }
    my $r = $t->http_wait($h, 1);
    ok($r->{status} || ($r->{error} // '') =~ /closed|no response/,
        "client_body_timeout, error_page 408 to a $what page: answered or closed")
        or diag("status $r->{status} " . ($r->{error} // ''));
    cmp_ok(time - $t0, '<', 8, "client_body_timeout, error_page 408 to a $what page: bounded time");
    unlike($r->{body}, qr/PIE ERR/, "client_body_timeout, error_page 408 to a $what page: no protected page");
}

$t->quit_clean;
$t->done;
done_testing;
