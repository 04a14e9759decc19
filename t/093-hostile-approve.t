#!/usr/bin/perl

# Hostile input at the approve endpoint (docs/flow.md, The decision):
# oversized, short, non-base64url and crossed ids and tokens, path tricks,
# big, duplicate, multipart, chunked and odd forms get a clear 4xx, never a
# crash, a hang or a decision, and the challenge stays decidable.

# Each scenario has users of its own, so per-user prompt limits and
# lockouts never interfere; when the build knows those directives they are
# loosened anyway.  The nginx and the helpers: t/lib/PA/Hostile.pm.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std qw(json_of reason_of);
use PA::Hostile qw(:all);
use Test::More;

my $t = PA::Hostile::start();

{
    my ($ra, $ja, $pa) = two_step($t, '/self/?u=apa', 'apa');
    my ($rb, $jb, $pb) = two_step($t, '/self/?u=apb', 'apb');
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
    is(page_status($t, $pa), 200, 'approve: A still pending after the path tricks');
    is(page_status($t, $pb), 200, 'approve: B still pending after the path tricks');

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
        my $r = post_form($t, "$L$id_a", "decision=approve&code=$code", "Authorization: $auth");
        ok($r->{status} == 404 || $r->{status} == 400 || $r->{status} == 401,
            "approve Bearer $name: 400/401/404") or diag("$r->{status} $r->{body}");
    }
    is(page_status($t, $pa), 200, 'approve: A still pending after the Bearer tricks');

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
        my $res = post_form($t, $path_a, $body);
        is($res->{status}, $want, "approve form $name: $want") or diag($res->{body});
        like($t->hdr($res, 'content-type') // '', qr{^application/problem\+json},
            "approve form $name: problem+json");
    }
    is(page_status($t, $pa), 200, 'approve: A still pending after the bad forms');

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
    is(page_status($t, $pa), 200, 'approve: A still pending after multipart and chunked');

    # codes: letters, 100 digits (at most two wrong codes: A stays open)
    for my $c (['letters', '12ab56'], ['100 digits', '1' x 100]) {
        my ($name, $bad) = @$c;
        my $res = post_form($t, $path_a, "decision=approve&code=$bad");
        ok($res->{status} == 403 || $res->{status} == 400, "approve: code of $name: 403 or 400")
            or diag("$res->{status} $res->{body}");
        like(reason_of($res), qr/^(?:code_mismatch|bad_request)$/, "approve: code of $name: reason");
    }
    is(page_status($t, $pa), 200, 'approve: A still pending after two bad codes');

    # the real decision, without a Content-Type: accepted as the form it is,
    # or refused without deciding
    my $res = $t->http(method => 'POST', path => $path_a, headers => [$JS],
        body => "decision=approve&code=$code");
    if ($res->{status} == 200) {
        pass('approve: no Content-Type: the form is read');
    } else {
        ok($res->{status} == 400 || $res->{status} == 415, 'approve: no Content-Type: 400 or 415')
            or diag("$res->{status} $res->{body}");
        is(page_status($t, $pa), 200, 'approve: A still pending');
        $res = post_form($t, $path_a, "decision=approve&code=$code");
    }
    is($res->{status}, 200, 'approve: A is still decidable with its code');
    is(json_of($res)->{status}, 'approved', 'approve: A approved');
    my $w = $t->http(path => $ja->{wait} // '/_pa/wait/x',
        headers => [$JS, 'Push-Approval-Pending: ' . ($ja->{pending} // '')]);
    is($w->{status}, 200, 'approve: the requester of A gets its cookie');

    # B: crossed with A's token it never moved; it is decidable
    $res = post_form($t, $path_b, 'decision=deny');
    is($res->{status}, 200, 'approve: B is still decidable');
    $res = post_form($t, $path_b, 'decision=approve&code=' . ($jb->{code} // ''));
    is($res->{status}, 410, 'approve: B, once decided, is gone');
    $t->clear_pushes;
}

errlog_lines_clean($t, 'end');
$t->done;
done_testing;
