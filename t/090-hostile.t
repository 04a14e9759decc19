#!/usr/bin/perl

# Hostile input (issue 5): every hostile input gets a clear status, never a
# crash, a hang or a pass.
#
#   - oversized and malformed approval cookies are treated as no cookie
#     ($push_approval_reason malformed / oversized), never as a pass;
#   - the approve endpoint: oversized, short, non-base64url and crossed
#     ids and tokens, path tricks, big, duplicate, multipart, chunked and
#     odd forms: a clear 4xx, and the challenge stays decidable;
#   - the wait endpoint: wrong ids, huge and CR/LF pending headers, forged
#     r= paths: 400/404, and a 303 never leaves the server;
#   - the console: garbage revoke ids and Origin tricks: 403/404;
#   - CR/LF, NUL, quotes, <script>, spreadsheet formulas and invalid UTF-8
#     in the user, agent, uri and server: the push JSON is valid strict
#     UTF-8 JSON without control characters, the pages and the console
#     add no markup of the client's, the error log gets no injected line;
#   - a flood of 500 requests for 500 users against a tiny zone: 401 or
#     503 unavailable (fail closed), never a pass, and the zone recovers;
#   - an SSI include from an unprotected page into a protected place is
#     refused (403, no push); with `ssi off` nothing is included at all.
#
# Each scenario has users of its own, so per-user prompt limits and
# lockouts (issue 5) never interfere; when the build knows those
# directives they are loosened anyway.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std qw(json_of reason_of push_for log_line);
use Test::More;
use Encode ();
use JSON::PP ();
use Time::HiRes qw(time sleep);

my $t = PA::Test->new(workers => 2);

$t->write_file("html/$_/index.html", "$_ page\n")
    for qw(hold self ck hx flood floodhold secret);
$t->write_file('html/secret/data.txt', "TOPSECRET-42\n");
my $shtml = "<p>before</p>\n<!--# include virtual=\"/secret/data.txt?u=ssiu\" -->\n<p>after</p>\n";
$t->write_file('html/pub/inc.shtml', $shtml);
$t->write_file('html/puboff/inc.shtml', $shtml);

# (N is at most 64 for prompt_limit and 16 for lockout)
my $limits = '';
{
    my $l = 'push_approval_prompt_limit 64 1m; push_approval_lockout 16 1m;';
    my ($ok) = $t->nginx_test(PA::Std::conf(http => $l));
    $limits = $l if $ok;
}

my $NOTIFY = PA::Std::notify_location();

my $HX = 'push_approval zone=pa; push_approval_user $http_x_user; '
    . 'push_approval_notify /_pa/notify; push_approval_approver ops;';

$t->start(<<"EOF");
    $PA::Std::LOG_FORMAT
    access_log %%DIR%%/access.log pa;
    push_approval_zone zone=pa:1m;
    push_approval_zone zone=tiny:32k;
    push_approval_zone zone=tiny2:32k;
    push_approval_secret_file %%SECRET%%;
    push_approval_endpoint_url http://127.0.0.1:%%PORT%%/_pa/approve/;
    push_approval_wait 20s;
    $limits

    large_client_header_buffers 4 16k;
    # nginx itself logs the decoded path of a missing file verbatim
    log_not_found off;
    # 303 Locations as the module sets them
    absolute_redirect off;

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;
        root %%DIR%%/html;

$NOTIFY
        location /_pa/wait/ { push_approval_endpoint wait; }
        location /_pa/approve/ { push_approval_endpoint approve; }
        location /_pa/console/ { push_approval_endpoint console identity=\$arg_who; }
        location = /_pa/metrics { push_approval_metrics; }

        location /hold/ { $PA::Std::STD push_approval_approver ops; }
        location /self/ { $PA::Std::STD }
        location /ck/ { $PA::Std::STD }
        location /hx/ { $HX }
        location ~ ^/hu/(?<pa_u>[^/]*)/ {
            push_approval zone=pa; push_approval_user \$pa_u;
            push_approval_notify /_pa/notify; push_approval_approver ops;
            push_approval_scope /hu/;
        }

        location /flood/ {
            push_approval zone=tiny; push_approval_user \$arg_u;
            push_approval_notify /_pa/notify; push_approval_wait 2s;
        }
        location /floodhold/ {
            push_approval zone=tiny; push_approval_user \$arg_u;
            push_approval_notify /_pa/notify; push_approval_wait 2s;
            push_approval_approver ops;
        }

        location /stream/ {
            push_approval zone=tiny2; push_approval_user \$arg_u;
            push_approval_notify /_pa/notify; push_approval_wait 1s;
        }

        location /secret/ { $PA::Std::STD push_approval_approver ops; }
        location /pub/ { ssi on; default_type text/html; }
        location /puboff/ { default_type text/html; }
    }

    # no server name: the module takes push_approval_server_id, never the Host
    server {
        listen 127.0.0.1:%%PORT1%%;
        server_name "";
        push_approval_server_id hostile-id;
        root %%DIR%%/html;

$NOTIFY
        location /_pa/wait/ { push_approval_endpoint wait; }
        location /hx/ { $HX }
    }
EOF

my $P0 = $t->port(0);
my $P1 = $t->port(1);
my $JS = 'Accept: application/json';
my $FORM = 'Content-Type: application/x-www-form-urlencoded';
my $HTML = 'Accept: text/html';

# --- helpers ----------------------------------------------------------------

# the bytes as a printable test name
sub show {
    my ($s) = @_;
    $s = substr($s, 0, 40) . '...' if length $s > 43;
    $s =~ s/([^\x21-\x7e])/sprintf('\\x%02x', ord $1)/ge;
    return $s;
}

# a raw HTTP/1.1 request (no Content-Length is added)
sub raw {
    my ($method, $path, @h) = @_;
    my $body = '';
    $body = pop @h if @h && ref $h[-1] eq 'SCALAR';
    $body = $$body if ref $body;
    my %has = map { lc((split /:/, $_, 2)[0]) => 1 } @h;
    my @l = ("$method $path HTTP/1.1");
    push @l, 'Host: localhost' unless $has{host};
    push @l, 'Connection: close' unless $has{connection};
    push @l, @h;
    return join("\r\n", @l) . "\r\n\r\n" . $body;
}

sub post_form {
    my ($path, $body, @h) = @_;
    return $t->http(method => 'POST', path => $path,
        headers => [$JS, $FORM, @h], body => $body);
}

# a two-step challenge on $path: (401 JSON, push)
sub two_step {
    my ($path, $user, @h) = @_;
    my $res = $t->http(path => $path, headers => [$JS, @h]);
    my $j = json_of($res);
    my $push = $res->{status} == 401 ? push_for($t, $user) : undef;
    return ($res, $j, $push);
}

# approve a two-step challenge and redeem the pending secret: the cookie
# header line, or undef
sub two_step_cookie {
    my ($j, $push) = @_;
    my $d = post_form(PA::Std::approve_path($push), "decision=approve&code=$j->{code}");
    return undef unless $d->{status} == 200;
    my $w = $t->http(path => $j->{wait}, headers => [$JS, "Push-Approval-Pending: $j->{pending}"]);
    return undef unless $w->{status} == 200;
    my %c = %{ $t->cookies($w) };
    delete $c{$_} for grep { /^pa_pending_/ } keys %c;
    return %c ? $t->cookie_header(\%c) : undef;
}

# the state of a challenge, seen through its approve page (GET never
# decides): 200 while pending, 410 once decided
sub page_status {
    my ($push) = @_;
    return $t->http(path => PA::Std::approve_path($push))->{status};
}

