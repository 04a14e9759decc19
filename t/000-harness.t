#!/usr/bin/perl

# Exercises the test harness (t/lib/PA/Test.pm, t/lib/PA/Receiver.pm)
# against plain nginx, without the module.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Time::HiRes qw(time);

use PA::Test;

local $ENV{TEST_NGINX_MODULE} = '';

my $t = PA::Test->new(workers => 2);

# --- ports, files ---------------------------------------------------------

my @ports = map { $t->port($_) } 0 .. 3;
is($t->port, $ports[0], 'port() is port(0)');
is($t->port(2), $ports[2], 'port(N) is stable');
is(scalar(keys %{ { map { $_ => 1 } @ports } }), 4, 'ports are distinct');
ok(-d $t->dir, 'temp dir exists');

my $f = $t->write_file('html/index.html', "hello\n");
is($f, $t->dir . '/html/index.html', 'write_file returns the full path');
$t->write_file('html/part.txt', "PART");
$t->write_file('html/ssi/index.html', "A<!--# include virtual=\"/part.txt\" -->B\n");
$t->write_file('html/metrics.txt', <<'EOF');
# HELP push_approval_pending Pending challenges.
# TYPE push_approval_pending gauge
push_approval_pending 3
push_approval_challenges_total{result="approved"} 7
push_approval_challenges_total{result="denied"} 0
push_approval_zone_bytes_used 1.5e3
EOF

my $secret = $t->secret_file;
is($secret, $t->dir . '/secret', 'secret file path');
is((stat $secret)[2] & 07777, 0600, 'secret file mode 0600');
like($t->read_file('secret'), qr{^k1 [A-Za-z0-9+/]{43}=\n\z}, 'secret file format');
is($t->secret_file, $secret, 'secret file written once');

# --- nginx -t -------------------------------------------------------------

my ($ok, $out) = $t->nginx_test(<<'EOF');
server {
    listen 127.0.0.1:%%PORT%%;
    location / { no_such_directive on; }
}
EOF
ok(!$ok, 'nginx_test: broken config fails');
like($out, qr/unknown directive "no_such_directive"/, 'nginx_test: output names the directive');

($ok, $out) = $t->nginx_test("server { listen 127.0.0.1:%%PORT%%; }");
ok($ok, 'nginx_test: good config passes') or diag($out);
like($out, qr/syntax is ok/, 'nginx_test: output of a good config');

{
    local $ENV{TEST_NGINX_MODULE} = '/nonexistent/ngx_http_push_approval_module.so';
    ($ok, $out) = $t->nginx_test("server { listen 127.0.0.1:%%PORT%%; }");
    ok(!$ok, 'TEST_NGINX_MODULE: load_module emitted');
    like($out, qr{/nonexistent/ngx_http_push_approval_module\.so}, 'TEST_NGINX_MODULE: path in the error');
}

my $path;
($ok, $out, $path) = $t->nginx_test("server { listen 127.0.0.1:%%PORT%%; }",
    error_level => 'debug', worker_connections => 77,
    main => 'worker_rlimit_nofile 1000;', events => 'multi_accept on;');
ok($ok, 'nginx_test with options') or diag($out);
my $text = $t->read_file($path);
like($text, qr/^error_log \S+ debug;$/m, 'option error_level');
like($text, qr/worker_connections 77;\s+multi_accept on;/, 'options worker_connections, events');
like($text, qr/^worker_rlimit_nofile 1000;$/m, 'option main');

# --- start ----------------------------------------------------------------

my $conf = <<'EOF';
server {
    listen 127.0.0.1:%%PORT%%;
    server_name localhost;
    root %%DIR%%/html;
    access_log %%DIR%%/access.log;

    location / { }

    location = /push {
        proxy_pass http://127.0.0.1:%%RECEIVER%%/hook;
        proxy_read_timeout 2s;
    }

    location /ssi/ {
        ssi on;
        ssi_types text/plain;
    }

    location = /cookie {
        add_header Set-Cookie "a=1; Path=/x/; Max-Age=60; HttpOnly; SameSite=Strict";
        add_header Set-Cookie "b=two; Secure";
        return 204;
    }
}
EOF

