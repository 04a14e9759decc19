#!/usr/bin/perl

# Hostile approval cookies (docs/threat-model.md, Forged cookie): every
# hostile input gets a clear status, never a crash, a hang or a pass.
# Oversized and malformed approval cookies are treated as no cookie
# ($push_approval_reason malformed / oversized), never as a pass; the
# valid cookie still passes among them.

# Each scenario has users of its own, so per-user prompt limits and
# lockouts never interfere; when the build knows those directives they are
# loosened anyway.  The nginx and the helpers: t/lib/PA/Hostile.pm.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std qw(reason_of);
use PA::Hostile qw(:all);
use Test::More;

my $t = PA::Hostile::start();

my ($CK_NAME, $CK_VALUE) = mint_cookie($t);

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
    my ($res, $line) = ck_req($t, 'ckv', @h);
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
        my ($res, $line) = ck_req($t, $user, @h);
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
    my ($res) = ck_req($t, user('ck'), "Cookie: $CK_NAME=$b64$b64");
    is($res->{status}, 401, 'cookie: the valid value twice over is no pass');
    ($res) = ck_req($t, user('ck'), "Cookie: $CK_NAME=" . substr($b64, 0, -1));
    is($res->{status}, 401, 'cookie: the valid value cut by one is no pass');
    ($res) = ck_req($t, user('ck'), "Cookie: $CK_NAME=" . substr($b64, 1));
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

errlog_lines_clean($t, 'end');
$t->done;
done_testing;
