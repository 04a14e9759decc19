#!/usr/bin/perl

# Hold mode (another person approves, no code): approve, deny, report,
# timeout, late and repeated decisions, unknown ids and bad tokens, the
# approve page (GET never decides), joining, push failures, a paused POST
# whose body reaches the backend, and clients that go away while paused
# (HTTP/1.1 and HTTP/2).

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std qw(decide json_of still_held approval_cookie next_push);
use Test::More;
use Time::HiRes qw(time);

my $t = PA::Test->new(workers => 2);
$t->write_file('html/admin/index.html', "admin page\n");
$t->write_file('html/short/index.html', "short page\n");
$t->write_file('html/open.txt', "open\n");

# the notify location answers within proxy_read_timeout 1s, so a receiver
# that never answers fails the push quickly
my $notify = PA::Std::notify_location('1s');

# a second server, HTTP/2 without TLS, for the HTTP/2 disconnect
my $h2 = <<'EOF' . PA::Std::notify_location() . <<'EOF';
    server {
        listen 127.0.0.1:%%PORT1%% http2;
        server_name localhost;
        root %%DIR%%/html;
EOF
        location /_pa/wait/ { push_approval_endpoint wait; }
        location /admin/ {
            push_approval zone=pa; push_approval_user $arg_u;
            push_approval_notify /_pa/notify; push_approval_approver ops;
        }
    }
EOF

$t->start(PA::Std::conf(notify => $notify, http => $h2, locations => <<'EOF'));
        location /admin/ { %%STD%% push_approval_approver ops; }
        location /short/ { %%STD%% push_approval_approver ops; push_approval_wait 2s; }
        location /post/ {
            %%STD%% push_approval_approver ops;
            client_max_body_size 1m;
            proxy_pass http://127.0.0.1:%%RECEIVER%%/backend/;
        }
        location = /open.txt { }
EOF

my $uan = 0;

# a user of its own for each challenge (per-user limits never interfere)
sub user { PA::Std::user('h', 'q') }

# a User-Agent of its own for each challenge, so that nothing joins by chance
sub ua { 'User-Agent: hold-test/' . ++$uan . (defined $_[0] ? " $_[0]" : '') }