$t->start($conf);

my $master = $t->master_pid;
ok($master && kill(0, $master), 'master is running');
my @w = $t->worker_pids;
is(scalar @w, 2, 'two workers');
like($t->read_file('nginx.conf'), qr/^worker_processes 2;$/m, 'conf: worker_processes');
unlike($t->read_file('nginx.conf'), qr/load_module/, 'conf: no load_module');
like($t->read_file('nginx.conf'), qr/client_body_temp_path \Q${\ $t->dir}\E/, 'conf: temp paths');

# --- static, keepalive, HEAD, access log ------------------------------------

my $res = $t->http(path => '/index.html');
is($res->{status}, 200, 'static: status');
is($res->{body}, "hello\n", 'static: body');
is($t->hdr($res, 'Content-Length'), 6, 'hdr()');
ok(!$res->{chunked}, 'static: not chunked');

$res = $t->http(path => '/index.html', headers => ['User-Agent' => 'pairs/1', 'X-A' => 'b']);
is($res->{status}, 200, 'headers as name => value pairs');

$res = $t->http(method => 'HEAD', path => '/index.html');
is($res->{status}, 200, 'HEAD: status');
is($res->{body}, '', 'HEAD: no body');

my $r1 = $t->http(path => '/index.html', keepalive => 1);
ok($r1->{conn}, 'keepalive: connection kept');
my $r2 = $t->http(path => '/part.txt', conn => $r1->{conn});
is("$r1->{status} $r2->{status}", '200 200', 'keepalive: two responses');
is($r2->{body}, 'PART', 'keepalive: second body');

$res = $t->http(path => '/nope');
is($res->{status}, 404, 'missing file: status');

