#!/usr/bin/perl

# Hostile input at the console (docs/flow.md, The console): garbage
# revoke ids and Origin tricks get 403 or 404, never a crash or a
# revocation; a matching Origin revokes.

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

my $P0 = $t->port(0);
my (undef, undef, $CK_COOKIE, $CK_APPROVAL) = mint_cookie($t);

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
    my ($res) = ck_req($t, 'ckv', $CK_COOKIE // 'Cookie: x=y');
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
    ($res, my $line) = ck_req($t, 'ckv', $CK_COOKIE // 'Cookie: x=y');
    is($res->{status}, 401, 'console: the revoked cookie no longer passes');
    like($line, qr/ rs=revoked /, 'console: rs=revoked');
    $t->clear_pushes;
}

errlog_lines_clean($t, 'end');
$t->done;
done_testing;
