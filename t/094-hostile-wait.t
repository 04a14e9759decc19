#!/usr/bin/perl

# Hostile input at the wait endpoint (docs/flow.md, The wait endpoint):
# wrong ids, huge and CR/LF pending headers and forged r= paths get 400 or
# 404, never a crash, a hang or a pass, and a 303 never leaves the server.

# Each scenario has users of its own, so per-user prompt limits and
# lockouts never interfere; when the build knows those directives they are
# loosened anyway.  The nginx and the helpers: t/lib/PA/Hostile.pm.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std qw(json_of push_for);
use PA::Hostile qw(:all);
use Test::More;

my $t = PA::Hostile::start();

{
    my ($res, $j, $push) = two_step($t, '/self/?u=wta', 'wta');
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
    my $d = post_form($t, PA::Std::approve_path($push), 'decision=approve&code=' . ($j->{code} // ''));
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
        my $d = post_form($t, PA::Std::approve_path($push), "decision=approve&code=$j->{code}");
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
        my $d = post_form($t, PA::Std::approve_path($push), "decision=approve&code=$code");
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

errlog_lines_clean($t, 'end');
$t->done;
done_testing;
