#!/usr/bin/perl

# The approval cookie (docs/directives.md, push_approval_cookie;
# docs/threat-model.md, Stolen cookie, Forged cookie): every rejection
# reason, seen through $push_approval_reason in the `pa` log_format; reuse
# without a push; several cookies of one name; two scopes on one host; the
# Set-Cookie attributes; no personal data in clear; revocation through the
# console.
#
# Every cookie is minted by a real approval (hold mode, approver ops, so no
# code).  A rejected cookie leaves the request without a cookie: it makes a
# new challenge (a push) and is held; the test denies that challenge, so
# that nothing stays pending (and nothing can be joined), and reads the
# request's log line.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std qw(decide approval log_line b64url_decode);
use Test::More;
use MIME::Base64 ();

my $t = PA::Test->new(workers => 2);

$t->write_file("html/$_/index.html", "$_ page\n")
    for qw(admin shared shared2 m m/w one two lax host short nobind);
$t->write_file('html/admin/x.html', "x\n");

# the module refuses keys it does not know; a second secret file with
# another kid only, and one with both (k9 signs, k1 verifies)
sub key_line {
    my ($kid) = @_;
    open my $r, '<:raw', '/dev/urandom' or die;
    read($r, my $k, 32) == 32 or die;
    return "$kid " . MIME::Base64::encode_base64($k, '') . "\n";
}
my $secret = $t->secret_file;
$t->write_file('secret-k9', key_line('k9'), 0600);
$t->write_file('secret-both', $t->read_file('secret-k9') . $t->read_file('secret'), 0600);

# this file makes many challenges for one user: loosen the per-user limits
my $limits = $PA::Std::LOOSE;

my $NOTIFY = PA::Std::notify_location();

sub conf {
    my ($secret_path) = @_;
    return <<"EOF";
    $PA::Std::LOG_FORMAT
    access_log %%DIR%%/access.log pa;
    push_approval_zone zone=pa:1m;
    push_approval_secret_file $secret_path;
    push_approval_endpoint_url http://127.0.0.1:%%PORT%%/_pa/approve/;
    push_approval_approver ops;
    push_approval_mode hold;
    push_approval_wait 10s;
    $limits

    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-IP;

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;
        root %%DIR%%/html;

$NOTIFY
        location /_pa/wait/ { push_approval_endpoint wait; }
        location /_pa/approve/ { push_approval_endpoint approve; }
        location /_pa/console/ { push_approval_endpoint console identity=\$arg_who; }
        location = /_pa/metrics { push_approval_metrics; }

        location /admin/ { $PA::Std::STD }
        location /nobind/ { $PA::Std::STD push_approval_bind; }

        location /shared/ { $PA::Std::STD push_approval_cookie pa_shared; }
        location /shared2/ { $PA::Std::STD push_approval_cookie pa_shared; }

        location /m/ { $PA::Std::STD push_approval_cookie pa_m; push_approval_methods GET; }
        location /m/w/ {
            $PA::Std::STD
            push_approval_cookie pa_m;
            push_approval_scope /m/;
            push_approval_methods GET POST;
        }

        location /one/ { $PA::Std::STD }
        location /two/ { $PA::Std::STD }

        location /lax/ { $PA::Std::STD push_approval_cookie pa_lax samesite=lax; }
        location /host/ { $PA::Std::STD push_approval_cookie __Host-pa; }

        location /short/ { $PA::Std::STD push_approval_ttl 2s; push_approval_wait 3s; }
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name other.test;
        root %%DIR%%/html;

$NOTIFY
        location /_pa/wait/ { push_approval_endpoint wait; }

        location /shared/ { $PA::Std::STD push_approval_cookie pa_shared; }
    }
EOF
}

$t->start(conf('%%SECRET%%'));

# --- helpers ------------------------------------------------------------------------

# the approval cookie a response set: (name, value)
sub approval_cookie {
    my ($res, $re) = @_;
    $re //= qr/^(?:pa_[0-9a-f]{8}|pa_\w+|__Host-pa)$/;
    my $c = $t->cookies($res);
    my ($name) = grep { $_ =~ $re && !/^pa_pending/ } sort keys %$c;
    return ($name, $name ? $c->{$name} : undef);
}

