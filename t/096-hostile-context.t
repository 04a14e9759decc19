#!/usr/bin/perl

# Hostile bytes in the context (docs/threat-model.md, XSS via context
# fields, Log injection): CR/LF, NUL, quotes, <script>, spreadsheet formulas
# and invalid UTF-8 in the user, agent, uri and server: the push JSON is
# valid strict UTF-8 JSON without control characters, the pages and the
# console add no markup of the client's, the error log gets no injected
# line.

# Each scenario has users of its own, so per-user prompt limits and
# lockouts never interfere; when the build knows those directives they are
# loosened anyway.  The nginx and the helpers: t/lib/PA/Hostile.pm.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std qw(push_for);
use PA::Hostile qw(:all);
use Test::More;
use Encode ();

my $t = PA::Hostile::start();

my $P0 = $t->port(0);
my $P1 = $t->port(1);

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
    post_form($t, PA::Std::approve_path($push), 'decision=deny') if $push;
    $t->http_wait($h, 5);
    my $pg = $t->http(raw => raw('GET', '/hx/base?q=1', 'X-User: basep', 'User-Agent: base-agent',
        $HTML), port => $P1);
    is($pg->{status}, 202, 'baseline page');
    $BASE_PAGE = $pg->{body};
    $push = push_for($t, 'basep');
    post_form($t, PA::Std::approve_path($push), 'decision=deny') if $push;
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
    html_clean($t, $ap, "context $k: approve page", $BASE_APPROVE);
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
    my $d = post_form($t, PA::Std::approve_path($push), 'decision=deny');
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
    html_clean($t, $res, "page $k", $BASE_PAGE);
    my ($wu) = ($res->{body} // '') =~ /\bdata-wait="([^"]*)"/;
    like($wu // '', qr{^/_pa/wait/[A-Za-z0-9_-]{22}\?r=[A-Za-z0-9_.-]+$},
        "page $k: the wait URL is the module's own");
    my $push = $t->wait_push(5);
    json_clean($push ? $push->{body} : '', "page $k: push JSON");
    post_form($t, PA::Std::approve_path($push), 'decision=deny') if $push;
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
    html_clean($t, $ap, "decoded user $name: approve page", $BASE_APPROVE);
    post_form($t, PA::Std::approve_path($push), 'decision=deny');
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
    html_clean($t, $ap, "Host $name: approve page", $BASE_APPROVE);
    post_form($t, PA::Std::approve_path($push), 'decision=deny');
    is($t->http_wait($h, 5)->{status}, 403, "Host $name: denied");

    my $pg = $t->http(raw => raw('GET', '/hx/', "Host: $host", 'X-User: ' . user('hostp'), $HTML),
        port => $P1);
    is($pg->{status}, 202, "Host $name: page");
    html_clean($t, $pg, "Host $name: page", $BASE_PAGE);
    my $pp = $t->wait_push(5);
    post_form($t, PA::Std::approve_path($pp), 'decision=deny') if $pp;
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
errlog_lines_clean($t, 'context');
$t->clear_pushes;
$t->done;
done_testing;
