#!/usr/bin/perl

# Where the gate runs (docs/internals.md, Where the gate runs; docs/flow.md,
# What the gate checks, in order): after every access check (auth_basic,
# auth_request, satisfy any), before try_files and mirror; internal
# redirects (index, try_files, error_page) of a passed request stay passed;
# a subrequest (SSI) into a protected place from a page that did not pass is
# refused; cross-site requests make no challenge; OPTIONS, HEAD and unlisted
# methods; endpoint locations never gated; push_approval off; no identity; a
# `return` location is never gated (the documented pitfall).

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std qw(decide);
use Test::More;
use MIME::Base64 ();

my $t = PA::Test->new(workers => 2);

for my $d (qw(basic any mirrored tf idx ep epx admin opt getonly ar nested
              nested/public nested/deep files files/public pub open))
{
    $t->write_file("html/$d/index.html", "$d index\n");
    $t->write_file("html/$d/x.html", "$d x\n");
}
$t->write_file('html/open/fallback.html', "fallback\n");
$t->write_file('html/epx/404.html', "custom 404\n");
$t->write_file('html/admin/secret.html', "TOP SECRET\n");
$t->write_file('html/ssi/page.html',
    "before[<!--# include virtual=\"/admin/secret.html?u=alice\" -->]after\n");
$t->write_file('htpasswd', "alice:{PLAIN}wonderland\n");

# this file makes many challenges for one user: loosen the per-user limits
my $limits = $PA::Std::LOOSE;

my $notify = PA::Std::notify_location();

$t->start(PA::Std::conf(
    http => <<"EOF",
    push_approval_approver ops;
    push_approval_mode hold;
    push_approval_wait 10s;
    $limits

    # a server protected as a whole: its endpoints stay open
    server {
        listen 127.0.0.1:%%PORT1%%;
        server_name localhost;
        root %%DIR%%/html;

        push_approval zone=pa;
        push_approval_user \$arg_u;
        push_approval_notify /_pa/notify;

$notify
        location /_pa/wait/ { push_approval_endpoint wait; }
        location /_pa/approve/ { push_approval_endpoint approve; }
        location /_pa/console/ { push_approval_endpoint console identity=\$arg_who; }
        location = /_pa/metrics { push_approval_metrics; }

        location /files/ {
            location /files/public/ { push_approval off; }
        }
        location /pub/ { push_approval off; }
    }
EOF
    locations => <<'EOF'));
        location /basic/ {
            auth_basic "pa test";
            auth_basic_user_file %%DIR%%/htpasswd;
            push_approval zone=pa;
            push_approval_user $remote_user;
            push_approval_notify /_pa/notify;
        }

        location /any/ {
            satisfy any;
            allow 127.0.0.1;
            deny all;
            auth_basic "pa any";
            auth_basic_user_file %%DIR%%/htpasswd;
            %%STD%%
        }

        location /ar/ {
            auth_request /_auth;
            %%STD%%
        }
        location = /_auth {
            internal;
            if ($http_x_ok = "yes") { return 204; }
            return 403;
        }

        location /mirrored/ {
            %%STD%%
            mirror /_mirror;
        }
        location = /_mirror {
            internal;
            proxy_pass http://127.0.0.1:%%RECEIVER%%/mirror;
        }

        location /tf/ {
            %%STD%%
            try_files $uri /open/fallback.html;
        }
        location /open/ { }

        location /idx/ { %%STD%% }

        location /ep/ {
            %%STD%%
            error_page 404 /epx/404.html;
        }
        location /epx/ { %%STD%% }

        location /admin/ { %%STD%% }
        location /opt/ { %%STD%% push_approval_methods GET OPTIONS; }
        location /getonly/ { %%STD%% push_approval_methods GET; }

        location /nested/ {
            %%STD%%
            location /nested/public/ { push_approval off; }
            location /nested/deep/ { }
        }

        location /ssi/ {
            ssi on;
            ssi_types text/plain;
        }

        location = /ret {
            %%STD%%
            return 200 "returned\n";
        }
EOF

# --- helpers ---------------------------------------------------------------------

# a gated request: push, the test decides, the answer
sub gated {
    my ($name, $decision, %req) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $h = $t->http_start(%req);
    my $p = $t->wait_push(5);
    ok($p && $p->{uri} eq '/push', "$name: gated (push)")
        or do { $t->http_abort($h); return ({ status => 0, headers => {} }, $p) };
    my $d = decide($t, $p, $decision);
    is($d->{status}, 200, "$name: $decision recorded") or diag($d->{body});
    my $res = $t->http_wait($h, 5);
    return ($res, $p);
}

