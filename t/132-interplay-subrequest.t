#!/usr/bin/perl

# Subrequests into protected places: an SSI include, an addition
# (add_before_body / add_after_body), an auth_request target and a mirror
# target are served only when their main request itself passed a gate of
# the same zone whose approval covers the place (server, scope, method);
# otherwise they get 403 with $push_approval_status "subrequest" and no
# push goes out.  The module's own notify subrequest still works.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std qw(decide);
use Test::More;

my $t = PA::Test->new(workers => 2);

my $V = `@{[ $t->binary ]} -V 2>&1`;
my $addition = $V =~ /http_addition_module/ ? 1 : 0;

$t->write_file('html/admin/secret.txt', "TOP SECRET ADMIN\n");
$t->write_file('html/admin/x.txt', "admin x\n");
$t->write_file('html/other/secret.txt', "OTHER SECRET\n");
$t->write_file('html/pub/inc.html',
    "A[<!--# include virtual=\"/admin/secret.txt\" -->]B\n");
$t->write_file('html/admin/inc.html',
    "C[<!--# include virtual=\"/admin/secret.txt\" -->]D\n");
$t->write_file('html/admin/inc-other.html',
    "E[<!--# include virtual=\"/other/secret.txt\" -->]F\n");
$t->write_file('html/addpub/x.html', "addpub body\n");
$t->write_file('html/arpub/x.html', "arpub body\n");
$t->write_file('html/mirpub/x.html', "mirpub body\n");

my $add = $addition ? <<'EOF' : '';
        location /addpub/ {
            add_before_body /admin/secret.txt;
            add_after_body /admin/secret.txt;
        }
EOF

$t->start(PA::Std::stock_http(http => 'log_subrequest on;')
    . PA::Std::server(locations => <<"EOF"));
        location /pub/ { ssi on; }
        location /admin/ { %%STD%% push_approval_approver ops; ssi on; }
        location /admin/m/ {
            %%STD%% push_approval_approver ops;
            proxy_pass http://127.0.0.1:%%RECEIVER%%/mirrored/;
        }
        location /other/ { %%STD%% push_approval_approver ops; }
$add
        location /arpub/ { auth_request /admin/secret.txt; }
        location /mirpub/ { mirror /admin/m/target; }
EOF

my $JS = 'Accept: application/json';
sub user { PA::Std::user('sr', 'q') }