# nginx may write the log line after the client got the response: wait
my $line = $t->wait_log('access.log', qr{"GET /part\.txt HTTP/1\.1" 200}, 5);
ok($line, 'wait_log finds the access log line');
$t->wait_log('access.log', qr{"HEAD /index\.html}, 5);
$t->wait_log('access.log', qr{"pairs/1"}, 5);
my $lines = $t->access_log('access.log');
ok(scalar(grep { m{"HEAD /index\.html} } @$lines), 'access_log lines');
ok(scalar(grep { m{"pairs/1"} } @$lines), 'access_log: User-Agent from pairs');

# --- chunked ----------------------------------------------------------------

$res = $t->http(path => '/ssi/');
is($res->{status}, 200, 'ssi: status');
ok($res->{chunked}, 'ssi: chunked response');
is($res->{body}, "APARTB\n", 'ssi: dechunked body');

# HTTP/1.0: no chunking, the body ends with the connection
$res = $t->http(path => '/ssi/', version => '1.0');
is($res->{status}, 200, 'read until close: status');
ok(!$res->{chunked} && !$t->hdr($res, 'content-length'), 'read until close: no length');
is($res->{body}, "APARTB\n", 'read until close: body');

# --- cookies ------------------------------------------------------------------

$res = $t->http(path => '/cookie');
is($res->{status}, 204, 'cookie: status');
is_deeply($t->cookies($res), { a => '1', b => 'two' }, 'cookies()');
is_deeply($t->cookie_attrs($res, 'a'),
    { path => '/x/', 'max-age' => 60, httponly => 1, samesite => 'Strict' },
    'cookie_attrs()');
is_deeply($t->cookie_attrs($res, 'b'), { secure => 1 }, 'cookie_attrs(): flag');
is($t->cookie_attrs($res, 'c'), undef, 'cookie_attrs(): absent cookie');
is($t->cookie_header($res), 'Cookie: a=1; b=two', 'cookie_header()');

# --- metrics --------------------------------------------------------------------

my $m = $t->metrics('/metrics.txt');
is($m->{push_approval_pending}, 3, 'metrics: unlabeled');
is($m->{'push_approval_challenges_total{result="approved"}'}, 7, 'metrics: labeled');
is($m->{'push_approval_challenges_total{result="denied"}'}, 0, 'metrics: zero');
is($m->{push_approval_zone_bytes_used}, 1500, 'metrics: float');
ok(!exists $m->{'# HELP'}, 'metrics: comments skipped');

# --- receiver -------------------------------------------------------------------

$res = $t->http(method => 'POST', path => '/push', body => '{"x":[1,2]}',
    headers => ['Content-Type: application/json', 'X-Test: yes']);
is($res->{status}, 200, 'proxied: status');
is($res->{body}, '{}', 'proxied: receiver body');
is($t->hdr($res, 'content-type'), 'application/json', 'proxied: content type');

my $push = $t->wait_push(5);
ok($push, 'wait_push');
is($push->{method}, 'POST', 'push: method');
is($push->{uri}, '/hook', 'push: uri');
is($push->{body}, '{"x":[1,2]}', 'push: body');
is_deeply($push->{json}, { x => [1, 2] }, 'push: json');
is($push->{headers}{'x-test'}, 'yes', 'push: header');
is($push->{headers}{'content-length'}, 11, 'push: content-length');
is($t->push_count, 1, 'push_count');
ok($t->no_push(0.2), 'no_push');

# a binary body goes through unchanged
my $bin = join '', map { chr } 0 .. 255;
$t->http(method => 'POST', path => '/push', body => $bin);
$push = $t->wait_push(5);
is($push && $push->{body}, $bin, 'push: binary body');
is($push && $push->{json}, undef, 'push: json undef for non-JSON');

# the receiver answers 500
my $cfg = $t->receiver_set(status => 500, body => '{"error":"boom"}');
is($cfg->{status}, 500, 'receiver_set returns the configuration');
$res = $t->http(method => 'POST', path => '/push', body => 'a');
is($res->{status}, 500, 'receiver status 500 is proxied');
is($res->{body}, '{"error":"boom"}', 'receiver body is proxied');
ok($t->wait_push(5), 'push of the 500 request');
is($t->push_count, 3, 'control requests are not pushes');

# delay: two delayed requests and a static one at once
$t->receiver_set(status => 200, body => '{"ok":true}', delay => 1.5);
my $t0 = time;
my @h = (
    $t->http_start(method => 'POST', path => '/push', body => '1'),
    $t->http_start(method => 'POST', path => '/push', body => '2'),
    $t->http_start(path => '/index.html'),
);
my @res = $t->http_wait_all(\@h, 10);
my $elapsed = time - $t0;
is(join(' ', map { $_->{status} } @res), '200 200 200', 'concurrent: statuses');
is($res[0]{body}, '{"ok":true}', 'concurrent: receiver body');
cmp_ok($res[2]{time}, '<', 1.0, 'static request not held up by the delayed ones');
cmp_ok($res[0]{time}, '>=', 1.4, 'delayed request 1 waited');
cmp_ok($res[1]{time}, '>=', 1.4, 'delayed request 2 waited');
cmp_ok($elapsed, '<', 2.7, 'delayed requests answered concurrently');
is(join(' ', sort map { $_->{body} } grep { $_ } ($t->wait_push(1), $t->wait_push(1))),
    '1 2', 'both delayed requests pushed');

# close without answering -> 502
$t->receiver_set(delay => 0, close => 1);
$res = $t->http(method => 'POST', path => '/push', body => 'c');
is($res->{status}, 502, 'close => 1: nginx answers 502');
ok($t->wait_push(5), 'close => 1: request still pushed');

# never answer -> proxy_read_timeout -> 504
$t->receiver_set(close => 0, delay => 'never');
$res = $t->http(method => 'POST', path => '/push', body => 'n');
is($res->{status}, 504, 'delay => never: nginx times out, 504');
ok($t->wait_push(5), 'delay => never: request pushed');

# client gives up while nginx waits
my $h = $t->http_start(method => 'POST', path => '/push', body => 'gone');
ok($t->wait_push(5), 'abort: request reached the receiver');
$t->http_abort($h);
is($t->http_wait($h)->{status}, 0, 'aborted handle: status 0');

# client timeout
$h = $t->http_start(method => 'POST', path => '/push', body => 't', timeout => 0.5);
$res = $t->http_wait($h);
is($res->{status}, 0, 'client timeout: status 0');
is($res->{error}, 'timeout', 'client timeout: error');
$t->clear_pushes;

$t->receiver_set(delay => 0, status => 200);

# connection error
$res = $t->http(port => $t->port(3), path => '/');
is($res->{status}, 0, 'connect error: status 0');
like($res->{error}, qr/connect/, 'connect error: error');

# a released port can be bound without SO_REUSEADDR
my $rp = $t->release_port(5);
is($rp, $t->port(5), 'release_port keeps the number');
my $ls = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $rp,
    Listen => 1, Proto => 'tcp');
ok($ls, 'released port can be bound');
close $ls if $ls;

# --- signals, wait_for, reload ------------------------------------------------------

my $pos = $t->log_size('error.log');
$t->signal('USR1');
ok($t->wait_log('error.log', qr/reopening logs/, 5, $pos), 'USR1 reopens logs');

ok($t->wait_for(sub { -s $t->dir . '/access.log' }, 5, 'access log'), 'wait_for');

my %old = map { $_ => 1 } $t->worker_pids;
ok($t->reload($conf . "server { listen 127.0.0.1:%%PORT1%%; location / { return 200 \"new\\n\"; } }\n"),
    'reload');
my @new = $t->worker_pids;
is(scalar @new, 2, 'reload: two workers');
ok(!grep({ $old{$_} } @new), 'reload: new worker pids');
is($t->master_pid, $master, 'reload: same master');
ok(scalar($t->all_worker_pids) >= 2, 'all_worker_pids');
is($t->http(port => $t->port(1), path => '/')->{body}, "new\n", 'reload: new server');

%old = map { $_ => 1 } @new;
ok(!$t->reload("bogus_directive on;", may_fail => 1), 'reload of a broken config fails');
is(join(' ', $t->worker_pids), join(' ', @new), 'failed reload: same workers');
is($t->http(port => $t->port(1), path => '/')->{body}, "new\n", 'failed reload: old config runs');
ok($t->reload, 'reload without a new body');
is($t->http(port => $t->port(1), path => '/')->{body}, "new\n", 'config kept after failed reload');

# --- start failure, error-log check ------------------------------------------

{
    my $t2 = PA::Test->new(workers => 1);
    isnt($t2->port, $t->port, 'ports distinct across objects');
    eval { $t2->start("server { listen 127.0.0.1:%%PORT%%; bogus_x on; }") };
    like($@, qr/unknown directive "bogus_x"/, 'start dies with the error log');
}

{
    my $t3 = PA::Test->new;
    $t3->write_file('error.log', "2026/01/01 00:00:00 [alert] 1#1: test alert\n");
    $t3->write_file('asan-asan.123', "==123==ERROR: AddressSanitizer: heap-use-after-free\n");
    my $b = Test::More->builder;
    $b->todo_start('expected failure: the error-log check must catch these');
    my $r = $t3->done;
    $b->todo_end;
    ok(!$r, 'done() fails on [alert] and sanitizer output');
}

$t->stop;
ok(!PA::Test::pid_alive($master), 'stop: master gone');
ok(!grep({ PA::Test::pid_alive($_) } @new), 'stop: workers gone');

$t->done(ignore => qr/bogus_directive/);

done_testing;