# every string in a decoded JSON structure
sub strings_of {
    my ($v) = @_;
    return ($v) if !ref $v && defined $v;
    return map { strings_of($_) } @$v if ref $v eq 'ARRAY';
    return map { ($_, strings_of($v->{$_})) } keys %$v if ref $v eq 'HASH';
    return ();
}

# a JSON body: strict UTF-8, no raw control character, and decoded strings
# without control characters either.  Returns the decoded value.
sub json_clean {
    my ($body, $what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $bytes = $body // '';
    ok(eval { Encode::decode('UTF-8', my $c = $bytes, Encode::FB_CROAK); 1 },
        "$what: strict UTF-8");
    unlike($bytes, qr/[\x00-\x1f\x7f]/, "$what: no raw control character");
    my $v = eval { JSON::PP->new->utf8->decode($bytes) };
    ok($v, "$what: valid JSON") or diag($@ // '', show($bytes));
    my @bad = grep { /[\x00-\x1f\x7f-\x9f]/ } strings_of($v);
    ok(!@bad, "$what: no control character in any string")
        or diag(map { show(Encode::encode('UTF-8', $_)) . "\n" } @bad);
    return $v;
}

# tag names and attribute names, in order: what markup a page has
sub skeleton {
    my ($html) = @_;
    my @s;
    (my $h = $html) =~ s/<(script|style)\b([^>]*)>.*?<\/\1>/<$1$2><\/$1>/gs;
    while ($h =~ /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/g) {
        my ($close, $tag, $attrs) = ($1, lc $2, $3);
        my @a;
        while ($attrs =~ /([^\s"'=\/>]+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]*))?/g) {
            push @a, lc $1;
        }
        push @s, "$close$tag(" . join(',', @a) . ')';
    }
    return join ' ', @s;
}

# an HTML page: strict UTF-8, no control characters, every <script> and
# <style> carries the CSP nonce, no element or attribute of the client's
# (the markup is the same as that of a page for harmless input)
sub html_clean {
    my ($res, $what, $baseline) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $body = $res->{body} // '';
    ok(eval { Encode::decode('UTF-8', my $c = $body, Encode::FB_CROAK); 1 },
        "$what: strict UTF-8");
    unlike($body, qr/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/, "$what: no control character");
    my ($nonce) = ($t->hdr($res, 'content-security-policy') // '') =~ /'nonce-([^']+)'/;
    my @scripts = $body =~ /<script\b([^>]*)>/gi;
    my @bad = grep { !defined $nonce || !/\bnonce="\Q$nonce\E"/ } @scripts;
    ok(@scripts && !@bad, "$what: every <script> carries the CSP nonce")
        or diag("scripts: @scripts");
    unlike($body, qr/<script>alert|<img|<svg|<b x=/i, "$what: no markup of the client's");
    is(skeleton($body), skeleton($baseline), "$what: same markup as for harmless input")
        if defined $baseline;
}

# every error-log line is one nginx log line
sub errlog_lines_clean {
    my ($what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my @bad = grep { !m{^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[\w+\] } }
        split /\n/, $t->errlog;
    ok(!@bad, "$what: every error-log line starts with a timestamp")
        or diag(map { show($_) . "\n" } @bad[0 .. ($#bad > 4 ? 4 : $#bad)]);
    unlike($t->errlog, qr/\r/, "$what: no CR in the error log");
}

sub user { PA::Std::user($_[0] // 'u', 'z') }

# ============================================================================
# 1. Oversized and malformed cookies: treated as no cookie
# ============================================================================

my ($CK_NAME, $CK_VALUE, $CK_COOKIE, $CK_APPROVAL);
{
    my ($res, $j, $push) = two_step('/ck/?u=ckv', 'ckv');
    is($res->{status}, 401, 'cookie: two-step challenge for the valid cookie');
    $CK_APPROVAL = $j->{approval_id};
    $CK_COOKIE = $push ? two_step_cookie($j, $push) : undef;
    ok($CK_COOKIE, 'cookie: minted by a real approval');
    ($CK_NAME, $CK_VALUE) = ($CK_COOKIE // '') =~ /^Cookie: (pa_[0-9a-f]{8})=(\S+)$/;
    ok($CK_NAME, 'cookie: default name');
    $CK_NAME //= 'pa_00000000';
    $CK_VALUE //= 'x';
}

# $cookie_header sent on /ck/ for $user: the status and the log line
sub ck_req {
    my ($user, @cookie) = @_;
    my $off = $t->log_size('access.log');
    my $res = $t->http(path => "/ck/?u=$user", headers => [$JS, @cookie]);
    return ($res, log_line($t, $off, 'GET', '/ck/'));
}

# positive controls: the valid cookie passes, also among others
for my $c (
    ["the valid cookie", "Cookie: $CK_NAME=$CK_VALUE"],
    ["spaces around the value", "Cookie: $CK_NAME = $CK_VALUE "],
    ["after another cookie", "Cookie: a=1; $CK_NAME=$CK_VALUE; b=2"],
    ["after a malformed one of the name", "Cookie: $CK_NAME=garbage; $CK_NAME=$CK_VALUE"],
    ["in a second Cookie header", "Cookie: $CK_NAME=garbage", "Cookie: $CK_NAME=$CK_VALUE"],
    ["after a 4 KB one of the name", "Cookie: $CK_NAME=" . ('A' x 4096) . "; $CK_NAME=$CK_VALUE"],
    ["after 100 malformed ones of the name (any valid one passes)",
        'Cookie: ' . join('; ', (map { "$CK_NAME=bad$_" } 1 .. 100), "$CK_NAME=$CK_VALUE")],
) {
    my ($name, @h) = @$c;
    my ($res, $line) = ck_req('ckv', @h);
    is($res->{status}, 200, "cookie passes: $name") or diag("$line");
}

{
    my $big = 'A' x 4096;
    my $many = 'Cookie: ' . join('; ', map { "$CK_NAME=" . ('B' x 20) . $_ } 1 .. 100);
    my $other = join('; ', map { sprintf('c%03d=%s', $_, 'v' x 20) } 1 .. 320);
    my $hdr8k = "Cookie: $other; $CK_NAME=" . ('C' x 30);
    ok(length($hdr8k) > 8192 && length($hdr8k) < 16384, 'cookie: an 8 KB Cookie header');
    my $b64 = $CK_VALUE;

    for my $c (
        ['a 4 KB value', 'oversized', "Cookie: $CK_NAME=$big"],
        ['100 cookies of the name', 'malformed', $many],
        ['an 8 KB Cookie header', 'malformed', $hdr8k],
        ['binary bytes', 'malformed', "Cookie: $CK_NAME=\x01\x02\x7f\x80\xff\xfe\x1b[31m"],
        ['invalid UTF-8', 'malformed', "Cookie: $CK_NAME=\xc0\xaf\xed\xa0\x80"],
        ['value "=" + valid', 'malformed', "Cookie: $CK_NAME==$b64"],
        ['valid + "="', 'malformed', "Cookie: $CK_NAME=$b64="],
        ['valid + "=="', 'malformed', "Cookie: $CK_NAME=$b64=="],
        ['quoted valid', 'malformed', "Cookie: $CK_NAME=\"$b64\""],
        ['valid with a space inside', 'malformed',
            "Cookie: $CK_NAME=" . substr($b64, 0, 10) . ' ' . substr($b64, 10)],
        ['valid with ; inside', 'malformed',
            "Cookie: $CK_NAME=" . substr($b64, 0, 10) . ';' . substr($b64, 10)],
        ['base64 (not url) alphabet', 'malformed',
            "Cookie: $CK_NAME=" . ($b64 =~ tr/-_/+\//r) . '+/'],
        ['empty value', '', "Cookie: $CK_NAME="],
        ['name prefixed', '', "Cookie: x$CK_NAME=$b64"],
        ['name suffixed', '', "Cookie: ${CK_NAME}x=$b64"],
        ['name in another value', '', "Cookie: a=$CK_NAME=$b64"],
        ['name without =', '', "Cookie: $CK_NAME"],
        ['only separators', '', "Cookie: ;;;=;=="],
    ) {
        my ($name, $reason, @h) = @$c;
        my $user = user('ck');
        my ($res, $line) = ck_req($user, @h);
        is($res->{status}, 401, "cookie $name: no pass, challenged (401)")
            or diag("$res->{status} $res->{body}");
        is(reason_of($res), 'approval_pending', "cookie $name: approval_pending");
        if (length $reason) {
            like($line, qr/ rs=\Q$reason\E /, "cookie $name: rs=$reason");
        } else {
            like($line, qr/ rs=(?:malformed|-) /, "cookie $name: no cookie of the name, or malformed");
        }
    }
    $t->clear_pushes;

    # the valid value, changed in length, never passes
    # (their reason comes before the user check: a user of their own each)
    my ($res) = ck_req(user('ck'), "Cookie: $CK_NAME=$b64$b64");
    is($res->{status}, 401, 'cookie: the valid value twice over is no pass');
    ($res) = ck_req(user('ck'), "Cookie: $CK_NAME=" . substr($b64, 0, -1));
    is($res->{status}, 401, 'cookie: the valid value cut by one is no pass');
    ($res) = ck_req(user('ck'), "Cookie: $CK_NAME=" . substr($b64, 1));
    is($res->{status}, 401, 'cookie: the valid value without its first character is no pass');

    # NUL is refused by nginx itself
    $res = $t->http(raw => raw('GET', '/ck/?u=ckv', "Cookie: $CK_NAME=$b64\x00"));
    is($res->{status}, 400, 'cookie with a NUL: 400 from nginx');
    $t->clear_pushes;

    my $m = $t->metrics('/_pa/metrics') || {};
    ok(($m->{'push_approval_cookie_checks_total{zone="pa",result="oversized"}'} // 0) >= 1,
        'metrics count oversized cookies');
    ok(($m->{'push_approval_cookie_checks_total{zone="pa",result="malformed"}'} // 0) >= 5,
        'metrics count malformed cookies');
}

# ============================================================================
# 2. The approve endpoint
# ============================================================================

{
    my ($ra, $ja, $pa) = two_step('/self/?u=apa', 'apa');
    my ($rb, $jb, $pb) = two_step('/self/?u=apb', 'apb');
    is($ra->{status}, 401, 'approve: challenge A');
    is($rb->{status}, 401, 'approve: challenge B');
    my $path_a = $pa ? PA::Std::approve_path($pa) : '/_pa/approve/x.y';
    my $path_b = $pb ? PA::Std::approve_path($pb) : '/_pa/approve/x.y';
    my ($L, $id_a, $tok_a) = $path_a =~ m{^(.*/)([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$};
    my (undef, $id_b, $tok_b) = $path_b =~ m{^(.*/)([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$};
    ok($id_a && $id_b, 'approve: approve URLs are L{id}.{token}');
    $L //= '/_pa/approve/';
    $id_a //= 'A' x 22;
    $tok_a //= 'A' x 43;
    $id_b //= 'B' x 22;
    $tok_b //= 'B' x 43;
    my $code = $ja->{code} // '000000';

    # a char of the base64url alphabet, other than the one given
    my $other = sub { $_[0] eq 'A' ? 'B' : 'A' };

    my @targets = (
        ['4 KB after L', $L . ('A' x 4096)],
        ['4 KB token', "$L$id_a." . ('A' x 4096)],
        ['id + token + 4 KB', "$L$id_a.$tok_a" . ('A' x 4096)],
        ['id of 21', $L . substr($id_a, 1) . ".$tok_a"],
        ['id of 23', "$L${id_a}A.$tok_a"],
        ['empty id', "$L.$tok_a"],
        ['id with +', $L . '+' . substr($id_a, 1) . ".$tok_a"],
        ['id with =', $L . substr($id_a, 0, 21) . "=.$tok_a"],
        ['id with %2B', $L . '%2B' . substr($id_a, 1) . ".$tok_a"],
        ['id with ~', $L . '~' . substr($id_a, 1) . ".$tok_a"],
        ['id with a UTF-8 char', $L . "\xc3\xa9" . substr($id_a, 2) . ".$tok_a"],
        ['token of 42', "$L$id_a." . substr($tok_a, 1)],
        ['token of 44', "$L$id_a.${tok_a}A"],
        ['token with /', "$L$id_a." . substr($tok_a, 0, 20) . '/' . substr($tok_a, 21)],
        ['token with %2F', "$L$id_a." . substr($tok_a, 0, 20) . '%2F' . substr($tok_a, 21)],
        ['token with one char changed', "$L$id_a." . substr($tok_a, 0, 20)
            . $other->(substr($tok_a, 20, 1)) . substr($tok_a, 21)],
        ['id with one char changed', $L . substr($id_a, 0, 10)
            . $other->(substr($id_a, 10, 1)) . substr($id_a, 11) . ".$tok_a"],
        ['no dot', "$L$id_a$tok_a"],
        ['two dots', "$L$id_a..$tok_a"],
        ['id A + token B', "$L$id_a.$tok_b"],
        ['id B + token A', "$L$id_b.$tok_a"],
        ['token . id', "$L$tok_a.$id_a"],
        ['trailing /', "$L$id_a.$tok_a/"],
        ['trailing %2F', "$L$id_a.$tok_a%2F"],
        ['trailing /..', "$L$id_a.$tok_a/.."],
        ['/../ after L', "$L../approve/$id_a.$tok_a/x/.."],
        ['%2E%2E%2F', "$L%2E%2E%2F$id_a.$tok_a"],
        ['..%2F..%2F to a protected place', "$L..%2F..%2Fhold/"],
        ['query instead of path', "$L?id=$id_a&token=$tok_a"],
        ['token in the query', "$L$id_a?$tok_a"],
    );
    for my $tg (@targets) {
        my ($name, $path) = @$tg;
        my $g = $t->http(raw => raw('GET', $path, $JS));
        ok($g->{status} >= 400 && $g->{status} < 500,
            'approve GET ' . $name . ': 4xx') or diag("$g->{status}");
        my $p = $t->http(raw => raw('POST', $path, $JS, $FORM,
            'Content-Length: ' . length("decision=approve&code=$code"),
            \"decision=approve&code=$code"));
        ok($p->{status} >= 400 && $p->{status} < 500 && $p->{status} != 410,
            "approve POST $name: 4xx") or diag("$p->{status} $p->{body}");
    }
    # base64url that is not canonical (unused low bits set) names no id
    # and no token: never decides (checked with GET, which decides nothing)
    {
        my %v = map { $_ => index('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', $_) }
            split //, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        my @c = split //, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        my $tok_nc = substr($tok_b, 0, 42) . $c[ $v{ substr($tok_b, 42) } ^ 1 ];
        my $id_nc = substr($id_b, 0, 21) . $c[ $v{ substr($id_b, 21) } ^ 1 ];
        is($t->http(path => "$L$id_b.$tok_nc")->{status}, 404,
            'approve GET with a non-canonical token (unused bits set): 404');
        is($t->http(path => "$L$id_nc.$tok_b")->{status}, 404,
            'approve GET with a non-canonical id (unused bits set): 404');
    }

    # an over-long request line is refused by nginx before the module
    my $long = $t->http(raw => raw('GET', $L . ('A' x 20000)));
    is($long->{status}, 414, 'approve: a 20 KB URL is 414');
    is(page_status($pa), 200, 'approve: A still pending after the path tricks');
    is(page_status($pb), 200, 'approve: B still pending after the path tricks');

    # the Bearer form
    for my $b (
        ['garbage', 'Bearer ' . ('x' x 43)],
        ['token of B', "Bearer $tok_b"],
        ['4 KB', 'Bearer ' . ('A' x 4096)],
        ['empty', 'Bearer '],
        ['Basic', 'Basic ' . $tok_a],
        ['token twice', "Bearer $tok_a $tok_a"],
    ) {
        my ($name, $auth) = @$b;
        my $r = post_form("$L$id_a", "decision=approve&code=$code", "Authorization: $auth");
        ok($r->{status} == 404 || $r->{status} == 400 || $r->{status} == 401,
            "approve Bearer $name: 400/401/404") or diag("$r->{status} $r->{body}");
    }
    is(page_status($pa), 200, 'approve: A still pending after the Bearer tricks');

    # bodies
    my $r = $t->http(method => 'POST', path => $path_a, headers => [$JS, $FORM],
        body => "decision=approve&code=$code&x=" . ('x' x (1024 * 1024)));
    is($r->{status}, 413, 'approve: 1 MB form body: 413');
    $r = $t->http(method => 'POST', path => $path_a, headers => [$JS, $FORM],
        body => "decision=approve&code=$code&x=" . ('x' x 2048));
    ok($r->{status} == 413 || $r->{status} == 400, 'approve: 2 KB form body: 413 or 400')
        or diag($r->{status});
    {
        my $chunk = "decision=approve&code=$code&x=" . ('x' x (2 * 1024 * 1024));
        my $body = sprintf("%x\r\n%s\r\n0\r\n\r\n", length $chunk, $chunk);
        my $h = $t->http_start(raw => raw('POST', $path_a, $JS, $FORM,
            'Transfer-Encoding: chunked') . $body);
        $r = $t->http_wait($h, 10);
        ok($r->{status} == 413 || $r->{status} == 400, 'approve: 2 MB chunked body: 413 or 400')
            or diag($r->{status});
    }

    for my $f (
        ['duplicate decision', "decision=deny&decision=approve&code=$code", 400],
        ['duplicate decision (same)', "decision=approve&decision=approve&code=$code", 400],
        ['duplicate code', "decision=approve&code=$code&code=$code", 400],
        ['no decision', "code=$code", 400],
        ['empty body', '', 400],
        ['decision APPROVE', "decision=APPROVE&code=$code", 400],
        ['decision "approve "', "decision=approve+&code=$code", 400],
        ['decision approve%00', "decision=approve%00&code=$code", 400],
        ['decision yes', "decision=yes&code=$code", 400],
        ['decision empty', "decision=&code=$code", 400],
        ['decision[]', "decision[]=approve&code=$code", 400],
        ['decision with a broken escape', "decision=appr%ZZove&code=$code", 400],
        ['decision with a cut escape', "decision=approve&code=$code%4", 400],
        ['decision <script>', "decision=%3Cscript%3Ealert(1)%3C/script%3E&code=$code", 400],
        ['decision as JSON', qq({"decision":"approve","code":"$code"}), 400],
    ) {
        my ($name, $body, $want) = @$f;
        my $res = post_form($path_a, $body);
        is($res->{status}, $want, "approve form $name: $want") or diag($res->{body});
        like($t->hdr($res, 'content-type') // '', qr{^application/problem\+json},
            "approve form $name: problem+json");
    }
    is(page_status($pa), 200, 'approve: A still pending after the bad forms');

    # multipart: not a form the endpoint reads
    {
        my $bd = 'XyZb0undary';
        my $mp = "--$bd\r\nContent-Disposition: form-data; name=\"decision\"\r\n\r\napprove\r\n"
            . "--$bd\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\n$code\r\n--$bd--\r\n";
        my $res = $t->http(method => 'POST', path => $path_a,
            headers => [$JS, "Content-Type: multipart/form-data; boundary=$bd"], body => $mp);
        ok($res->{status} == 400 || $res->{status} == 415, 'approve: multipart body: 400 or 415')
            or diag("$res->{status} $res->{body}");
    }
    # chunked, small: read like any body (here a bad decision)
    {
        my $body = "decision=maybe&code=$code";
        my $res = $t->http(raw => raw('POST', $path_a, $JS, $FORM, 'Transfer-Encoding: chunked')
            . sprintf("%x\r\n%s\r\n0\r\n\r\n", length $body, $body));
        is($res->{status}, 400, 'approve: chunked body with a bad decision: 400');
    }
    is(page_status($pa), 200, 'approve: A still pending after multipart and chunked');

    # codes: letters, 100 digits (at most two wrong codes: A stays open)
    for my $c (['letters', '12ab56'], ['100 digits', '1' x 100]) {
        my ($name, $bad) = @$c;
        my $res = post_form($path_a, "decision=approve&code=$bad");
        ok($res->{status} == 403 || $res->{status} == 400, "approve: code of $name: 403 or 400")
            or diag("$res->{status} $res->{body}");
        like(reason_of($res), qr/^(?:code_mismatch|bad_request)$/, "approve: code of $name: reason");
    }
    is(page_status($pa), 200, 'approve: A still pending after two bad codes');

    # the real decision, without a Content-Type: accepted as the form it is,
    # or refused without deciding
    my $res = $t->http(method => 'POST', path => $path_a, headers => [$JS],
        body => "decision=approve&code=$code");
    if ($res->{status} == 200) {
        pass('approve: no Content-Type: the form is read');
    } else {
        ok($res->{status} == 400 || $res->{status} == 415, 'approve: no Content-Type: 400 or 415')
            or diag("$res->{status} $res->{body}");
        is(page_status($pa), 200, 'approve: A still pending');
        $res = post_form($path_a, "decision=approve&code=$code");
    }
    is($res->{status}, 200, 'approve: A is still decidable with its code');
    is(json_of($res)->{status}, 'approved', 'approve: A approved');
    my $w = $t->http(path => $ja->{wait} // '/_pa/wait/x',
        headers => [$JS, 'Push-Approval-Pending: ' . ($ja->{pending} // '')]);
    is($w->{status}, 200, 'approve: the requester of A gets its cookie');

    # B: crossed with A's token it never moved; it is decidable
    $res = post_form($path_b, 'decision=deny');
    is($res->{status}, 200, 'approve: B is still decidable');
    $res = post_form($path_b, 'decision=approve&code=' . ($jb->{code} // ''));
    is($res->{status}, 410, 'approve: B, once decided, is gone');
    $t->clear_pushes;
}

# ============================================================================
# 3. The wait endpoint
# ============================================================================

{
    my ($res, $j, $push) = two_step('/self/?u=wta', 'wta');
    is($res->{status}, 401, 'wait: a two-step challenge');
    my $wait = $j->{wait} // '/_pa/wait/x';
    my $pend = $j->{pending} // 'x';
    my ($W, $id) = $wait =~ m{^(.*/)([A-Za-z0-9_-]{22})$};
    $W //= '/_pa/wait/';
    $id //= 'A' x 22;
    my $PH = "Push-Approval-Pending: $pend";

    for my $c (
        ['no id', $W],
        ['id of 21', $W . substr($id, 1)],
        ['id of 23', "$W${id}A"],
        ['id of 4 KB', $W . ('A' x 4096)],
        ['id with a dot', $W . substr($id, 0, 21) . '.'],
        ['id with %00', $W . substr($id, 0, 21) . '%00'],
        ['id/..', "$W$id/.."],
        ['id + /x', "$W$id/x"],
    ) {
        my ($name, $path) = @$c;
        my $r = $t->http(raw => raw('GET', $path, $JS, $PH), timeout => 3);
        ok($r->{status} == 404 || $r->{status} == 400, "wait $name: 404 or 400")
            or diag("$r->{status} " . ($r->{error} // ""));
    }

    for my $c (
        ['a 10 KB pending header', 'Push-Approval-Pending: ' . ('A' x 10240), 404],
        ['pending of another length', 'Push-Approval-Pending: ' . substr($pend, 1), 404],
        ['pending + garbage', "Push-Approval-Pending: $pend" . 'A', 404],
        ['pending with a space', 'Push-Approval-Pending: ' . substr($pend, 0, 5) . ' ' . substr($pend, 5), 404],
        ['pending with binary bytes', "Push-Approval-Pending: \x01\x7f\x80\xff", 404],
        ['pending with a bare CR', "Push-Approval-Pending: $pend\rX", 400],
        ['pending with a NUL', "Push-Approval-Pending: $pend\x00", 400],
        ['pending cookie of 10 KB', "Cookie: pa_pending_$id=" . ('A' x 10240), 404],
        ['pending cookie of another challenge', "Cookie: pa_pending_AAAAAAAAAAAAAAAAAAAAAA=$pend", 404],
    ) {
        my ($name, $h, $want) = @$c;
        my $r = $t->http(raw => raw('GET', $wait, $JS, $h), timeout => 3);
        is($r->{status}, $want, "wait: $name: $want") or diag("$r->{status} " . ($r->{error} // ""));
    }
    # a folded header line (obs-fold): never a pass to the module as a
    # different value; whatever nginx makes of it, a clear 4xx
    {
        my $r = $t->http(raw => raw('GET', $wait, $JS, "Push-Approval-Pending: garbage\r\n $pend"),
            timeout => 3);
        ok($r->{status} == 400 || $r->{status} == 404, 'wait: a folded pending header: 400 or 404')
            or diag("$r->{status} " . ($r->{error} // ""));
    }

    # forged r= (a valid pending secret, the challenge still pending:
    # refused before holding)
    for my $c (
        ['garbage', 'r=garbage'],
        ['empty', 'r='],
        ['//evil', 'r=//evil.example/'],
        ['%2F%2Fevil', 'r=%2F%2Fevil.example%2F'],
        ['http://evil', 'r=http://evil.example/'],
        ['base64 of //evil, unsigned', 'r=Ly9ldmlsLmV4YW1wbGUv'],
        ['base64 of //evil with a fake MAC', 'r=Ly9ldmlsLmV4YW1wbGUv.AAAAAAAAAAAAAAAAAAAAAA'],
        ['4 KB', 'r=' . ('A' x 4096)],
        ['two r', 'r=Lw.AAAAAAAAAAAAAAAAAAAAAA&r=Lw.AAAAAAAAAAAAAAAAAAAAAA'],
        ['<script>', 'r=%3Cscript%3Ealert(1)%3C/script%3E'],
    ) {
        my ($name, $q) = @$c;
        my $r = $t->http(path => "$wait?$q", headers => [$PH], timeout => 3);
        is($r->{status}, 400, "wait: r= $name: 400") or diag("$r->{status} " . ($r->{error} // ""));
        ok(!defined $t->hdr($r, 'location'), "wait: r= $name: no Location");
    }

    # still decidable, and the secret still redeemable once
    my $d = post_form(PA::Std::approve_path($push), 'decision=approve&code=' . ($j->{code} // ''));
    is($d->{status}, 200, 'wait: the challenge is still decidable');
    my $r = $t->http(path => $wait, headers => [$PH]);
    is($r->{status}, 303, 'wait: approved, 303');
    like($t->hdr($r, 'location') // '', qr{^/self/\?u=wta$}, 'wait: back to the original path');
    $t->clear_pushes;
}

# the 303 never leaves the server: original paths that would
{
    for my $c (
        ['//self/', '//self/?u=' ],
        ['//self//x', '//self//x?u='],
        ['/\\evil/../self/', "/\\evil.example/../self/?u="],
        ['/self/ with <"\'>', "/self/<a\"b'c>?u="],
    ) {
        my ($name, $prefix) = @$c;
        my $user = user('wo');
        my $res = $t->http(raw => raw('GET', "$prefix$user", $JS));
        is($res->{status}, 401, "wait 303 for $name: two-step");
        my $j = json_of($res);
        my $push = push_for($t, $user) or next;
        my $d = post_form(PA::Std::approve_path($push), "decision=approve&code=$j->{code}");
        is($d->{status}, 200, "wait 303 for $name: approved");
        my $w = $t->http(path => $j->{wait}, headers => ["Push-Approval-Pending: $j->{pending}"]);
        is($w->{status}, 303, "wait 303 for $name: 303");
        my $loc = $t->hdr($w, 'location') // '';
        like($loc, qr{^/(?![/\\])}, "wait 303 for $name: a path on this server (" . show($loc) . ')');
        unlike($loc, qr/[\x00-\x20\x7f]/, "wait 303 for $name: no space or control character");
    }

    # page mode: the signed r= path is never '//...'
    my $user = user('wp');
    my $res = $t->http(raw => raw('GET', "//self//x?u=$user", $HTML));
    is($res->{status}, 202, 'wait r= for //self//x: page');
    my ($wu) = ($res->{body} // '') =~ /\bdata-wait="([^"]*)"/;
    my ($code) = ($res->{body} // '') =~ /id="pa-code"[^>]*>(\d+)</;
    ok($wu && $code, 'wait r= for //self//x: wait URL and code in the page');
    my $push = push_for($t, $user);
    if ($wu && $code && $push) {
        (my $wpath = $wu) =~ s/&amp;/&/g;
        my $d = post_form(PA::Std::approve_path($push), "decision=approve&code=$code");
        is($d->{status}, 200, 'wait r= for //self//x: approved');
        my $w = $t->http(path => $wpath, headers => [$t->cookie_header($res)]);
        is($w->{status}, 303, 'wait r= for //self//x: 303');
        like($t->hdr($w, 'location') // '', qr{^/(?![/\\])},
            'wait r= for //self//x: a path on this server');
    }

    # two page challenges: one's signed r= does not fit the other
    my ($u1, $u2) = (user('wr'), user('wr'));
    my $p1 = $t->http(path => "/self/one?u=$u1", headers => [$HTML]);
    my $p2 = $t->http(path => "/self/two?u=$u2", headers => [$HTML]);
    my ($w1) = ($p1->{body} // '') =~ /\bdata-wait="([^"]*)"/;
    my ($w2) = ($p2->{body} // '') =~ /\bdata-wait="([^"]*)"/;
    my ($base1) = ($w1 // '') =~ /^([^?]*)/;
    my ($r2) = ($w2 // '') =~ /\?r=([^"&]*)/;
    ok($base1 && $r2, 'wait: two page challenges');
    my $x = $t->http(path => "$base1?r=$r2", headers => [$t->cookie_header($p1)], timeout => 3);
    is($x->{status}, 400, "wait: another challenge's signed r=: 400");
    my ($r1) = ($w1 // '') =~ /\?r=([^"&]*)/;
    my $flipped = $r1 // 'x';
    substr($flipped, 0, 1) = substr($flipped, 0, 1) eq 'L' ? 'M' : 'L';
    $x = $t->http(path => "$base1?r=$flipped", headers => [$t->cookie_header($p1)], timeout => 3);
    is($x->{status}, 400, 'wait: a changed signed r=: 400');
    $t->clear_pushes;
}

# ============================================================================
# 4. The console
# ============================================================================

{
    my $SO = 'Sec-Fetch-Site: same-origin';
    for my $c (
        ['x', 'x'],
        ['21 chars', 'A' x 21],
        ['23 chars', 'A' x 23],
        ['4 KB', 'A' x 4096],
        ['non-base64url', '!' x 22],
        ['%2F', ('A' x 10) . '%2F' . ('A' x 11)],
        ['../', '../../_pa/approve/x'],
        ['a valid-looking unknown id', 'AAAAAAAAAAAAAAAAAAAAAA'],
        ['<script>', '<script>alert(1)</script>'],
        ['id + /', "$CK_APPROVAL/"],
        ['id + .', "$CK_APPROVAL."],
    ) {
        my ($name, $id) = @$c;
        my $r = $t->http(raw => raw('POST', "/_pa/console/revoke/$id?who=ops", $JS, $SO,
            'Content-Length: 0'));
        ok($r->{status} == 404 || $r->{status} == 400 || $r->{status} == 405,
            "console revoke $name: 404, 400 or 405")
            or diag("$r->{status} $r->{body}");
    }
    my $r = $t->http(raw => raw('POST', "/_pa/console/revoke/A%00A?who=ops", $JS, $SO,
        'Content-Length: 0'));
    is($r->{status}, 400, 'console revoke with %00: 400 from nginx');

    my $id = $CK_APPROVAL // 'AAAAAAAAAAAAAAAAAAAAAA';
    my $rv = "/_pa/console/revoke/$id?who=ops";
    for my $c (
        ['Origin: null', 'Origin: null'],
        ['Origin: http://localhost.evil.example', 'Origin: http://localhost.evil.example'],
        ["Origin: http://localhost:$P0.evil.example", "Origin: http://localhost:$P0.evil.example"],
        ['Origin: http://evil.example', 'Origin: http://evil.example'],
        ['Origin: http://localhostx', 'Origin: http://localhostx'],
        ["Origin: https://localhost:$P0", "Origin: https://localhost:$P0"],
        ['Origin: http://localhost/x', 'Origin: http://localhost/x'],
        ['Origin: http://LOCALHOST@evil.example', 'Origin: http://localhost@evil.example'],
        ['two Origins, the bad one first', 'Origin: http://evil.example', "Origin: http://localhost:$P0"],
        ['no Origin, no Sec-Fetch-Site'],
        ['Sec-Fetch-Site: cross-site with a matching Origin', 'Sec-Fetch-Site: cross-site',
            "Origin: http://localhost:$P0"],
        ['Sec-Fetch-Site: same-site', 'Sec-Fetch-Site: same-site'],
        ['Sec-Fetch-Site: none', 'Sec-Fetch-Site: none'],
        ['Sec-Fetch-Site: same-origin-x', 'Sec-Fetch-Site: same-origin-x'],
    ) {
        my ($name, @h) = @$c;
        my $x = $t->http(raw => raw('POST', $rv, $JS, "Host: localhost:$P0", @h,
            'Content-Length: 0'));
        is($x->{status}, 403, "console revoke, $name: 403") or diag($x->{body});
        is(reason_of($x), 'cross_site', "console revoke, $name: cross_site");
    }
    # no Host at all: HTTP/1.0 has none to match, HTTP/1.1 needs one
    my $x = $t->http(raw => "POST $rv HTTP/1.0\r\n$JS\r\nOrigin: http://\r\nContent-Length: 0\r\n\r\n");
    is($x->{status}, 403, 'console revoke, HTTP/1.0 without Host: 403');
    $x = $t->http(raw => "POST $rv HTTP/1.1\r\n$JS\r\nOrigin: http://localhost\r\n"
        . "Connection: close\r\nContent-Length: 0\r\n\r\n");
    is($x->{status}, 400, 'console revoke, HTTP/1.1 without Host: 400');
    $x = $t->http(raw => raw('POST', $rv, $JS, "Host: localhost:$P0", $SO,
        'Content-Length: 0') =~ s/\?who=ops//r);
    is($x->{status}, 403, 'console revoke without an identity: 403');

    # nothing was revoked by any of that
    my ($res) = ck_req('ckv', $CK_COOKIE // 'Cookie: x=y');
    is($res->{status}, 200, 'console: the approval is intact after the tricks');

    # the positive control: a browser's same-origin Origin (with the port)
    $x = $t->http(raw => raw('POST', $rv, $JS, "Host: localhost:$P0",
        "Origin: http://localhost:$P0", 'Content-Length: 0'));
    is($x->{status}, 200, "console revoke, matching Origin http://localhost:$P0: 200")
        or diag($x->{body});
    unless ($x->{status} == 200) {
        # revoke it anyway, to see the revocation below
        $x = $t->http(raw => raw('POST', $rv, $JS, "Host: localhost:$P0", $SO, 'Content-Length: 0'));
        is($x->{status}, 200, 'console revoke, Sec-Fetch-Site: same-origin: 200');
    }
    ($res, my $line) = ck_req('ckv', $CK_COOKIE // 'Cookie: x=y');
    is($res->{status}, 401, 'console: the revoked cookie no longer passes');
    like($line, qr/ rs=revoked /, 'console: rs=revoked');
    $t->clear_pushes;
}

# ============================================================================
# 5. CR/LF, NUL, quotes, <script>, formulas, invalid UTF-8 in the context
# ============================================================================

# a path for the request line: printable ASCII and bytes >= 0x80 raw,
# the rest %-escaped
sub pathify {
    my ($s) = @_;
    $s =~ s/([\x00-\x20\x7f#%?])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}

my %P = (
    script  => '<script>alert(1)</script>',
    quotes  => q{"'><b x=" onmouseover='alert(1)'},
    hyper   => '=HYPERLINK("http://evil.example","x")',
    plus    => q{+cmd|' /C calc'!A0},
    minus   => '-2+3',
    at      => '@SUM(1+1)',
    utf8    => "zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac",
    ff      => "a\xff\xfeb",
    overlong => "a\xc0\xafb",
    cont    => "a\x80\xbfb",
    surr    => "a\xed\xa0\x80b",
    ctl     => "c\x01t\x1bl\x7fend\tx",
);
my @VERBATIM = qw(script quotes hyper plus minus at utf8);
my @PNAMES = (@VERBATIM, qw(ff overlong cont surr ctl));

sub chars { Encode::decode('UTF-8', $_[0]) }

# baselines: the same requests with harmless input
my ($BASE_APPROVE, $BASE_PAGE);
{
    my $h = $t->http_start(raw => raw('GET', '/hx/base?q=1', "X-User: baseu", 'User-Agent: base-agent'),
        timeout => 10);
    my $push = push_for($t, 'baseu');
    $BASE_APPROVE = $push ? $t->http(path => PA::Std::approve_path($push))->{body} : '';
    post_form(PA::Std::approve_path($push), 'decision=deny') if $push;
    $t->http_wait($h, 5);
    my $pg = $t->http(raw => raw('GET', '/hx/base?q=1', 'X-User: basep', 'User-Agent: base-agent',
        $HTML), port => $P1);
    is($pg->{status}, 202, 'baseline page');
    $BASE_PAGE = $pg->{body};
    $push = push_for($t, 'basep');
    post_form(PA::Std::approve_path($push), 'decision=deny') if $push;
}

# every payload at once in user, agent and uri (a held request, approver ops)
my %held;
for my $k (@PNAMES) {
    my $p = $P{$k};
    my $user = "$k:$p";
    my $path = '/hx/' . pathify($p) . '?q=' . pathify($p);
    my $h = $t->http_start(raw => raw('GET', $path, "X-User: $user", "User-Agent: $p",
        'Host: hostile.example'), port => $P1, timeout => 15);
    my $push = $t->wait_push(5);
    ok($push, "context $k: push");
    next unless $push;
    $held{$k} = [$h, $push, $path];

    my $v = json_clean($push->{body}, "context $k: push JSON");
    next unless $v;
    if (grep { $_ eq $k } @VERBATIM) {
        is($v->{user}, chars($user), "context $k: user carried verbatim");
        is($v->{agent}, chars($p), "context $k: agent carried verbatim");
        is($v->{uri}, chars($path), "context $k: uri carried verbatim");
    } else {
        like($v->{user}, qr/^\Q$k\E:/, "context $k: user kept its readable part");
        like($v->{agent}, qr/^[ac]/, "context $k: agent kept its readable part");
        like($v->{uri}, qr{^/hx/}, "context $k: uri kept its readable part");
    }
    is($v->{server}, 'hostile-id', "context $k: server is push_approval_server_id, not the Host");
    like($v->{approve_url}, qr{^http://127\.0\.0\.1:$P0/_pa/approve/[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$},
        "context $k: approve_url untouched");

    my $ap = $t->http(path => PA::Std::approve_path($push));
    is($ap->{status}, 200, "context $k: approve page");
    html_clean($ap, "context $k: approve page", $BASE_APPROVE);
    if ($k eq 'script') {
        like($ap->{body}, qr/&lt;script&gt;alert\(1\)&lt;\/script&gt;/,
            'context script: shown escaped on the approve page');
    }
    if ($k eq 'quotes') {
        like($ap->{body}, qr/(?:&quot;|&#34;)(?:&#39;|&#x27;|&apos;)&gt;/,
            'context quotes: quotes escaped on the approve page');
    }
    if ($k eq 'hyper') {
        like($ap->{body}, qr/=HYPERLINK\((?:&quot;|&#34;)http:\/\/evil\.example/,
            'context hyper: the formula is shown as text');
    }
}

# the console lists them all, as valid JSON and as a clean page
{
    my $c = $t->http(path => '/_pa/console/?who=ops', headers => [$JS]);
    is($c->{status}, 200, 'console JSON with hostile challenges');
    my $v = json_clean($c->{body}, 'console JSON');
    my %users = map { ($_->{user} // '') => 1 } @{ ref $v eq 'ARRAY' ? $v : [] };
    ok($users{ chars("$_:$P{$_}") }, "console JSON lists user $_") for @VERBATIM;
    my $ch = $t->http(path => '/_pa/console/?who=ops', headers => [$HTML]);
    is($ch->{status}, 200, 'console page with hostile challenges');
    like($t->hdr($ch, 'content-type') // '', qr{^text/html}, 'console page is HTML');
    unlike($ch->{body}, qr/<script>alert|<b x=/i, 'console page: no markup of the client\'s');
    ok(eval { Encode::decode('UTF-8', my $b = $ch->{body}, Encode::FB_CROAK); 1 },
        'console page: strict UTF-8');
}

for my $k (@PNAMES) {
    my ($h, $push) = @{ $held{$k} || next };
    my $d = post_form(PA::Std::approve_path($push), 'decision=deny');
    is($d->{status}, 200, "context $k: denied");
    my $r = $t->http_wait($h, 5);
    is($r->{status}, 403, "context $k: the held request ends 403");
}

# the interstitial page (202) with the same payloads
for my $k (@PNAMES) {
    my $p = $P{$k};
    my $user = "pg$k:$p";
    my $path = '/hx/' . pathify($p) . '?q=' . pathify($p);
    my $res = $t->http(raw => raw('GET', $path, "X-User: $user", "User-Agent: $p", $HTML,
        'Host: hostile.example'), port => $P1);
    is($res->{status}, 202, "page $k: 202");
    html_clean($res, "page $k", $BASE_PAGE);
    my ($wu) = ($res->{body} // '') =~ /\bdata-wait="([^"]*)"/;
    like($wu // '', qr{^/_pa/wait/[A-Za-z0-9_-]{22}\?r=[A-Za-z0-9_.-]+$},
        "page $k: the wait URL is the module's own");
    my $push = $t->wait_push(5);
    json_clean($push ? $push->{body} : '', "page $k: push JSON");
    post_form(PA::Std::approve_path($push), 'decision=deny') if $push;
}

# CR, LF, TAB and invalid UTF-8 in the user, decoded from the path
# (location ~ ^/hu/(?<pa_u>[^/]*)/)
for my $c (
    ['CR LF', '%0D%0AInjected:%201'],
    ['LF + fake log line', '%0A2024-01-01%2000:00:00%20[alert]%201%231:%20fake'],
    ['TAB', 'a%09b'],
    ['ESC', 'a%1B[31mred'],
    ['invalid UTF-8', 'a%ff%c0%af%ed%a0%80b'],
    ['quotes and script', '%22%27%3Cscript%3Ealert(1)%3C%2Fscript%3E'],
) {
    my ($name, $enc) = @$c;
    my $h = $t->http_start(raw => raw('GET', "/hu/$enc/"), timeout => 15);
    my $push = $t->wait_push(5);
    ok($push, "decoded user $name: push");
    next unless $push;
    my $v = json_clean($push->{body}, "decoded user $name: push JSON");
    unlike($v->{user} // '', qr/[\r\n]/, "decoded user $name: no CR/LF in the user") if $v;
    my $ap = $t->http(path => PA::Std::approve_path($push));
    html_clean($ap, "decoded user $name: approve page", $BASE_APPROVE);
    post_form(PA::Std::approve_path($push), 'decision=deny');
    my $r = $t->http_wait($h, 5);
    is($r->{status}, 403, "decoded user $name: denied");
}

# a hostile Host (server_name ""): never the server's name
for my $c (
    ['quotes and <', q{"'><script>alert(1)<}],
    ['formula', '=HYPERLINK("evil")'],
    ['plus', '+cmd|calc'],
    ['at', '@SUM(1+1)'],
    ['invalid UTF-8', "h\xff\xfe\xc0\xaf"],
    ['control character', "h\x01\x1b"],
) {
    my ($name, $host) = @$c;
    my $user = user('host');
    # nginx refuses some Host values itself (400): see if it takes this one
    my $probe = $t->http(raw => raw('GET', '/none.txt', "Host: $host"), port => $P1, timeout => 3);
    if ($probe->{status} == 400) {
        my $r = $t->http(raw => raw('GET', '/hx/', "Host: $host", "X-User: $user"),
            port => $P1, timeout => 3);
        is($r->{status}, 400, "Host $name: refused by nginx (400)");
        next;
    }
    is($probe->{status}, 404, "Host $name: taken by nginx");
    my $h = $t->http_start(raw => raw('GET', '/hx/', "Host: $host", "X-User: $user"),
        port => $P1, timeout => 15);
    my $push = push_for($t, $user, 5);
    ok($push, "Host $name: push") or next;
    my $v = json_clean($push->{body}, "Host $name: push JSON");
    is($v->{server}, 'hostile-id', "Host $name: not the server's name") if $v;
    my $ap = $t->http(path => PA::Std::approve_path($push));
    html_clean($ap, "Host $name: approve page", $BASE_APPROVE);
    post_form(PA::Std::approve_path($push), 'decision=deny');
    is($t->http_wait($h, 5)->{status}, 403, "Host $name: denied");

    my $pg = $t->http(raw => raw('GET', '/hx/', "Host: $host", 'X-User: ' . user('hostp'), $HTML),
        port => $P1);
    is($pg->{status}, 202, "Host $name: page");
    html_clean($pg, "Host $name: page", $BASE_PAGE);
    my $pp = $t->wait_push(5);
    post_form(PA::Std::approve_path($pp), 'decision=deny') if $pp;
}
{
    my $r = $t->http(raw => raw('GET', '/hx/', 'Host: <script>alert(1)</script>', 'X-User: hs'),
        port => $P1, timeout => 3);
    is($r->{status}, 400, 'Host with a slash: 400 from nginx');
}

# NUL anywhere in the head: refused by nginx, before the module
for my $c (
    ['user', "X-User: a\x00b"],
    ['agent', "User-Agent: a\x00b"],
    ['Host', "Host: a\x00b"],
    ['Accept', "Accept: text/html\x00"],
) {
    my ($name, $h) = @$c;
    my $r = $t->http(raw => raw('GET', '/hx/', 'X-User: nul', $h), port => $P1, timeout => 3);
    is($r->{status}, 400, "NUL in the $name: 400");
}
{
    my $r = $t->http(raw => raw('GET', '/hu/a%00b/'), timeout => 3);
    is($r->{status}, 400, 'NUL decoded from the path: 400');
    $r = $t->http(raw => "GET /hx/a\x00b HTTP/1.1\r\nHost: localhost\r\nX-User: nul\r\n"
        . "Connection: close\r\n\r\n", timeout => 3);
    is($r->{status}, 400, 'NUL in the request line: 400');
    ok($t->no_push(0.3), 'NUL: no push');
}
errlog_lines_clean('context');
$t->clear_pushes;

# ============================================================================
# 6. A flood: 500 requests, 500 users, a 32 KB zone
# ============================================================================

{
    # a user approved before the flood keeps passing during it
    my ($res, $j, $push) = two_step('/flood/?u=vip', 'vip');
    is($res->{status}, 401, 'flood: vip challenged');
    my $vip = $push ? two_step_cookie($j, $push) : undef;
    ok($vip, 'flood: vip has a cookie');
    $t->clear_pushes;

    my $pushes0 = $t->push_count;
    my (%st, %rs, @pass);
    my @handles;
    my $n = 0;
    for my $batch (1 .. 10) {
        for (1 .. 50) {
            $n++;
            my $hold = $n % 5 == 0;
            push @handles, [$t->http_start(
                path => ($hold ? '/floodhold/' : '/flood/') . "?u=fl$n",
                headers => [$JS], timeout => 15), $hold];
        }
        # while the zone is full, the approved user passes
        my $v = $t->http(path => '/flood/?u=vip', headers => [$JS, $vip // 'X: y']);
        push @pass, $v->{status};
    }
    my @res = $t->http_wait_all([map { $_->[0] } @handles], 15);
    for my $i (0 .. $#res) {
        my $r = $res[$i];
        $st{ $r->{status} }++;
        $rs{ reason_of($r) }++;
    }
    diag('flood statuses: ' . join(' ', map { "$_=$st{$_}" } sort keys %st)
        . '; reasons: ' . join(' ', map { "$_=$rs{$_}" } sort keys %rs));
    is(scalar(@res), 500, 'flood: 500 answers');
    ok(!$st{200}, 'flood: no request passed');
    ok(!$st{0}, 'flood: no connection hung or was dropped');
    ok(!grep({ $_ >= 500 && $_ != 503 } keys %st), 'flood: no 5xx but 503');
    ok(($st{503} // 0) > 0, 'flood: the zone filled: 503');
    is($rs{unavailable} // 0, $st{503} // 0, 'flood: every 503 is unavailable');
    ok(($st{401} // 0) > 0, 'flood: challenges were made until then');
    my @other = grep { !/^(?:401|403|503)$/ } keys %st;
    ok(!@other, 'flood: only 401, 403 (held, timed out) and 503') or diag("@other");
    is(scalar(grep { $_ != 200 } @pass), 0, 'flood: vip passed throughout')
        or diag("vip: @pass");
    my $made = ($st{401} // 0) + ($st{403} // 0);
    $t->wait_for(sub { $t->push_count - $pushes0 >= $made }, 5, 'the pushes of the flood');
    is($t->push_count - $pushes0, $made, 'flood: one push per challenge, none for a 503');

    # the zone empties once the flood's challenges are over (wait 2s, kept
    # one more wait for 410 answers)
    my $after;
    my $k = 0;
    $t->wait_for(sub {
        $k++;
        my $r = $t->http(path => "/flood/?u=after$k", headers => [$JS]);
        unless ($r->{status} == 401) {
            sleep 0.2;
            return 0;
        }
        $after = [$r, "after$k"];
        return 1;
    }, 15, 'the zone to take a challenge again');
    if ($after) {
        my ($r, $u) = @$after;
        my $p = push_for($t, $u);
        my $c = $p ? two_step_cookie(json_of($r), $p) : undef;
        ok($c, 'flood: after it, a new user is approved normally');
        my $ok = $t->http(path => "/flood/?u=$u", headers => [$c // 'X: y']);
        is($ok->{status}, 200, 'flood: and passes with the cookie');
    }
    my $m = $t->metrics('/_pa/metrics') || {};
    ok(defined $m->{'push_approval_pending{zone="tiny"}'}, 'flood: metrics still answer');
    $t->clear_pushes;
}

# a stream of new users, each asking once, slower than the flood: their
# challenges end and leave the zone, and what stays of them (the per-user
# records of the limits) must not fill it either: afterwards, another user
# is still challenged, not refused with 503
{
    # (until the zone has taken no challenge for longer than a challenge
    # lives, 2 s, or for 8 s)
    my (%st, $n);
    my $end = time + 8;
    my $last401 = time;
    while (time < $end && time - $last401 < 2.5) {
        $n++;
        my $r = $t->http(path => "/stream/?u=st$n", headers => [$JS]);
        $st{ $r->{status} }++;
        $last401 = time if $r->{status} == 401;
        sleep 0.04;
    }
    diag("stream of $n users: " . join(' ', map { "$_=$st{$_}" } sort keys %st));
    ok(!$st{200}, 'stream: no request passed');
    ok(!grep({ $_ != 401 && $_ != 503 } keys %st), 'stream: only 401 and 503');
    sleep 2.2;    # the last challenges end (wait 1s) and leave (one more wait)
    $t->clear_pushes;
    my $m = $t->metrics('/_pa/metrics') || {};
    is($m->{'push_approval_pending{zone="tiny2"}'}, 0, 'stream: nothing pending any more');
    my $r = $t->http(path => '/stream/?u=streamafter', headers => [$JS]);
    is($r->{status}, 401, 'stream: afterwards another user is challenged (the zone is not full)')
        or diag("$r->{status} $r->{body}; zone bytes used: "
            . ($m->{'push_approval_zone_bytes_used{zone="tiny2"}'} // '?'));
    $t->wait_push(5) if $r->{status} == 401;    # its push, before the next part
    $t->clear_pushes;
}

# ============================================================================
# 7. SSI: an include of a protected place from an unprotected page
# ============================================================================

{
    my $r = $t->http(path => '/pub/inc.shtml');
    is($r->{status}, 200, 'ssi on: the unprotected page');
    unlike($r->{body}, qr/TOPSECRET-42/,
        'ssi on: an include of the protected place is refused');
    like($r->{body}, qr/403 Forbidden/, 'ssi on: the include got 403');
    ok($t->no_push(0.3), 'ssi on: no push');

    $r = $t->http(path => '/puboff/inc.shtml');
    is($r->{status}, 200, 'ssi off: the unprotected page');
    unlike($r->{body}, qr/TOPSECRET/, 'ssi off (the default): nothing is included');
    like($r->{body}, qr/<!--# include/, 'ssi off: the directive is left as it is');

    # the place is protected: a direct request is held
    my $h = $t->http_start(path => '/secret/data.txt?u=ssiu');
    my $push = push_for($t, 'ssiu');
    ok($push, 'ssi: a direct request to the protected place makes a push');
    post_form(PA::Std::approve_path($push), 'decision=deny') if $push;
    is($t->http_wait($h, 5)->{status}, 403, 'ssi: and is denied');
}

errlog_lines_clean('end');
$t->done;
done_testing;