sub sub_logged {
    my ($off, $uri, $what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $l = $t->wait_log('access.log', qr{ GET \Q$uri\E st=}, 5, $off) // '';
    like($l, qr{ 403 GET \Q$uri\E st=subrequest }, "$what: the subrequest got 403 subrequest");
}

# --- SSI include from an unprotected page -------------------------------------------

my $off = $t->log_size('access.log');
my $r = $t->http(path => '/pub/inc.html', headers => ['X-User: ' . user()], timeout => 10);
is($r->{status}, 200, 'SSI from an unprotected page: the page is served');
like($r->{body}, qr/^A\[.*\]B$/s, 'SSI from an unprotected page: the page around the include');
unlike($r->{body}, qr/TOP SECRET/, 'SSI from an unprotected page: the secret is not included');
ok($t->no_push(0.5), 'SSI from an unprotected page: no push');
sub_logged($off, '/admin/secret.txt', 'SSI from an unprotected page');

# --- a main request that passed (approved while paused), then with its cookie ---------

my $u = user();
my $h = $t->http_start(path => '/admin/inc.html', headers => [$JS, "X-User: $u"], timeout => 10);
my $p = $t->wait_push(5);
ok($p && $p->{uri} eq '/push', 'the notify subrequest still delivers pushes');
decide($t, $p, 'approve') if $p;
my $res = $t->http_wait($h, 10);
is($res->{status}, 200, 'SSI from a protected page approved while paused: 200');
like($res->{body}, qr/C\[TOP SECRET ADMIN\n\]D/, 'SSI from a page approved while paused: the include is served');
ok($t->no_push(0.3), 'SSI from a page approved while paused: one push only');
my $cookie = $t->cookie_header($res);

$r = $t->http(path => '/admin/inc.html', headers => ["X-User: $u", $cookie], timeout => 10);
is($r->{status}, 200, 'SSI from a protected page with a valid cookie: 200');
like($r->{body}, qr/C\[TOP SECRET ADMIN\n\]D/, 'SSI with a cookie covering the include: served');
ok($t->no_push(0.3), 'SSI with a cookie: no push');

# an include into another scope the cookie does not cover
$off = $t->log_size('access.log');
$r = $t->http(path => '/admin/inc-other.html', headers => ["X-User: $u", $cookie], timeout => 10);
is($r->{status}, 200, 'SSI into another scope: the page is served');
like($r->{body}, qr/^E\[.*\]F$/s, 'SSI into another scope: the page around the include');
unlike($r->{body}, qr/OTHER SECRET/, 'SSI into another scope: not included');
ok($t->no_push(0.5), 'SSI into another scope: no push');
sub_logged($off, '/other/secret.txt', 'SSI into another scope');

# --- addition ------------------------------------------------------------------------------

SKIP: {
    skip 'nginx without the addition module', 5 unless $addition;
    $off = $t->log_size('access.log');
    $r = $t->http(path => '/addpub/x.html', headers => ['X-User: ' . user()], timeout => 10);
    is($r->{status}, 200, 'addition into a protected place: the page is served');
    like($r->{body}, qr/addpub body/, 'addition: the page itself');
    unlike($r->{body}, qr/TOP SECRET/, 'addition: the protected part is not added');
    ok($t->no_push(0.5), 'addition: no push');
    sub_logged($off, '/admin/secret.txt', 'addition');
}

# --- auth_request pointing at a protected place ------------------------------------------------

$off = $t->log_size('access.log');
$r = $t->http(path => '/arpub/x.html', headers => ['X-User: ' . user()], timeout => 10);
is($r->{status}, 403, 'auth_request into a protected place: the main request gets 403');
unlike($r->{body}, qr/arpub body/, 'auth_request: the content is not served');
ok($t->no_push(0.5), 'auth_request: no push');
sub_logged($off, '/admin/secret.txt', 'auth_request');

# --- mirror to a protected place ---------------------------------------------------------------

$off = $t->log_size('access.log');
$r = $t->http(path => '/mirpub/x.html', headers => ['X-User: ' . user()], timeout => 10);
is($r->{status}, 200, 'mirror into a protected place: the main request is served');
is($r->{body}, "mirpub body\n", 'mirror: its content');
ok($t->no_push(0.8), 'mirror: no push, nothing reaches the mirrored backend');
sub_logged($off, '/admin/m/target', 'mirror');
$t->clear_pushes;

# --- the module's own notify subrequest: a challenge still works end to end ----------------------

$u = user();
$h = $t->http_start(path => '/other/secret.txt', headers => [$JS, "X-User: $u"], timeout => 10);
$p = $t->wait_push(5);
ok($p && $p->{uri} eq '/push' && $p->{json}{id}, 'notify: push with an id');
decide($t, $p, 'approve') if $p;
$res = $t->http_wait($h, 10);
is($res->{status}, 200, 'notify: approved request served');
is($res->{body}, "OTHER SECRET\n", 'notify: content');

# the refusals are in the trail, naming the included place, not the page
my $trail = join '', map { $t->read_file("journal/$_") } grep { /\.ndjson$/ }
    do { opendir my $d, $t->dir . '/journal' or die "journal: $!"; readdir $d };
like($trail, qr{"event":"rejected"[^\n]*"uri":"/admin/secret\.txt"[^\n]*"reason":"subrequest"},
    'a rejected event with reason subrequest names the included place');

$t->quit_clean;
$t->done;
done_testing;
