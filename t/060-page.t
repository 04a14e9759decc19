#!/usr/bin/perl

# Page answers: which requests get the 202 interstitial, its headers and
# elements, the code on it being the one the approver types, page requests
# never joining, the page's wait URL (held, then 303 back to the signed
# path with the cookie), no open redirect through r=, HTML escaping of
# what came from the client, and the approve page of a code challenge.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std qw(decide json_of still_held approval_cookie elem unhtml
    b64url_encode);
use Test::More;

my $t = PA::Test->new(workers => 2);
$t->write_file('html/admin/page.html', "admin page\n");
$t->write_file('html/pagemode/index.html', "pagemode\n");
$t->write_file('html/evil.example/index.html', "evil dir\n");

$t->start(PA::Std::conf(locations => <<'EOF'));
        location /admin/ { %%STD%% push_approval_wait 40s; }
        location /pagemode/ { %%STD%% push_approval_mode page; }
        location /evil.example/ { %%STD%% }
EOF

my $BROWSER = 'Accept: text/html,application/xhtml+xml,*/*;q=0.8';
sub user { PA::Std::user('p', 'y') }

sub wait_url_of {
    my ($body) = @_;
    my ($u) = $body =~ /\bid="pa-box"[^>]*\bdata-wait="([^"]*)"/;
    ($u) = $body =~ /<[^>]*\bdata-wait="([^"]*)"[^>]*\bid="pa-box"/ unless defined $u;
    return unhtml($u);
}

sub refresh_url_of {
    my ($body) = @_;
    my ($u) = $body =~ m{<noscript>\s*<meta\s+http-equiv="refresh"\s+content="\d+;\s*url=([^"]*)"}i;
    return unhtml($u);
}

# a page request: (response, push)
sub page {
    my ($path, @h) = @_;
    my $res = $t->http(path => $path, headers => [@h ? @h : $BROWSER]);
    my $push = $t->wait_push(5);
    return ($res, $push);
}

