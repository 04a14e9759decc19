#!/usr/bin/perl

# A push provider that misbehaves (issue 5): slow (longer than the notify
# location's proxy_read_timeout: 503 push_failed; shorter: works),
# garbage instead of HTTP, no listener at all, 3xx/4xx/5xx statuses, too
# big a header: 503 push_failed, and the failed challenge cannot be
# approved afterwards.  2xx with a 1 MB body works (the answer is
# discarded).  A provider that holds the connection while the client
# gives up: the challenge fails closed.  Requests joined to a challenge
# whose push failed all end with 503.  Never a crash, a hang or a pass.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std qw(decide json_of reason_of push_for);
use Test::More;
use IO::Select;
use IO::Socket::INET;
use POSIX ();
use Socket qw(SOL_SOCKET SO_LINGER);
use Time::HiRes qw(time sleep);

my $t = PA::Test->new(workers => 2);

my @GARBAGE = qw(junk text badstatus badheader partial empty reset bigheader);

$t->write_file("html/$_/index.html", "$_ page\n")
    for qw(slow slowok refused st two page hang hangtwo join joinabort big
           vars),
        map { "g_$_" } @GARBAGE;

# (N is at most 64 for prompt_limit and 16 for lockout)
my $limits = '';
{
    my $l = 'push_approval_prompt_limit 64 1m; push_approval_lockout 16 1m;';
    my ($ok) = $t->nginx_test(PA::Std::conf(http => $l));
    $limits = $l if $ok;
}

# --- a provider that answers with garbage: the request path names how -----

my $GPORT = $t->release_port(2);
my $gpid = garbage_server($GPORT);