# status, problem+json media type and the problem fields (reason, status,
# type, title, approval_id)
sub problem_ok {
    my ($res, $status, $reason, $id, $what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is($res->{status}, $status, "$what: status $status");
    like($t->hdr($res, 'content-type') // '', qr{^application/problem\+json},
        "$what: problem+json");
    my $j = json_of($res);
    is($j->{reason}, $reason, "$what: reason $reason");
    is($j->{status}, $status, "$what: status field");
    ok(defined $j->{type} && length $j->{type}, "$what: type field");
    ok(defined $j->{title} && length $j->{title}, "$what: title field");
    is($j->{approval_id}, $id, "$what: approval_id") if defined $id;
    return $j;
}

sub rand_b64url {
    my ($n) = @_;
    my @c = ('A' .. 'Z', 'a' .. 'z', '0' .. '9', '-', '_');
    return join '', map { $c[int rand @c] } 1 .. $n;
}

# --- approve -----------------------------------------------------------------

my $ua = ua();
my $u1 = user();
my $h = $t->http_start(path => "/admin/?u=$u1", headers => [$ua]);
my $push = next_push($t);
ok($push, 'approve: push sent');
is($push && $push->{uri}, '/push', 'approve: push to the notify uri');
ok($push && !$push->{json}{code_required}, 'approve: four-eyes, no code');
ok(still_held($h, 0.2), 'approve: request held before the decision');

my $dec = decide($t, $push, 'approve');
is($dec->{status}, 200, 'approve: decision recorded');
is(json_of($dec)->{status}, 'approved', 'approve: JSON status approved');
is(json_of($dec)->{id}, $push->{json}{id}, 'approve: JSON id');

my $res = $t->http_wait($h, 5);
is($res->{status}, 200, 'approve: held request resumed with 200');
is($res->{body}, "admin page\n", 'approve: content served');
my $cname = approval_cookie($t, $res);
ok($cname, 'approve: approval cookie set');
my $ca = $cname ? $t->cookie_attrs($res, $cname) : {};
is($ca->{path}, '/admin/', 'approve: cookie Path = scope');
is($ca->{'max-age'}, 900, 'approve: cookie Max-Age = ttl (15m)');
ok($ca->{httponly}, 'approve: cookie HttpOnly');
is(lc($ca->{samesite} // ''), 'strict', 'approve: cookie SameSite=Strict');
ok(!$ca->{secure}, 'approve: no Secure on plain http (auto)');
like($t->hdr($res, 'cache-control') // '', qr/private/, 'approve: Cache-Control private');
like($t->hdr($res, 'cache-control') // '', qr/no-store/, 'approve: Cache-Control no-store');
$res = $t->http(path => "/admin/?u=$u1", headers => [$ua, $t->cookie_header($res)]);
is($res->{status}, 200, 'approve: the cookie passes');
ok($t->no_push(0.2), 'approve: no push with the cookie');
ok($t->wait_log('access.log', qr/ 200 GET \/admin\/index\.html st=approved /, 5),
    'approve: log shows approved');

# --- deny, report ----------------------------------------------------------------

for my $case (['deny', 'denied'], ['report', 'reported']) {
    my ($decision, $reason) = @$case;
    $h = $t->http_start(path => '/admin/?u=' . user(), headers => [ua()]);
    $push = next_push($t);
    ok($push, "$decision: push sent");
    $dec = decide($t, $push, $decision);
    is($dec->{status}, 200, "$decision: decision recorded");
    is(json_of($dec)->{status}, $reason, "$decision: JSON status $reason");
    $res = $t->http_wait($h, 5);
    problem_ok($res, 403, $reason, $push->{json}{id}, "$decision: requester");
    ok(!approval_cookie($t, $res), "$decision: no approval cookie");

    # a decided challenge POSTed again
    my $again = decide($t, $push, 'approve');
    problem_ok($again, 410, 'gone', undef, "$decision: decided challenge again");
}

# --- timeout, late approval ---------------------------------------------------------

my $t0 = time;
$h = $t->http_start(path => '/short/?u=' . user(), headers => [ua()]);
$push = next_push($t);
ok($push, 'timeout: push sent');
$res = $t->http_wait($h, 6);
my $took = time - $t0;
problem_ok($res, 403, 'timeout', $push->{json}{id}, 'timeout');
# the challenge's expiry is kept in whole seconds: the wait is 1-2 s here
cmp_ok($took, '>=', 1.0, 'timeout: after push_approval_wait');
cmp_ok($took, '<', 3.5, 'timeout: not much later');

$dec = decide($t, $push, 'approve');
problem_ok($dec, 410, 'gone', undef, 'approval after the timeout');

# --- a decision while the notify subrequest still waits for the gateway ---------------
# The gateway has the push (the approver may already see it) but has not
# answered nginx yet: the challenge is open, a decision must be taken.

$t->receiver_set(delay => 0.6);    # under the notify proxy_read_timeout 1s
$h = $t->http_start(path => '/admin/?u=' . user(), headers => [ua()]);
$push = $t->wait_push(5);
ok($push, 'in flight: push received by the gateway');
$dec = decide($t, $push, 'approve');
is($dec->{status}, 200, 'in flight: a decision before the gateway answered is taken')
    or diag("decision answered $dec->{status}: $dec->{body}");
$t->receiver_set(delay => 0);
if ($dec->{status} != 200) {
    # let the request end: decide once the challenge is listed as pending
    $t->wait_for(sub {
        index($t->http(path => '/_pa/console/?who=ops',
            headers => ['Accept: application/json'])->{body}, $push->{json}{id}) >= 0
    }, 5, 'in flight: challenge pending');
    decide($t, $push, 'approve');
}
$res = $t->http_wait($h, 5);
is($res->{status}, 200, 'in flight: the request is approved');

# --- unknown id, bad token -----------------------------------------------------------

my $pageuser = user();
$h = $t->http_start(path => "/admin/?u=$pageuser", headers => [ua()]);
$push = next_push($t);
my $path = PA::Std::approve_path($push);
my ($prefix, $id, $token) = $path =~ m{^(.*/)([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$};
ok($token, 'approve URL is L{id}.{token}') or diag($path);
(my $bad = $token) =~ s/^(.)/$1 eq 'A' ? 'B' : 'A'/e;
my $unknown = $prefix . rand_b64url(22) . '.' . $token;

$res = decide($t, undef, 'deny', path => "$prefix$id.$bad");
problem_ok($res, 404, 'not_found', undef, 'POST bad token');
$res = decide($t, undef, 'deny', path => $unknown);
problem_ok($res, 404, 'not_found', undef, 'POST unknown id');
$res = $t->http(method => 'POST', path => "$prefix$id",
    headers => ['Accept: application/json', "Authorization: Bearer $bad",
        'Content-Type: application/x-www-form-urlencoded'],
    body => 'decision=deny');
problem_ok($res, 404, 'not_found', undef, 'POST bad Bearer token');
$res = $t->http(method => 'POST', path => "$prefix$id",
    headers => ['Accept: application/json', 'Content-Type: application/x-www-form-urlencoded'],
    body => 'decision=deny');
is($res->{status}, 404, 'POST L{id} without a token: 404');
$res = $t->http(path => "$prefix$id.$bad", headers => ['Accept: application/json']);
is($res->{status}, 404, 'GET bad token: 404');
$res = $t->http(path => $unknown, headers => ['Accept: application/json']);
is($res->{status}, 404, 'GET unknown id: 404');
$res = $t->http(path => "$prefix$id.$bad", headers => ['Accept: text/html']);
is($res->{status}, 404, 'GET bad token, browser: 404');
ok(still_held($h, 0.2), 'bad tokens decided nothing');

# --- GET on the approve URL: a page, never a decision --------------------------------

$res = $t->http(path => $path, headers => ['Accept: text/html']);
is($res->{status}, 200, 'approve page: 200');
like($t->hdr($res, 'content-type') // '', qr{^text/html}, 'approve page: html');
my $page = $res->{body};
like($page, qr/\Q$pageuser\E/, 'approve page names the user');
like($page, qr/127\.0\.0\.1/, 'approve page names the client address');
like($page, qr{hold-test/$uan}, 'approve page names the agent');
like($page, qr/localhost/, 'approve page names the server');
like($page, qr{/admin/}, 'approve page names the scope');
like($page, qr/<button[^>]*name="decision"[^>]*value="approve"/, 'button approve');
like($page, qr/<button[^>]*name="decision"[^>]*value="deny"/, 'button deny');
like($page, qr/<button[^>]*name="decision"[^>]*value="report"/, 'button report');
unlike($page, qr/<input[^>]*name="code"/, 'no code field for a no-code challenge');

# a GET with Accept: application/json, and a HEAD, decide nothing either
$t->http(path => $path, headers => ['Accept: application/json']);
$t->http(method => 'HEAD', path => $path);
$t->http(path => "$path?decision=approve");
ok(still_held($h, 0.3), 'after GETs the request is still held');
ok($t->no_push(0.1), 'no new push');

$dec = decide($t, $push, 'approve');
is($dec->{status}, 200, 'POST approve after the GETs works');
$res = $t->http_wait($h, 5);
is($res->{status}, 200, 'request resumed after the POST');

# --- ten concurrent requests join one push --------------------------------------------

$ua = ua('join');
my $ju = user();
my @hs = map { $t->http_start(path => "/admin/?u=$ju", headers => [$ua]) } 1 .. 10;
$push = next_push($t);
ok($push, 'join: first push');
ok($t->no_push(1.0), 'join: ten requests, one push');
ok(!grep({ !still_held($_, 0) } @hs), 'join: all ten held');
$dec = decide($t, $push, 'approve');
is($dec->{status}, 200, 'join: one approval');
my @res = $t->http_wait_all(\@hs, 5);
is(join(' ', map { $_->{status} } @res), join(' ', (200) x 10), 'join: all ten get 200');
is(scalar(grep { approval_cookie($t, $_) } @res), 10, 'join: all ten get the cookie');
ok($t->no_push(0.2), 'join: still one push');

# --- different agents or users do not join -----------------------------------------

for my $case (
    [ 'agents', ['/admin/?u=' . ($ju = user()), ua('a')], ["/admin/?u=$ju", ua('b')] ],
    [ 'users',  ['/admin/?u=' . user(), $ua = ua('c')], ['/admin/?u=' . user(), $ua] ],
) {
    my ($what, @req) = @$case;
    my @h = map { $t->http_start(path => $_->[0], headers => [$_->[1]]) } @req;
    my @p = grep { $_ } (next_push($t), next_push($t));
    is(scalar @p, 2, "different $what: two pushes");
    isnt($p[0]{json}{id}, $p[1]{json}{id}, "different $what: two challenges") if @p == 2;
    ok($t->no_push(0.3), "different $what: no third push");
    # the Bearer form: POST L{id}, the token in Authorization
    for my $p (@p) {
        my ($pre, $pid, $tok) = PA::Std::approve_path($p) =~ m{^(.*/)([^/.]+)\.([^/.]+)$};
        my $d = $t->http(method => 'POST', path => "$pre$pid",
            headers => ['Accept: application/json', "Authorization: Bearer $tok",
                'Content-Type: application/x-www-form-urlencoded'],
            body => 'decision=approve');
        is($d->{status}, 200, "different $what: approved with a Bearer token");
    }
    my @r = $t->http_wait_all(\@h, 5);
    is(join(' ', map { $_->{status} } @r), '200 200', "different $what: both approved");
}

# --- push failures -------------------------------------------------------------------

for my $case ([ 'status 500', status => 500 ], [ 'receiver closes', close => 1 ],
              [ 'receiver never answers', delay => 'never' ])
{
    my ($what, @set) = @$case;
    $t->receiver_set(@set);
    $t0 = time;
    $res = $t->http(path => '/admin/?u=' . user(), headers => [ua()], timeout => 8);
    problem_ok($res, 503, 'push_failed', undef, "push failure ($what)");
    ok($t->wait_push(2), "push failure ($what): the push was tried");
    cmp_ok(time - $t0, '<', 3, "push failure ($what): answered without waiting for the wait")
        if $what =~ /never/;
    $t->receiver_set(status => 200, close => 0, delay => 0);
}
ok($t->wait_log('access.log', qr/ 503 GET \/admin\/ st=push_failed /, 5),
    'push failure: logged as push_failed');

# --- a paused POST: its body reaches the backend after approval --------------------------

my $pu;
for my $case (['small', "a=1&b=two&c=%26x"], ['large', join('', map { chr(65 + $_ % 26) } 1 .. 70000)]) {
    my ($what, $body) = @$case;
    $h = $t->http_start(method => 'POST', path => '/post/save?u=' . ($pu = user()),
        headers => [ua(), 'Content-Type: application/x-www-form-urlencoded'],
        body => $body);
    $push = next_push($t);
    is($push && $push->{uri}, '/push', "POST $what: the push comes first");
    is($push && $push->{json}{method}, 'POST', "POST $what: push names the method");
    ok($t->no_push(0.3), "POST $what: nothing reaches the backend before approval");
    ok(still_held($h, 0), "POST $what: request held");
    decide($t, $push, 'approve');
    my $be = $t->wait_push(5);
    ok($be, "POST $what: backend request after approval");
    is($be && $be->{uri}, "/backend/save?u=$pu", "POST $what: backend uri");
    is($be && $be->{method}, 'POST', "POST $what: backend method");
    ok($be && $be->{body} eq $body, "POST $what: the exact body reached the backend")
        or diag('backend got ' . length($be ? $be->{body} // '' : '') . ' bytes, sent ' . length $body);
    $res = $t->http_wait($h, 5);
    is($res->{status}, 200, "POST $what: 200 from the backend");
    ok(approval_cookie($t, $res), "POST $what: approval cookie");
}

# --- a client that disconnects while paused (HTTP/1.1) ------------------------------------

my $pos = $t->log_size('access.log');
$h = $t->http_start(path => '/admin/gone?u=' . user(), headers => [ua()]);
$push = next_push($t);
ok($push, 'disconnect: push sent');
$t->http_abort($h);
ok($t->wait_log('access.log', qr/ 499 GET \/admin\/gone /, 5, $pos), 'disconnect: 499 logged');
$dec = decide($t, $push, 'approve');
is($dec->{status}, 200, 'disconnect: approving afterwards is fine');
$res = $t->http(path => '/open.txt');
is($res->{status}, 200, 'disconnect: another request works');
$h = $t->http_start(path => '/admin/?u=' . user(), headers => [ua()]);
$push = next_push($t);
decide($t, $push, 'approve');
is($t->http_wait($h, 5)->{status}, 200, 'disconnect: another held request works');

# --- HTTP/2: the client goes away while paused --------------------------------------------

SKIP: {
    my $v = `curl -V 2>/dev/null`;
    skip 'curl without HTTP/2', 8 unless $v =~ /HTTP2/;

    my @before = $t->worker_pids;
    $pos = $t->log_size('access.log');
    my $out = $t->dir . '/curl.out';
    $t0 = time;
    my $rc = system('curl', '-s', '-o', $out,
        '--http2-prior-knowledge', '-m', '1',
        'http://127.0.0.1:' . $t->port(1) . '/admin/h2?u=' . user());
    my $curl_rc = $rc >> 8;
    is($curl_rc, 28, 'HTTP/2: curl timed out (request held)');
    $push = next_push($t);
    ok($push, 'HTTP/2: push sent');
    is($push && $push->{json}{agent} =~ /^curl/ ? 1 : 0, 1, 'HTTP/2: push from curl');
    ok($t->wait_log('access.log', qr/ 499 GET \/admin\/h2 /, 5, $pos), 'HTTP/2: 499 logged');
    $dec = decide($t, $push, 'approve');
    is($dec->{status}, 200, 'HTTP/2: approving afterwards');
    $res = $t->http(path => '/open.txt');
    is($res->{status}, 200, 'HTTP/2: server still answers');
    is(join(' ', sort $t->worker_pids), join(' ', sort @before), 'HTTP/2: no worker died');
    unlike($t->errlog, qr/\[(alert|crit)\]/, 'HTTP/2: no alert or crit');
}

$t->done;
done_testing;