my $safe_location = qr{^(?:/(?![/\\])|http://localhost(?::\d+)?/)};

# --- the interstitial ---------------------------------------------------------------

my $u = user();
my ($res, $push) = page("/admin/page.html?u=$u&x=1");
is($res->{status}, 202, 'browser GET: 202 page');
like($t->hdr($res, 'content-type') // '', qr{^text/html}, 'page: text/html');
my $id = $t->hdr($res, 'push-approval-id') // '';
like($id, qr/^[A-Za-z0-9_-]{22}$/, 'page: Push-Approval-Id');
is($push && $push->{json}{id}, $id, 'Push-Approval-Id names the pushed challenge');
ok($push && $push->{json}{code_required}, 'page challenge: code required');
like($t->hdr($res, 'cache-control') // '', qr/no-store/, 'page: Cache-Control no-store');
my $csp = $t->hdr($res, 'content-security-policy') // '';
like($csp, qr/frame-ancestors 'none'/, "CSP: frame-ancestors 'none'");
my ($nonce) = $csp =~ /'nonce-([^']+)'/;
ok($nonce, 'CSP: a nonce') or diag($csp);
my ($script_src) = $csp =~ /script-src([^;]*)/;
unlike($script_src // '', qr/unsafe-inline/, 'CSP: no unsafe-inline scripts');
is($t->hdr($res, 'referrer-policy'), 'no-referrer', 'Referrer-Policy: no-referrer');

my $body = $res->{body};
my @scripts = $body =~ /<script\b([^>]*)>/g;
ok(@scripts, 'page has a script');
my $nq = quotemeta($nonce // '-');
ok(!grep({ !/\bnonce="$nq"/ } @scripts), 'every script carries the nonce');
unlike($body, qr/<script\b[^>]*\bsrc=/i, 'no external script');
unlike($body, qr/<link\b[^>]*\bhref=["']?https?:/i, 'no external stylesheet');

my $code = elem($body, 'pa-code');
like($code // '', qr/^\d{6}$/, 'pa-code holds exactly the digits');
is($push && index($push->{body}, $code // 'none'), -1, 'the code is not in the push');
like(elem($body, 'pa-unlocks') // '', qr/\S/, 'pa-unlocks says what is unlocked');
my $cd = elem($body, 'pa-countdown');
like($cd // '', qr/^\d+$/, 'pa-countdown: digits');
ok(defined $cd && $cd <= 40 && $cd >= 35, "pa-countdown <= wait ($cd)");

my $wait = wait_url_of($body);
like($wait // '', qr{^/_pa/wait/\Q$id\E\?r=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$}, 'data-wait: the wait URL with r=')
    or diag($wait);
is(refresh_url_of($body), $wait, 'noscript meta refresh to the same wait URL');
my $pending_cookie = $t->cookies($res)->{"pa_pending_$id"};
ok($pending_cookie, 'page sets the pending cookie');
ok(!approval_cookie($t, $res), 'page sets no approval cookie');
my $pc = "Cookie: pa_pending_$id=" . ($pending_cookie // '');

# --- no open redirect through r= ------------------------------------------------------

my ($rparam) = ($wait // '') =~ /\?r=(.*)$/;
my ($rpath, $rsig) = split /\./, $rparam // '', 2;
my $evil = '/_pa/wait/' . $id . '?r=' . b64url_encode('//evil.example/') . '.' . ($rsig // '');

# another page challenge: a valid signature, for another id
my ($res_b, $push_b) = page('/admin/page.html?u=' . user());
my ($r_b) = (wait_url_of($res_b->{body}) // '') =~ /\?r=(.*)$/;
my ($bpath) = split /\./, $r_b // '', 2;

my @tamper = (
    [ 'r= of //evil.example/ with the original signature', $evil ],
    [ 'r= of http://evil.example/ with the original signature',
      "/_pa/wait/$id?r=" . b64url_encode('http://evil.example/') . ".$rsig" ],
    [ "r= of another challenge (its valid signature)", "/_pa/wait/$id?r=$r_b" ],
    [ 'r= with another path, original signature', "/_pa/wait/$id?r=$bpath.$rsig" ],
    [ 'r= without a signature', "/_pa/wait/$id?r=$rpath" ],
    [ 'r= with a truncated signature', "/_pa/wait/$id?r=$rpath." . substr($rsig, 1) ],
);
for my $tc (@tamper) {
    my ($what, $path) = @$tc;
    my $r = $t->http(path => $path, headers => [$pc], timeout => 3);
    ok($r->{status} == 400 || $r->{status} == 404, "$what: 400 or 404")
        or diag("status $r->{status}");
    ok(!defined $t->hdr($r, 'location'), "$what: no Location");
}

# --- the page's wait URL: held until approval, then 303 back ------------------------------

my $w = $t->http_start(path => $wait, headers => [$BROWSER, $pc]);
ok(still_held($w, 0.3), 'wait URL: held while pending');

my $ap = $t->http(path => PA::Std::approve_path($push), headers => [$BROWSER]);
is($ap->{status}, 200, 'approve page (browser): 200');
like($ap->{body}, qr/<input\b[^>]*\bname="code"/, 'approve page: input name=code for a code challenge');
like($ap->{body}, qr/<button\b[^>]*name="decision"[^>]*value="approve"/, 'approve page: approve button');
unlike($ap->{body}, qr/\Q$code\E/, 'approve page does not show the code');
ok(still_held($w, 0.1), 'approve page decided nothing');

my $dec = decide($t, $push, 'approve', code => $code);
is($dec->{status}, 200, 'approved with the code from pa-code');
my $wr = $t->http_wait($w, 5);
is($wr->{status}, 303, 'wait URL: 303 once approved');
my $loc = $t->hdr($wr, 'location') // '';
like($loc, $safe_location, 'Location on this host');
like($loc, qr{^(?:http://localhost(?::\d+)?)?/admin/page\.html\?u=\Q$u\E&x=1$}, 'Location: the page URL (path and query)')
    or diag($loc);
my $cname = approval_cookie($t, $wr);
ok($cname, '303 carries the approval cookie');
(my $lpath = $loc) =~ s{^http://[^/]+}{};
my $back = $t->http(path => $lpath, headers => [$BROWSER, $t->cookie_header($wr)]);
is($back->{status}, 200, 'the page reloaded with the cookie: 200');
is($back->{body}, "admin page\n", 'the page content');
ok($t->no_push(0.2), 'no push for the reload');

decide($t, $push_b, 'deny');
$t->clear_pushes;

# --- a page for //evil.example/ never redirects off the host -------------------------------

$u = user();
($res, $push) = page("//evil.example/?u=$u");
is($res->{status}, 202, '//evil.example/: 202 page');
$wait = wait_url_of($res->{body});
my $eid = $t->hdr($res, 'push-approval-id') // '';
$code = elem($res->{body}, 'pa-code');
$w = $t->http_start(path => $wait // "/_pa/wait/$eid", headers => [$BROWSER, $t->cookie_header($res)]);
decide($t, $push, 'approve', code => $code);
$wr = $t->http_wait($w, 5);
# the page's own wait URL must work once approved (303 back to a path on
# this host), never lead to another host
is($wr->{status}, 303, "//evil.example/: the page's wait URL answers 303 once approved")
    or diag("status $wr->{status}: $wr->{body}");
$loc = $t->hdr($wr, 'location');
ok(!defined $loc || $loc =~ $safe_location, '//evil.example/: no Location to another host')
    or diag($loc);
$t->clear_pushes;

# --- which requests are pages -----------------------------------------------------------------

my @cases = (
    [ 'Accept: */* alone', '/admin/page.html', ['Accept: */*'], 401 ],
    [ 'no Accept', '/admin/page.html', [], 401 ],
    [ 'Sec-Fetch-Dest: document', '/admin/page.html',
      ['Accept: */*', 'Sec-Fetch-Dest: document'], 202 ],
    [ 'Accept: application/json, text/html;q=0.5', '/admin/page.html',
      ['Accept: application/json, text/html;q=0.5'], 401 ],
    [ 'Accept: text/html only', '/admin/page.html', ['Accept: text/html'], 202 ],
    [ 'mode page, Accept: application/json', '/pagemode/',
      ['Accept: application/json'], 202 ],
    [ 'mode page, no Accept', '/pagemode/', [], 202 ],
);
for my $c (@cases) {
    my ($what, $path, $hdrs, $want) = @$c;
    my $r = $t->http(path => "$path?u=" . user(), headers => @$hdrs ? $hdrs : ['X-None: 1']);
    is($r->{status}, $want, "$what: $want");
    if ($want == 202) {
        ok(defined $t->hdr($r, 'push-approval-id'), "$what: Push-Approval-Id");
        like(elem($r->{body}, 'pa-code') // '', qr/^\d{6}$/, "$what: page with a code");
    } else {
        like($t->hdr($r, 'content-type') // '', qr{^application/problem\+json}, "$what: problem+json");
    }
    my $p = $t->wait_push(5);
    decide($t, $p, 'deny') if $p;
}

# --- page requests never join --------------------------------------------------------------

$u = user();
my @r = map { $t->http(path => "/pagemode/?u=$u", headers => [$BROWSER]) } 1 .. 2;
is(join(' ', map { $_->{status} } @r), '202 202', 'two page requests: two pages');
my @p = grep { $_ } ($t->wait_push(5), $t->wait_push(5));
is(scalar @p, 2, 'two page requests: two pushes');
isnt($t->hdr($r[0], 'push-approval-id'), $t->hdr($r[1], 'push-approval-id'), 'two challenges');
isnt(elem($r[0]{body}, 'pa-code'), undef, 'first page has a code');
decide($t, $_, 'deny') for @p;

# concurrent too
$u = user();
my @h = map { $t->http_start(path => "/pagemode/?u=$u", headers => [$BROWSER]) } 1 .. 3;
@r = $t->http_wait_all(\@h, 5);
is(join(' ', map { $_->{status} } @r), '202 202 202', 'three concurrent page requests: pages');
@p = grep { $_ } map { $t->wait_push(5) } 1 .. 3;
is(scalar @p, 3, 'three concurrent page requests: three pushes');
my %ids = map { ($t->hdr($_, 'push-approval-id') // '') => 1 } @r;
is(scalar keys %ids, 3, 'three distinct challenges');
decide($t, $_, 'deny') for @p;

# --- HTML escaping -------------------------------------------------------------------------

my $xss_user = q{<script>alert(1)</script>"'q};
my $xss_agent = q{Mozilla/5.0 <script>alert(2)</script>"'z};
($res, $push) = page("/pagemode/?u=$xss_user", $BROWSER, "User-Agent: $xss_agent");
is($res->{status}, 202, 'hostile user: page');
$body = $res->{body};
unlike($body, qr/<script>alert/, 'page: no raw <script> from the client');
unlike($body, qr/\Q<\/script>"'q\E/, 'page: no raw quotes from the client');
like($body, qr/alert\(1\)&lt;\/script&gt;/, 'page: the user is shown escaped');
is(unhtml(elem($body, 'pa-user')), $xss_user, 'pa-user: the user, escaped') if defined elem($body, 'pa-user');
is($push && $push->{json}{user}, $xss_user, 'push JSON carries the user intact');
is($push && $push->{json}{agent}, $xss_agent, 'push JSON carries the agent intact');

$ap = $t->http(path => PA::Std::approve_path($push), headers => [$BROWSER]);
is($ap->{status}, 200, 'approve page for the hostile request');
unlike($ap->{body}, qr/<script>alert/, 'approve page: no raw <script> from the client');
like($ap->{body}, qr/alert\(1\)&lt;\/script&gt;/, 'approve page: user escaped');
like($ap->{body}, qr/alert\(2\)&lt;\/script&gt;/, 'approve page: agent escaped');
unlike($ap->{body}, qr/\Q"'z\E/, 'approve page: agent quotes escaped');
like($ap->{body}, qr/<input\b[^>]*\bname="code"/, 'approve page: code field');
decide($t, $push, 'deny');

$t->done;
done_testing;