sub garbage_server {
    my ($port) = @_;
    my $listen = IO::Socket::INET->new(
        LocalAddr => '127.0.0.1', LocalPort => $port, Proto => 'tcp',
        Listen => 64, ReuseAddr => 1,
    ) or die "garbage server: listen $port: $!\n";
    my $parent = $$;
    my $pid = fork;
    die "fork: $!\n" unless defined $pid;
    if ($pid) {
        close $listen;
        return $pid;
    }
    # child: never runs the parent's END blocks
    $SIG{$_} = sub { POSIX::_exit(0) } for qw(TERM INT HUP);
    $SIG{PIPE} = 'IGNORE';
    open STDOUT, '>', '/dev/null';
    my $sel = IO::Select->new($listen);
    while (getppid() == $parent) {
        next unless $sel->can_read(0.2);
        my $c = $listen->accept or next;
        my $req = '';
        my $sc = IO::Select->new($c);
        my $deadline = time + 2;
        while ($req !~ /\r\n\r\n/ && time < $deadline) {
            last unless $sc->can_read($deadline - time);
            my $n = sysread($c, $req, 65536, length $req);
            last unless $n;
        }
        my ($mode) = $req =~ m{^\S+ /(\w+)};
        $mode //= 'junk';
        my %out = (
            junk      => "\x00\xff\xfe\x01garbage\x7f\r\n\r\n\x80\x81",
            text      => "this is not HTTP at all\n",
            badstatus => "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
            badheader => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nBroken header line\r\n\r\nok",
            partial   => "HTTP/1.1 200 OK\r\nContent-Le",
            empty     => '',
            reset     => '',
            bigheader => "HTTP/1.1 200 OK\r\nX-Big: " . ('a' x 65536) . "\r\nContent-Length: 0\r\n\r\n",
        );
        if ($mode eq 'reset') {
            setsockopt($c, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
        } else {
            my $o = $out{$mode} // $out{junk};
            while (length $o) {
                my $w = syswrite($c, $o);
                last unless $w;
                substr($o, 0, $w, '');
            }
        }
        close $c;
    }
    POSIX::_exit(0);
}

END {
    if ($gpid) {
        kill 'TERM', $gpid;
        waitpid($gpid, 0);
    }
}

# a port nobody listens on (reserved by the harness: bound, not listening)
my $CLOSED = $t->port(3);

# --- configuration --------------------------------------------------------

sub notify {
    my ($name, $upstream, $timeout) = @_;
    return <<"EOF";
        location = /_pa/$name {
            internal;
            proxy_pass $upstream;
            proxy_method POST;
            proxy_pass_request_headers off;
            proxy_set_header Content-Type application/json;
            proxy_set_body \$push_approval_json;
            proxy_connect_timeout 2s;
            proxy_read_timeout $timeout;
        }
EOF
}

my $HOLD = 'push_approval zone=pa; push_approval_user $arg_u; push_approval_approver ops;';
my $SELF = 'push_approval zone=pa; push_approval_user $arg_u;';

my $conf = <<"EOF";
    $PA::Std::LOG_FORMAT
    log_format vars '\$uri rid=\$request_id rp=\$remote_port';
    access_log %%DIR%%/access.log pa;
    push_approval_zone zone=pa:1m;
    push_approval_secret_file %%SECRET%%;
    push_approval_endpoint_url http://127.0.0.1:%%PORT%%/_pa/approve/;
    push_approval_wait 20s;
    $limits

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;
        root %%DIR%%/html;

        location /_pa/wait/ { push_approval_endpoint wait; }
        location /_pa/approve/ { push_approval_endpoint approve; }
        location = /_pa/metrics { push_approval_metrics; }

EOF
$conf .= notify('n_short', 'http://127.0.0.1:%%RECEIVER%%/push', '1s');
$conf .= notify('n_long', 'http://127.0.0.1:%%RECEIVER%%/push', '5s');
$conf .= notify('n_hang', 'http://127.0.0.1:%%RECEIVER%%/push', '60s');
$conf .= notify('n_refused', "http://127.0.0.1:$CLOSED/push", '1s');
$conf .= notify("n_$_", "http://127.0.0.1:$GPORT/$_", '2s') for @GARBAGE;
$conf .= <<"EOF";
        location /slow/ { $HOLD push_approval_notify /_pa/n_short; }
        location /slowok/ { $HOLD push_approval_notify /_pa/n_long; }
        location /st/ { $HOLD push_approval_notify /_pa/n_short; }
        location /big/ { $HOLD push_approval_notify /_pa/n_short; }
        location /two/ { $SELF push_approval_notify /_pa/n_short; }
        location /page/ { $SELF push_approval_notify /_pa/n_short; }
        location /refused/ { $HOLD push_approval_notify /_pa/n_refused; }
        location /hang/ { $HOLD push_approval_notify /_pa/n_hang; }
        location /hangtwo/ { $SELF push_approval_notify /_pa/n_hang; }
        location /join/ { $HOLD push_approval_notify /_pa/n_long; }
        location /joinabort/ { $HOLD push_approval_notify /_pa/n_hang; push_approval_wait 5s; }
EOF
$conf .= "        location /g_$_/ { $HOLD push_approval_notify /_pa/n_$_; }\n" for @GARBAGE;
$conf .= <<"EOF";
        location = /_pa/n_vars {
            internal;
            proxy_pass http://127.0.0.1:%%RECEIVER%%/push;
            proxy_method POST;
            proxy_pass_request_headers off;
            proxy_set_header X-Rid \$request_id;
            proxy_set_header X-Port \$remote_port;
            proxy_set_body \$push_approval_json;
        }
        location /vars/ {
            $HOLD push_approval_notify /_pa/n_vars;
            access_log %%DIR%%/vars.log vars;
        }
    }
EOF

$t->start($conf);

my $JS = 'Accept: application/json';
my $FORM = 'Content-Type: application/x-www-form-urlencoded';