# a request whose cookie must be rejected with $reason: a new challenge
# (push), held, approved by the test (denials would lock the user out
# after a few of them); rs=$reason in its log line
sub rejected {
    my ($name, $reason, $prefix, %req) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $off = $t->log_size('access.log');
    my $h = $t->http_start(%req);
    my $push = $t->wait_push(5);
    ok($push, "$name: rejected cookie, new challenge");
    unless ($push) {
        my $res = $t->http_wait($h, 1);
        diag("$name: got status $res->{status} instead");
        $t->http_abort($h);
        return;
    }
    my $d = decide($t, $push, 'approve');
    is($d->{status}, 200, "$name: approved by the test") or diag($d->{body});
    my $res = $t->http_wait($h, 5);
    # passed the gate: what the backend answers (405 for a POST to a file)
    ok($res->{status} && $res->{status} !~ /^(?:401|403|429|503)$/,
        "$name: the held request passes the gate after approval")
        or diag("status $res->{status}");
    my $line = log_line($t, $off, $req{method} // 'GET', $prefix);
    like($line, qr/ rs=\Q$reason\E /, "$name: rs=$reason") if length $reason;
    return $line;
}

sub ck { "Cookie: $_[0]=$_[1]" }

my @B64 = ('A' .. 'Z', 'a' .. 'z', '0' .. '9', '-', '_');
my %B64 = map { $B64[$_] => $_ } 0 .. 63;

# the value with one base64url character changed at $pos, by XOR $bits
sub flip {
    my ($v, $pos, $bits) = @_;
    my $c = substr($v, $pos, 1);
    substr($v, $pos, 1) = $B64[ $B64{$c} ^ $bits ];
    return $v;
}

# --- a real cookie ------------------------------------------------------------------

my $USER = 'alice-in-clear';
my ($res, $push) = approval($t, 'admin', path => "/admin/?u=$USER");
my ($name, $value) = approval_cookie($res);
like($name // '', qr/^pa_[0-9a-f]{8}$/, 'default cookie name pa_ + 8 hex digits');
ok(defined $value && length $value, 'cookie value');
my $approval_id = $push->{json}{id};
my $admin_cookie = ck($name, $value);

{
    my $a = $t->cookie_attrs($res, $name) || {};
    is($a->{path}, '/admin/', 'Set-Cookie: Path = scope');
    ok($a->{'max-age'} && $a->{'max-age'} <= 900 && $a->{'max-age'} >= 895,
        'Set-Cookie: Max-Age = ttl (15m)') or diag("Max-Age $a->{'max-age'}");
    ok($a->{httponly}, 'Set-Cookie: HttpOnly');
    is($a->{samesite}, 'Strict', 'Set-Cookie: SameSite=Strict');
    ok(!$a->{secure}, 'Set-Cookie: no Secure on plain http (secure=auto)');
    my $cc = join ', ', @{ $res->{headers}{'cache-control'} || [] };
    like($cc, qr/\bprivate\b/, 'Cache-Control: private');
    like($cc, qr/\bno-store\b/, 'Cache-Control: no-store');
    unlike($cc, qr/\bpublic\b|max-age=[1-9]/, 'Cache-Control: nothing cacheable');
}

# no personal data in clear
{
    my $raw = b64url_decode($value);
    ok(length($raw) > 32, 'cookie value is base64url');
    unlike($value, qr/\Q$USER\E/, 'user name not in the cookie text');
    unlike($raw, qr/\Q$USER\E/, 'user name not in the decoded cookie');
    unlike($raw, qr/alice/, 'no part of the user name in the decoded cookie');
    unlike($raw, qr/127\.0\.0\.1/, 'client address (text) not in the decoded cookie');
    unlike($raw, qr/\x7f\x00\x00\x01/, 'client address (binary) not in the decoded cookie');
    unlike($raw, qr/pa-test/, 'user agent not in the decoded cookie');
    unlike($raw, qr/localhost/, 'server name not in the decoded cookie');
}

# --- reuse ---------------------------------------------------------------------

{
    my $off = $t->log_size('access.log');
    my $r = $t->http(path => "/admin/x.html?u=$USER", headers => [$admin_cookie]);
    is($r->{status}, 200, 'valid cookie: 200');
    is($r->{body}, "x\n", 'valid cookie: content');
    ok($t->no_push(0.3), 'valid cookie: no push');
    my $line = log_line($t, $off, 'GET', '/admin/');
    like($line, qr/ st=granted rs=- /, 'valid cookie: st=granted rs=-');
    like($line, qr/ ap=\Q$approval_id\E$/, 'valid cookie: ap = the approval id');
    ok(!$t->cookies($r)->{$name}, 'valid cookie: no new cookie');

    $r = $t->http(method => 'HEAD', path => "/admin/x.html?u=$USER", headers => [$admin_cookie]);
    is($r->{status}, 200, 'valid cookie: HEAD (implied by GET) passes');
    ok($t->no_push(0.2), 'valid cookie: HEAD, no push');
}

# several cookies of the same name, one valid
{
    my $r = $t->http(path => "/admin/x.html?u=$USER",
        headers => ["Cookie: $name=garbage!!; other=1; $name=$value; $name="
            . flip($value, 60, 1)]);
    is($r->{status}, 200, 'several cookies of the name, one valid: passes');
    ok($t->no_push(0.3), 'several cookies of the name: no push');

    $r = $t->http(path => "/admin/x.html?u=$USER",
        headers => ["Cookie: $name=" . flip($value, 60, 1), "Cookie: $name=$value"]);
    is($r->{status}, 200, 'valid cookie in a second Cookie header: passes');
    ok($t->no_push(0.3), 'second Cookie header: no push');

    $r = $t->http(path => "/admin/x.html?u=$USER",
        headers => ["Cookie: $name=" . flip($value, 20, 1) . "; $name=" . ('A' x 300)
            . "; $name=x; $name=$value"]);
    is($r->{status}, 200, 'three bad cookies of the name, then the valid one: passes');
    ok($t->no_push(0.3), 'three bad, then valid: no push');
}

# --- rejections --------------------------------------------------------------

rejected('malformed (garbage)', 'malformed', '/admin/',
    path => "/admin/?u=$USER", headers => [ck($name, '%%%not-base64%%%')]);
rejected('malformed (valid base64, wrong length)', 'malformed', '/admin/',
    path => "/admin/?u=$USER", headers => [ck($name, substr($value, 0, 40))]);
rejected('malformed (truncated by one character)', 'malformed', '/admin/',
    path => "/admin/?u=$USER", headers => [ck($name, substr($value, 0, -1))]);
rejected('oversized (300 characters)', 'oversized', '/admin/',
    path => "/admin/?u=$USER", headers => [ck($name, 'A' x 300)]);
rejected('oversized (the real cookie + 100 characters)', 'oversized', '/admin/',
    path => "/admin/?u=$USER", headers => [ck($name, $value . ('A' x 100))]);
rejected('oversized (4000 characters)', 'oversized', '/admin/',
    path => "/admin/?u=$USER", headers => [ck($name, 'x' x 4000)]);

my $mid = int(length($value) / 2);
rejected('one character changed in the middle', 'signature', '/admin/',
    path => "/admin/?u=$USER", headers => [ck($name, flip($value, $mid, 1))]);

# changed anywhere: never passes
{
    my $len = length $value;
    my %pos = (
        0 => 1, 1 => 1, 2 => 2, 3 => 4, 5 => 1, 10 => 32, 30 => 8, 45 => 16,
        70 => 1, 100 => 2, 130 => 4, 150 => 1, $len - 44 => 1, $len - 10 => 1,
        $len - 2 => 1,
    );
    # the last character: a significant bit, and (base64 padding) a bit
    # that a lax decoder would drop
    my $rest = $len % 4;
    if ($rest == 2) {
        $pos{ $len - 1 } = 0x10;
    } elsif ($rest == 3) {
        $pos{ $len - 1 } = 0x04;
    } else {
        $pos{ $len - 1 } = 1;
    }
    my @cases = map { [ $_, $pos{$_} ] } sort { $a <=> $b } keys %pos;
    push @cases, [ $len - 1, 0x01 ] if $rest == 2 || $rest == 3;
    for my $c (@cases) {
        my ($p, $bits) = @$c;
        my $bad = flip($value, $p, $bits);
        next if $bad eq $value;
        my $line = rejected("changed at $p (xor $bits)", '', '/admin/',
            path => "/admin/?u=$USER", headers => [ck($name, $bad)]) // '';
        like($line, qr/ rs=(signature|malformed|unknown_key) /,
            "changed at $p: rejected as signature, malformed or unknown_key");
    }
}

rejected('another user', 'user', '/admin/',
    path => '/admin/?u=bob', headers => [$admin_cookie]);
rejected('another client address (real_ip)', 'ip', '/admin/',
    path => "/admin/?u=$USER", headers => [$admin_cookie, 'X-Real-IP: 10.1.2.3']);
{
    my $r = $t->http(path => "/admin/x.html?u=$USER",
        headers => [$admin_cookie, 'X-Real-IP: 127.0.0.1']);
    is($r->{status}, 200, 'same client address through X-Real-IP: passes');
    ok($t->no_push(0.3), 'same client address: no push');
}
rejected('another user agent', 'agent', '/admin/',
    path => "/admin/?u=$USER", headers => [$admin_cookie, 'User-Agent: other-agent/2']);

# without bind, address and agent do not matter
{
    my ($r) = approval($t, 'nobind', path => "/nobind/?u=$USER");
    my ($n, $v) = approval_cookie($r);
    ok($n, 'nobind: cookie');
    $r = $t->http(path => "/nobind/?u=$USER",
        headers => [ck($n, $v), 'X-Real-IP: 10.9.9.9', 'User-Agent: elsewhere/1']);
    is($r->{status}, 200, 'push_approval_bind (none): another address and agent pass');
    ok($t->no_push(0.3), 'push_approval_bind (none): no push');
}

# server and scope: the same explicit cookie name elsewhere
{
    my ($r) = approval($t, 'shared', path => "/shared/?u=$USER");
    my ($n, $v) = approval_cookie($r, qr/^pa_shared$/);
    is($n, 'pa_shared', 'explicit cookie name');
    is(($t->cookie_attrs($r, 'pa_shared') || {})->{path}, '/shared/', 'explicit name: Path = scope');

    $r = $t->http(path => "/shared/?u=$USER", headers => [ck($n, $v)]);
    is($r->{status}, 200, 'pa_shared opens /shared/');
    ok($t->no_push(0.3), 'pa_shared: no push');

    rejected('same cookie name, another scope', 'scope', '/shared2/',
        path => "/shared2/?u=$USER", headers => [ck($n, $v)]);
    rejected('same cookie name and scope, another server', 'server', '/shared/',
        path => "/shared/?u=$USER", host => 'other.test', headers => [ck($n, $v)]);
}

# method: the cookie of GET-only /m/ on a POST under the same scope
{
    my ($r) = approval($t, 'methods GET', path => "/m/?u=$USER");
    my ($n, $v) = approval_cookie($r, qr/^pa_m$/);
    is($n, 'pa_m', 'GET-only cookie');
    $r = $t->http(path => "/m/w/?u=$USER", headers => [ck($n, $v)]);
    is($r->{status}, 200, 'GET-only cookie: GET under the same scope passes');
    ok($t->no_push(0.3), 'GET-only cookie: no push for GET');
    rejected('cookie for GET, request POST', 'method', '/m/w/',
        method => 'POST', path => "/m/w/?u=$USER", body => 'a=1',
        headers => [ck($n, $v), 'Content-Type: application/x-www-form-urlencoded']);
}

# two scopes on one host, each with its own default cookie
{
    my ($r1, $p1) = approval($t, 'scope one', path => "/one/?u=$USER");
    my ($n1, $v1) = approval_cookie($r1);
    my ($r2, $p2) = approval($t, 'scope two', path => "/two/?u=$USER");
    my ($n2, $v2) = approval_cookie($r2);
    like($n1 // '', qr/^pa_[0-9a-f]{8}$/, 'scope one: default name');
    like($n2 // '', qr/^pa_[0-9a-f]{8}$/, 'scope two: default name');
    isnt($n1, $n2, 'two scopes, two cookie names');
    isnt($n1, $name, 'default names differ from /admin/');
    is(($t->cookie_attrs($r1, $n1) || {})->{path}, '/one/', 'scope one: Path');
    is(($t->cookie_attrs($r2, $n2) || {})->{path}, '/two/', 'scope two: Path');

    my $r = $t->http(path => "/one/?u=$USER", headers => [ck($n1, $v1)]);
    is($r->{status}, 200, 'cookie one opens /one/');
    $r = $t->http(path => "/two/?u=$USER", headers => [ck($n2, $v2)]);
    is($r->{status}, 200, 'cookie two opens /two/');
    ok($t->no_push(0.3), 'no push for either');

    # cookie one alone on /two/: no cookie of that name there
    my $off = $t->log_size('access.log');
    my $h = $t->http_start(path => "/two/?u=$USER", headers => [ck($n1, $v1)]);
    my $p = $t->wait_push(5);
    ok($p, 'cookie one does not open /two/: new challenge');
    decide($t, $p, 'deny') if $p;
    is($t->http_wait($h, 5)->{status}, 403, 'cookie one on /two/: held, denied');
    like(log_line($t, $off, 'GET', '/two/'), qr/ rs=- /, 'cookie one on /two/: not a cookie of /two/ (rs=-)');

    # cookie one's value under cookie two's name: another scope
    rejected("cookie one's value under /two/'s name", 'scope', '/two/',
        path => "/two/?u=$USER", headers => [ck($n2, $v1)]);
    rejected("cookie two's value under /one/'s name", 'scope', '/one/',
        path => "/one/?u=$USER", headers => [ck($n1, $v2)]);
}

# attributes: samesite=lax, __Host-
{
    my ($r) = approval($t, 'samesite=lax', path => "/lax/?u=$USER");
    my $a = $t->cookie_attrs($r, 'pa_lax') || {};
    is($a->{samesite}, 'Lax', 'samesite=lax: SameSite=Lax');
    is($a->{path}, '/lax/', 'samesite=lax: Path = scope');
    ok($a->{httponly}, 'samesite=lax: HttpOnly');

    ($r) = approval($t, '__Host-', path => "/host/?u=$USER");
    $a = $t->cookie_attrs($r, '__Host-pa') || {};
    is($a->{path}, '/', '__Host- cookie: Path=/');
    ok($a->{secure}, '__Host- cookie: Secure');
    ok($a->{httponly}, '__Host- cookie: HttpOnly');
    is($a->{samesite}, 'Strict', '__Host- cookie: SameSite=Strict');
    my ($n, $v) = approval_cookie($r, qr/^__Host-pa$/);
    $r = $t->http(path => "/host/?u=$USER", headers => [ck($n, $v)]);
    is($r->{status}, 200, '__Host- cookie (scope in the value) opens /host/');
    ok($t->no_push(0.3), '__Host- cookie: no push');
    # Path=/ is sent everywhere: the scope in the value still holds
    rejected('__Host- value on /admin/ under its name', 'scope', '/admin/',
        path => "/admin/?u=$USER", headers => [ck($name, $v)]);
}

# expired: ttl 2s, poll until the cookie is refused
{
    my ($r) = approval($t, 'short ttl', path => "/short/?u=$USER");
    my ($n, $v) = approval_cookie($r);
    my $a = $t->cookie_attrs($r, $n // '') || {};
    ok($a->{'max-age'} && $a->{'max-age'} <= 2, 'ttl 2s: Max-Age <= 2');
    $r = $t->http(path => "/short/?u=$USER", headers => [ck($n, $v)]);
    is($r->{status}, 200, 'short cookie valid at first');
    ok($t->no_push(0.1), 'short cookie: no push at first');
    # poll: a valid cookie answers at once; the first refused one is held
    # (a push), and the client gives up on it after 0.5 s
    my $off = $t->log_size('access.log');
    my $last;
    $t->wait_for(sub {
        $last = $t->http(path => "/short/?u=$USER", headers => [ck($n, $v)], timeout => 0.5);
        return $last->{status} != 200;
    }, 6, 'the short cookie to expire');
    is($last->{status}, 0, 'expired cookie: the request is held');
    my $p = $t->wait_push(5);
    ok($p, 'expired cookie: new challenge');
    decide($t, $p, 'deny') if $p;
    my $line = $t->wait_log('access.log', qr{^\d+ (?!200 )\d+ GET /short/\S* st=}, 5, $off) // '';
    like($line, qr/ rs=expired /, 'rs=expired');
}

# --- unknown key: reload with a secret file without k1 ----------------------------------

{
    $t->reload(conf('%%DIR%%/secret-k9'));
    rejected('signed by a key nginx no longer has', 'unknown_key', '/admin/',
        path => "/admin/?u=$USER", headers => [$admin_cookie]);

    # k9 signs, k1 still verifies
    $t->reload(conf('%%DIR%%/secret-both'));
    my $r = $t->http(path => "/admin/x.html?u=$USER", headers => [$admin_cookie]);
    is($r->{status}, 200, 'key rotation: a cookie of the second key still passes');
    ok($t->no_push(0.3), 'key rotation: no push');
}

# --- revocation ----------------------------------------------------------------

{
    my $rv = "/_pa/console/revoke/$approval_id";
    my $r = $t->http(method => 'POST', path => $rv,
        headers => ['Sec-Fetch-Site: same-origin', 'Accept: application/json']);
    is($r->{status}, 403, 'revoke without an identity: 403');
    like($r->{body}, qr/no_identity/, 'revoke without an identity: no_identity');

    $r = $t->http(method => 'POST', path => "$rv?who=ops",
        headers => ['Sec-Fetch-Site: cross-site', 'Accept: application/json']);
    is($r->{status}, 403, 'revoke cross-site: 403');
    like($r->{body}, qr/cross_site/, 'revoke cross-site: cross_site');

    $r = $t->http(method => 'POST', path => "$rv?who=ops",
        headers => ['Origin: http://evil.example', 'Accept: application/json']);
    is($r->{status}, 403, 'revoke from a foreign Origin: 403');

    $r = $t->http(path => "/admin/x.html?u=$USER", headers => [$admin_cookie]);
    is($r->{status}, 200, 'refused revocations changed nothing');

    $r = $t->http(method => 'POST', path => '/_pa/console/revoke/AAAAAAAAAAAAAAAAAAAAAA?who=ops',
        headers => ['Sec-Fetch-Site: same-origin', 'Accept: application/json']);
    is($r->{status}, 404, 'revoke an unknown id: 404');
    $r = $t->http(method => 'POST', path => '/_pa/console/revoke/nonsense?who=ops',
        headers => ['Sec-Fetch-Site: same-origin', 'Accept: application/json']);
    is($r->{status}, 404, 'revoke a malformed id: 404');

    $r = $t->http(method => 'POST', path => "$rv?who=ops",
        headers => ['Sec-Fetch-Site: same-origin', 'Accept: application/json']);
    is($r->{status}, 200, 'revoke: 200');
    like($r->{body}, qr/"status"\s*:\s*"revoked"/, 'revoke: {"status":"revoked"}');
    like($r->{body}, qr/"id"\s*:\s*"\Q$approval_id\E"/, 'revoke: the id');

    # shared memory: every worker refuses it (new connections spread)
    for my $i (1 .. 3) {
        rejected("revoked cookie ($i)", 'revoked', '/admin/',
            path => "/admin/?u=$USER", headers => [$admin_cookie]);
    }
}

# --- a decision while the notify subrequest is still in flight ----------------------

# The push is out (the receiver has it) but the receiver answers 0.5 s
# later: the challenge is open, an approval now must count (once the push
# is out the challenge no longer depends on the request, and only a
# decided or expired challenge is 410).
{
    $t->receiver_set(delay => 0.5);
    my $h = $t->http_start(path => "/one/?u=race-user");
    my $p = $t->wait_push(5);
    ok($p, 'slow receiver: push');
    my $d = $p ? decide($t, $p, 'approve') : { status => 0, body => '' };
    is($d->{status}, 200, 'decision while the notify subrequest is in flight: recorded')
        or diag("$d->{status} $d->{body}");
    my $r = $t->http_wait($h, 3);
    is($r->{status}, 200, 'slow receiver: the request resumes approved')
        or diag("status $r->{status}");
    $t->receiver_set(delay => 0);
    # if the challenge stayed open, close it so that nothing is left
    decide($t, $p, 'deny') if $p && $r->{status} == 0;
}

# --- counters ------------------------------------------------------------------

{
    my $m = $t->metrics('/_pa/metrics') || {};
    for my $rs (qw(valid malformed oversized server scope method user ip agent
                   expired revoked unknown_key signature))
    {
        my ($k) = grep { /^push_approval_cookie_checks_total\{/ && /result="\Q$rs\E"/ } keys %$m;
        ok($k && $m->{$k} >= 1, "metrics: cookie_checks_total result=$rs counted")
            or diag($k ? "$k = $m->{$k}" : "no $rs counter");
    }
}

$t->done;
done_testing;