# an ungated request: answered at once, no push
sub ungated {
    my ($name, %req) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $res = $t->http(timeout => 5, %req);
    ok($res->{status} && $res->{status} != 202 && $res->{status} != 401,
        "$name: answered without a challenge")
        or diag("status $res->{status} " . ($res->{error} // ''));
    ok($t->no_push(0.3), "$name: no push");
    return $res;
}

sub line_after {
    my ($off, $re) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    return $t->wait_log('access.log', $re, 5, $off) // '';
}

my $ALICE = 'Authorization: Basic ' . MIME::Base64::encode_base64('alice:wonderland', '');
my $WRONG = 'Authorization: Basic ' . MIME::Base64::encode_base64('alice:mad-hatter', '');

# --- after auth_basic ---------------------------------------------------------------

{
    my $off = $t->log_size('access.log');
    my $r = $t->http(path => '/basic/x.html', headers => [$WRONG]);
    is($r->{status}, 401, 'auth_basic, wrong password: 401');
    like($t->hdr($r, 'www-authenticate') // '', qr/^Basic realm="pa test"/,
        'auth_basic, wrong password: WWW-Authenticate Basic intact');
    ok($t->no_push(0.5), 'auth_basic, wrong password: no push');
    like(line_after($off, qr{ GET /basic/x\.html st=}), qr/ 401 GET \S+ st=- /,
        'auth_basic, wrong password: the gate did not run');

    $r = $t->http(path => '/basic/x.html');
    is($r->{status}, 401, 'auth_basic, no credentials: 401');
    like($t->hdr($r, 'www-authenticate') // '', qr/^Basic /, 'no credentials: WWW-Authenticate Basic');
    ok($t->no_push(0.3), 'auth_basic, no credentials: no push');

    my ($res, $p) = gated('auth_basic, right password', 'approve',
        path => '/basic/x.html', headers => [$ALICE]);
    is($p && $p->{json}{user}, 'alice', 'push user from $remote_user');
    is($p && $p->{json}{approver}, 'ops', 'push approver');
    is($res->{status}, 200, 'auth_basic + approval: 200');
    is($res->{body}, "basic x\n", 'auth_basic + approval: content');
    my ($cn) = grep { /^pa_/ } keys %{ $t->cookies($res) };
    ok($cn, 'auth_basic + approval: cookie');

    # the cookie does not replace auth_basic
    $r = $t->http(path => '/basic/x.html', headers => [$t->cookie_header($res), $WRONG]);
    is($r->{status}, 401, 'cookie with a wrong password: still 401 (auth_basic first)');
    $r = $t->http(path => '/basic/x.html', headers => [$t->cookie_header($res), $ALICE]);
    is($r->{status}, 200, 'cookie with the right password: 200');
    ok($t->no_push(0.3), 'cookie with the right password: no push');
}

# --- satisfy any -------------------------------------------------------------------

{
    my $r;
    my ($res, $p) = gated('satisfy any, allowed address, no credentials', 'deny',
        path => '/any/x.html?u=alice');
    is($res->{status}, 403, 'satisfy any: still gated, denied -> 403');
    ($res) = gated('satisfy any, right password', 'approve',
        path => '/any/x.html?u=alice', headers => [$ALICE]);
    is($res->{status}, 200, 'satisfy any: approved -> 200');
}

# --- auth_request -------------------------------------------------------------------

{
    my $r = ungated('auth_request refuses', path => '/ar/x.html?u=alice');
    is($r->{status}, 403, 'auth_request refuses: 403 from auth_request, no push');
    my ($res) = gated('auth_request allows', 'approve',
        path => '/ar/x.html?u=alice', headers => ['X-Ok: yes']);
    is($res->{status}, 200, 'auth_request allows, then approval: 200');
}

# --- mirror ------------------------------------------------------------------------

{
    my $h = $t->http_start(path => '/mirrored/x.html?u=alice');
    my $p = $t->wait_push(5);
    ok($p && $p->{uri} eq '/push', 'mirror: the push comes first');
    ok($t->no_push(0.5), 'mirror: no mirrored request before approval');
    decide($t, $p, 'approve') if $p;
    my $res = $t->http_wait($h, 5);
    is($res->{status}, 200, 'mirror: approved request served');
    my $m = $t->wait_push(5);
    like($m ? $m->{uri} : '', qr{^/mirror}, 'mirror: the mirror runs after approval');
    ok($t->no_push(0.3), 'mirror: one mirrored request');

    # with the cookie: the mirror runs, no push
    $res = $t->http(path => '/mirrored/x.html?u=alice', headers => [$t->cookie_header($res)]);
    is($res->{status}, 200, 'mirror with a cookie: 200');
    $m = $t->wait_push(5);
    like($m ? $m->{uri} : '', qr{^/mirror}, 'mirror with a cookie: mirrored, no push');
    ok($t->no_push(0.3), 'mirror with a cookie: nothing else');

    # denied: never mirrored
    my ($r) = gated('mirror, denied', 'deny', path => '/mirrored/x.html?u=alice');
    is($r->{status}, 403, 'mirror, denied: 403');
    ok($t->no_push(0.5), 'mirror, denied: never mirrored');
}

# --- try_files ------------------------------------------------------------------------

{
    # the fallback is in an unprotected location: had try_files run first,
    # the request would have left the gate's location without a push
    my ($res) = gated('try_files to an unprotected fallback', 'approve',
        path => '/tf/missing.html?u=alice');
    is($res->{status}, 200, 'try_files after approval: 200');
    is($res->{body}, "fallback\n", 'try_files after approval: the fallback');
    ok($t->no_push(0.3), 'try_files: one push');

    my $r = $t->http(path => '/tf/missing.html?u=alice', headers => [$t->cookie_header($res)]);
    is($r->{body}, "fallback\n", 'try_files with the cookie: fallback, no push');
    ok($t->no_push(0.3), 'try_files with the cookie: no push');

    ($r) = gated('try_files, denied', 'deny', path => '/tf/missing.html?u=alice');
    is($r->{status}, 403, 'try_files, denied: 403, not the fallback');
}

# --- internal redirects: index, error_page ----------------------------------------------

{
    my $off = $t->log_size('access.log');
    my ($res, $p) = gated('index', 'approve', path => '/idx/?u=alice');
    is($res->{status}, 200, 'index after approval: 200');
    is($res->{body}, "idx index\n", 'index after approval: index.html');
    ok($t->no_push(0.5), 'index redirect: exactly one push');
    like(line_after($off, qr{ GET /idx/}), qr{ 200 GET /idx/index\.html st=approved },
        'index: logged approved after the redirect');

    $off = $t->log_size('access.log');
    my $r = $t->http(path => '/idx/?u=alice', headers => [$t->cookie_header($res)]);
    is($r->{status}, 200, 'index with the cookie: 200');
    is($r->{body}, "idx index\n", 'index with the cookie: index.html');
    ok($t->no_push(0.3), 'index with the cookie: no push');
    like(line_after($off, qr{ GET /idx/}), qr{ 200 GET /idx/index\.html st=granted },
        'index with the cookie: granted across the redirect');

    # error_page into another protected location (another scope)
    ($res) = gated('error_page', 'approve', path => '/ep/missing.html?u=alice');
    is($res->{status}, 404, 'error_page after approval: 404');
    is($res->{body}, "custom 404\n", 'error_page into another protected scope: served');
    ok($t->no_push(0.5), 'error_page redirect: no second challenge');
}

# --- cross-site ---------------------------------------------------------------------

{
    my $off = $t->log_size('access.log');
    my $r = ungated('Sec-Fetch-Site: cross-site', path => '/admin/x.html?u=alice',
        headers => ['Sec-Fetch-Site: cross-site']);
    is($r->{status}, 403, 'cross-site: 403');
    like($t->hdr($r, 'content-type') // '', qr{application/problem\+json}, 'cross-site: problem+json');
    like($r->{body}, qr/"reason"\s*:\s*"cross_site"/, 'cross-site: reason cross_site');
    like(line_after($off, qr{ GET /admin/x\.html st=}), qr/ st=cross_site /, 'cross-site: st=cross_site');

    $r = ungated('Sec-Fetch-Site: same-site', path => '/admin/x.html?u=alice',
        headers => ['Sec-Fetch-Site: same-site']);
    is($r->{status}, 403, 'same-site: 403');
    like($r->{body}, qr/"reason"\s*:\s*"cross_site"/, 'same-site: reason cross_site');

    my $path = '/admin/x.html?u=alice&next=a%20b';
    $r = ungated('cross-site navigation', path => $path,
        headers => ['Sec-Fetch-Site: cross-site', 'Sec-Fetch-Mode: navigate',
            'Sec-Fetch-Dest: document', 'Accept: text/html']);
    is($r->{status}, 403, 'cross-site navigation: 403');
    like($t->hdr($r, 'content-type') // '', qr{^text/html}, 'cross-site navigation: a page');
    my ($tag) = $r->{body} =~ /(<a\b[^>]*\bid="pa-request"[^>]*>)/;
    ok($tag, 'cross-site navigation: element pa-request');
    my ($href) = ($tag // '') =~ /\bhref="([^"]*)"/;
    $href //= '';
    $href =~ s/&amp;/&/g;
    is($href, $path, 'pa-request links to the same path and query');

    $r = ungated('cross-site HEAD navigation', method => 'HEAD', path => '/admin/x.html?u=alice',
        headers => ['Sec-Fetch-Site: cross-site', 'Sec-Fetch-Mode: navigate',
            'Sec-Fetch-Dest: document']);
    is($r->{status}, 403, 'cross-site HEAD navigation: 403');

    $r = ungated('cross-site POST', method => 'POST', path => '/admin/x.html?u=alice',
        body => 'a=1', headers => ['Sec-Fetch-Site: cross-site', 'Sec-Fetch-Mode: navigate',
            'Content-Type: application/x-www-form-urlencoded']);
    is($r->{status}, 403, 'cross-site POST: 403');
    like($t->hdr($r, 'content-type') // '', qr{application/problem\+json}, 'cross-site POST: problem+json');
    like($r->{body}, qr/"reason"\s*:\s*"cross_site"/, 'cross-site POST: reason cross_site');

    $r = ungated('cross-site fetch (cors)', path => '/admin/x.html?u=alice',
        headers => ['Sec-Fetch-Site: cross-site', 'Sec-Fetch-Mode: cors']);
    like($r->{body}, qr/"reason"\s*:\s*"cross_site"/, 'cross-site fetch: problem+json cross_site');

    my ($res) = gated('Sec-Fetch-Site: same-origin', 'approve', path => '/admin/x.html?u=alice',
        headers => ['Sec-Fetch-Site: same-origin']);
    is($res->{status}, 200, 'same-origin: gated normally, approved');
    my $cookie = $t->cookie_header($res);
    ($r) = gated('Sec-Fetch-Site: none', 'deny', path => '/admin/x.html?u=alice',
        headers => ['Sec-Fetch-Site: none']);
    is($r->{status}, 403, 'none: gated normally, denied');

    # with a valid cookie a cross-site request passes (only a cross-site
    # request without a valid cookie is refused)
    $r = $t->http(path => '/admin/x.html?u=alice',
        headers => ['Sec-Fetch-Site: cross-site', $cookie]);
    is($r->{status}, 200, 'cross-site with a valid cookie: passes');
    ok($t->no_push(0.3), 'cross-site with a valid cookie: no push');
}

# --- methods --------------------------------------------------------------------------

{
    my $off = $t->log_size('access.log');
    my $r = ungated('OPTIONS (not listed by default)', method => 'OPTIONS',
        path => '/admin/x.html?u=alice');
    like($r->{status}, qr/^(200|204|405)$/, 'OPTIONS: reaches the content handler');
    like(line_after($off, qr{ OPTIONS /admin/}), qr/ st=- /, 'OPTIONS: the gate did not act');

    ($r) = gated('OPTIONS listed in push_approval_methods', 'deny', method => 'OPTIONS',
        path => '/opt/x.html?u=alice');
    is($r->{status}, 403, 'OPTIONS listed: gated, denied');

    ($r) = gated('HEAD with push_approval_methods GET', 'deny', method => 'HEAD',
        path => '/getonly/x.html?u=alice');
    is($r->{status}, 403, 'HEAD follows GET: gated');

    ($r) = gated('GET with push_approval_methods GET', 'deny', path => '/getonly/x.html?u=alice');
    is($r->{status}, 403, 'GET listed: gated');

    $r = ungated('POST not listed', method => 'POST', path => '/getonly/x.html?u=alice',
        body => 'a=1', headers => ['Content-Type: application/x-www-form-urlencoded']);
    is($r->{status}, 405, 'POST not listed: ungated, the static handler answers 405');
    $r = ungated('DELETE not listed', method => 'DELETE', path => '/getonly/x.html?u=alice');
    is($r->{status}, 405, 'DELETE not listed: ungated');
    $r = ungated('OPTIONS not listed', method => 'OPTIONS', path => '/getonly/x.html?u=alice');
    like($r->{status}, qr/^(200|204|405)$/, 'OPTIONS not listed: ungated');
}

# --- subrequests: SSI ----------------------------------------------------------------------

{
    my $r = ungated('SSI include of a protected file from an unprotected page',
        path => '/ssi/page.html');
    is($r->{status}, 200, 'SSI page: 200');
    unlike($r->{body}, qr/TOP SECRET/,
        'SSI include of a protected place from an unprotected page: refused');
    like($r->{body}, qr/^before\[.*403.*\]after\n\z/s,
        'the include got 403, the page around it is served');
    ok($t->no_push(0.3), 'a refused include sends no push');

    my $direct = $t->http_start(path => '/admin/secret.html?u=alice');
    my $p = $t->wait_push(5);
    ok($p, 'the same file requested directly: gated');
    decide($t, $p, 'deny') if $p;
    is($t->http_wait($direct, 5)->{status}, 403, 'directly: denied');
}

# --- endpoints in a server protected as a whole; push_approval off ----------------------

{
    my $port = $t->port(1);
    my $r = ungated('metrics endpoint in a protected server', port => $port,
        path => '/_pa/metrics?u=alice');
    is($r->{status}, 200, 'metrics endpoint: 200');
    like($r->{body}, qr/push_approval_pending/, 'metrics endpoint: metrics');

    $r = ungated('console endpoint in a protected server', port => $port,
        path => '/_pa/console/?u=alice&who=ops', headers => ['Accept: application/json']);
    is($r->{status}, 200, 'console endpoint: 200');

    $r = ungated('wait endpoint in a protected server', port => $port,
        path => '/_pa/wait/AAAAAAAAAAAAAAAAAAAAAA?u=alice');
    is($r->{status}, 404, 'wait endpoint: its own 404, not gated');

    $r = ungated('approve endpoint in a protected server', port => $port,
        path => '/_pa/approve/AAAAAAAAAAAAAAAAAAAAAA.xyz?u=alice');
    is($r->{status}, 404, 'approve endpoint: its own 404, not gated');

    ($r) = gated('server-level push_approval', 'deny', port => $port,
        path => '/files/x.html?u=alice');
    is($r->{status}, 403, 'server-level: a location inherits the gate');

    $r = ungated('push_approval off in a nested location', port => $port,
        path => '/files/public/x.html?u=alice');
    is($r->{status}, 200, 'nested push_approval off: 200');
    is($r->{body}, "files/public x\n", 'nested push_approval off: content');

    $r = ungated('push_approval off in a location', port => $port, path => '/pub/x.html?u=alice');
    is($r->{status}, 200, 'push_approval off: 200');

    $r = ungated('nested push_approval off (location-level parent)',
        path => '/nested/public/x.html?u=alice');
    is($r->{status}, 200, 'nested off under a protected location: 200');

    ($r) = gated('nested location inheriting the gate', 'deny', path => '/nested/deep/x.html?u=alice');
    is($r->{status}, 403, 'nested location inherits: gated');
}

# --- no identity ------------------------------------------------------------------------------

{
    my $off = $t->log_size('access.log');
    my $r = ungated('no identity', path => '/admin/x.html');
    is($r->{status}, 403, 'no identity: 403');
    like($r->{body}, qr/"reason"\s*:\s*"no_identity"/, 'no identity: reason no_identity');
    like(line_after($off, qr{ GET /admin/x\.html st=}), qr/ st=no_identity /, 'no identity: st=no_identity');

    $r = ungated('empty identity', path => '/admin/x.html?u=');
    is($r->{status}, 403, 'empty identity: 403');
    like($r->{body}, qr/"reason"\s*:\s*"no_identity"/, 'empty identity: no_identity');

    $r = ungated('auth_basic location under satisfy any, no user', path => '/any/x.html');
    is($r->{status}, 403, 'satisfy any, no identity: 403 no_identity');
}

# --- return: never gated (documented pitfall) ---------------------------------------------------

{
    my $r = ungated('return location', path => '/ret?u=alice');
    is($r->{status}, 200, 'return runs before the gate: 200');
    is($r->{body}, "returned\n", 'return: its body');
}

$t->done;
done_testing;