# a failed push: 503 push_failed, quickly, and nothing to approve
sub push_failed {
    my ($name, $res, $push) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is($res->{status}, 503, "$name: 503") or diag("$res->{status} $res->{body} " . ($res->{error} // ""));
    is(reason_of($res), 'push_failed', "$name: push_failed");
    ok(!grep({ /^pa_/ } keys %{ $t->cookies($res) }), "$name: no cookie");
    if ($push) {
        my $d = decide($t, $push, 'approve');
        ok($d->{status} == 410 || $d->{status} == 404,
            "$name: the failed challenge cannot be approved (410/404)")
            or diag("$d->{status} $d->{body}");
    }
}

# a held request that works: push, approve, 200 with the cookie
sub works {
    my ($name, $path, $user) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $h = $t->http_start(path => "$path?u=$user", timeout => 15);
    my $push = push_for($t, $user);
    ok($push, "$name: push");
    my $d = $push ? decide($t, $push, 'approve') : { status => 0 };
    is($d->{status}, 200, "$name: approved");
    my $res = $t->http_wait($h, 10);
    is($res->{status}, 200, "$name: the held request passes") or diag("$res->{status} $res->{body}");
    ok(grep({ /^pa_[0-9a-f]{8}$/ } keys %{ $t->cookies($res) }), "$name: with the cookie");
}

sub user { PA::Std::user($_[0] // 'u', 'q') }

# the access log line of a request is written just before its pool (and
# the module's cleanup, which fails a challenge whose creator left) is
# freed: synchronize on the push_failed count instead
my $FAILED = 'push_approval_challenges_total{zone="pa",result="push_failed"}';
sub failed_count { ($t->metrics('/_pa/metrics') || {})->{$FAILED} // 0 }
sub wait_failed {
    my ($before) = @_;
    $t->wait_for(sub { failed_count() > $before }, 10, 'the challenge failed');
}

# ============================================================================
# slow: longer than proxy_read_timeout fails, shorter works
# ============================================================================

{
    $t->receiver_set(status => 200, delay => 2.5);
    my $u = user('slow');
    my $t0 = time;
    my $h = $t->http_start(path => "/slow/?u=$u", headers => [$JS], timeout => 10);
    my $push = push_for($t, $u);
    ok($push, 'slow: the provider got the push');
    my $res = $t->http_wait($h, 10);
    my $el = time - $t0;
    ok($el >= 0.8 && $el < 2.4, sprintf('slow: failed after the 1s read timeout (%.2fs)', $el));
    push_failed('slow (2.5s > 1s)', $res, $push);

    # the same provider under a longer timeout: works, and an approval given
    # while the provider is still answering is kept
    $t->receiver_set(delay => 1.5);
    works('slow (1.5s < 5s)', '/slowok/', user('slowok'));

    $t->receiver_set(delay => 0.3);
    works('slow (0.3s < 1s)', '/slow/', user('slow'));
    $t->receiver_set(delay => 0);
}

# ============================================================================
# garbage, refused, statuses
# ============================================================================

for my $mode (@GARBAGE) {
    my $u = user("g$mode");
    my $t0 = time;
    my $res = $t->http(path => "/g_$mode/?u=$u", headers => [$JS], timeout => 10);
    push_failed("garbage $mode", $res);
    ok(time - $t0 < 5, "garbage $mode: answered without waiting for the challenge");
}

{
    my $u = user('refused');
    my $t0 = time;
    my $res = $t->http(path => "/refused/?u=$u", headers => [$JS], timeout => 10);
    push_failed('connection refused', $res);
    ok(time - $t0 < 2, 'connection refused: answered at once');
    ok($t->no_push(0.2), 'connection refused: no push anywhere');
}

for my $st (301, 302, 304, 307, 400, 401, 403, 404, 410, 429, 500, 502, 503, 504) {
    $t->receiver_set(status => $st, delay => 0, body => '{"error":"nope"}');
    my $u = user("st$st");
    my $res = $t->http(path => "/st/?u=$u", headers => [$JS], timeout => 10);
    my $push = push_for($t, $u, 2);
    ok($push, "status $st: the provider got the push");
    push_failed("provider status $st", $res, $push);
}

# 2xx: works (held; denied here, so 403 denied and not 503)
for my $st (200, 201, 202, 204) {
    $t->receiver_set(status => $st, delay => 0, body => $st == 204 ? '' : '{"ok":true}');
    my $u = user("st$st");
    my $h = $t->http_start(path => "/st/?u=$u", headers => [$JS], timeout => 10);
    my $push = push_for($t, $u);
    ok($push, "status $st: push");
    my $d = $push ? decide($t, $push, 'deny') : { status => 0 };
    is($d->{status}, 200, "status $st: decided");
    my $res = $t->http_wait($h, 10);
    is($res->{status}, 403, "status $st: the push counted (denied, not push_failed)");
    is(reason_of($res), 'denied', "status $st: denied");
}

# a 2xx whose header is too big for the proxy buffer: nginx cannot read it
{
    $t->receiver_set(status => 200, delay => 0, body => '{}',
        headers => ['X-Big: ' . ('b' x 65536)]);
    my $u = user('bighdr');
    my $res = $t->http(path => "/st/?u=$u", headers => [$JS], timeout => 10);
    push_failed('provider header of 64 KB', $res, push_for($t, $u, 2));
    $t->receiver_set(headers => []);
}

# the provider closes without answering
{
    $t->receiver_set(status => 200, delay => 0, close => 1);
    my $u = user('close');
    my $res = $t->http(path => "/st/?u=$u", headers => [$JS], timeout => 10);
    push_failed('provider closes without an answer', $res, push_for($t, $u, 2));
    $t->receiver_set(close => 0);
}

# a 2xx with a 1 MB body: works, the body is discarded
{
    $t->receiver_set(status => 200, delay => 0, body => 'x' x (1024 * 1024));
    works('provider answers 200 with 1 MB', '/big/', user('big'));
    $t->receiver_set(body => '{}');
}

# two-step and page answers wait for the push too
{
    $t->receiver_set(status => 500, delay => 0);
    my $u = user('two');
    my $res = $t->http(path => "/two/?u=$u", headers => [$JS]);
    push_failed('two-step, provider 500', $res, push_for($t, $u, 2));
    ok(!$t->hdr($res, 'www-authenticate'), 'two-step, provider 500: no WWW-Authenticate');
    ok(!grep({ /^pa_pending_/ } keys %{ $t->cookies($res) }), 'two-step, provider 500: no pending cookie');
    unlike($res->{body}, qr/"code"/, 'two-step, provider 500: no code');

    $u = user('page');
    $res = $t->http(path => "/page/?u=$u", headers => ['Accept: text/html']);
    is($res->{status}, 503, 'page, provider 500: 503');
    unlike($res->{body}, qr/id="pa-code"/, 'page, provider 500: no code shown');
    ok(!grep({ /^pa_pending_/ } keys %{ $t->cookies($res) }), 'page, provider 500: no pending cookie');
    my $p = push_for($t, $u, 2);
    if ($p) {
        my $d = decide($t, $p, 'deny');
        ok($d->{status} == 410 || $d->{status} == 404, 'page, provider 500: nothing to decide');
    }
    $t->receiver_set(status => 200);
}

# ============================================================================
# joined requests of a challenge whose push fails
# ============================================================================

{
    $t->receiver_set(status => 500, delay => 1.5);
    my $u = user('join');
    my $h1 = $t->http_start(path => "/join/?u=$u", headers => [$JS], timeout => 10);
    my $push = push_for($t, $u);
    ok($push, 'join: the first request makes a push');
    my @h = map { $t->http_start(path => "/join/?u=$u", headers => [$JS], timeout => 10) } 1 .. 4;
    ok($t->no_push(0.4), 'join: the others join it (no second push)');
    my @res = $t->http_wait_all([$h1, @h], 10);
    my $i = 0;
    for my $r (@res) {
        $i++;
        is($r->{status}, 503, "join: request $i ends 503") or diag("$r->{status} $r->{body} " . ($r->{error} // ""));
        is(reason_of($r), 'push_failed', "join: request $i push_failed");
    }
    my $d = decide($t, $push, 'approve');
    ok($d->{status} == 410 || $d->{status} == 404, 'join: the failed challenge cannot be approved');
    $t->receiver_set(status => 200, delay => 0);
}

# ============================================================================
# the provider holds the connection; the client gives up during NOTIFY
# ============================================================================

for my $c (['hold', '/hang/'], ['two-step', '/hangtwo/']) {
    my ($name, $path) = @$c;
    $t->receiver_set(status => 200, delay => 'never');
    my $u = user('abort');
    my $off = $t->log_size('access.log');
    my $h = $t->http_start(path => "$path?u=$u", headers => [$JS], timeout => 10);
    my $push = push_for($t, $u);
    ok($push, "abort $name: the provider got the push and holds it");
    my $failed = failed_count();
    $t->http_abort($h);
    my $line = $t->wait_log('access.log', qr{^\d+ \d+ GET \Q$path\E}, 10, $off);
    ok($line, "abort $name: the request ended") or next;
    diag("abort $name: $line");
    wait_failed($failed);
    my $d = $push ? decide($t, $push, 'approve') : { status => 0 };
    ok($d->{status} == 410 || $d->{status} == 404,
        "abort $name: the challenge failed closed (410/404)") or diag("$d->{status} $d->{body}");
    # nothing is left paused: the server answers, and a new request works
    $t->receiver_set(delay => 0);
    my $ok = $t->http(path => '/_pa/metrics');
    is($ok->{status}, 200, "abort $name: the server still answers");
}

# joiners of a challenge whose creator gave up during NOTIFY: the
# challenge fails closed, so they end with 503 at once (not at the end of
# the 5s wait), and an approval of it neither counts nor lets them pass
{
    $t->receiver_set(status => 200, delay => 'never');
    my $u = user('joinabort');
    my $off = $t->log_size('access.log');
    my $h1 = $t->http_start(path => "/joinabort/?u=$u", headers => [$JS], timeout => 10);
    my $push = push_for($t, $u);
    ok($push, 'join+abort: push');
    my @h = map { $t->http_start(path => "/joinabort/?u=$u", headers => [$JS], timeout => 10) } 1 .. 2;
    ok($t->no_push(0.4), 'join+abort: the others joined');
    my $t0 = time;
    my $failed = failed_count();
    $t->http_abort($h1);
    ok($t->wait_log('access.log', qr{^\d+ \d+ GET /joinabort/}, 10, $off), 'join+abort: the creator ended');
    wait_failed($failed);
    my $d = $push ? decide($t, $push, 'approve') : { status => 0 };
    ok($d->{status} == 410 || $d->{status} == 404, 'join+abort: the challenge failed closed (410/404)')
        or diag("$d->{status} $d->{body}");
    my @res = $t->http_wait_all(\@h, 8);
    for my $i (0 .. $#res) {
        is($res[$i]->{status}, 503, "join+abort: joined request $i ends 503")
            or diag("$res[$i]->{status} $res[$i]->{body} " . ($res[$i]->{error} // ""));
    }
    ok(time - $t0 < 4, 'join+abort: at once, not at the end of the wait');
    $t->receiver_set(delay => 0);
}

# the push runs in a pool of its own, freed once it is out, with its own
# copy of the variables: values it computes ($request_id, $remote_port)
# are its own, and the held request computes its own, intact, when it logs
{
    $t->receiver_set(status => 200, delay => 0, body => '{}');
    my $u = user('vars');
    my $h = $t->http_start(path => "/vars/?u=$u", timeout => 15);
    my $push = push_for($t, $u);
    ok($push, 'vars: push');
    my $ph = $push ? $push->{headers} || {} : {};
    like($ph->{'x-rid'} // '', qr/^[0-9a-f]{32}$/, 'vars: $request_id in the push');
    like($ph->{'x-port'} // '', qr/^[0-9]+$/, 'vars: $remote_port in the push');
    my $d = $push ? decide($t, $push, 'approve') : { status => 0 };
    is($d->{status}, 200, 'vars: approved');
    my $res = $t->http_wait($h, 10);
    is($res->{status}, 200, 'vars: the held request passes');
    my $line = $t->wait_log('vars.log', qr{^/vars/}, 10);
    like($line // '', qr{^/vars/\S* rid=[0-9a-f]{32} rp=[0-9]+$},
        'vars: the held request logs its own values, intact');
}

# after all that, the normal flow works
$t->receiver_set(status => 200, delay => 0, body => '{}');
works('afterwards', '/slow/', user('after'));

$t->done;
done_testing;
