#!/usr/bin/perl

# The notify subrequest's pool (notify.c): a held request gives the push's
# memory back once the push is out, before any decision, not when it ends;
# every other ending (a failed push, a two-step or page answer, a client
# that leaves during the push) frees it exactly once, with the request.
# A module that keeps a context of the client's request in the pool (SSI
# in 1.26 and Debian's 1.22.1, from the push's answer) keeps the pool until
# the request ends: the page that goes through SSI afterwards is intact.
# A push answered from a stale cache while a background update runs keeps
# the pool until the request ends, also for a request with a small body
# (read at once, before the push).
# Seen through the debug log: "push_approval: notify pool freed".

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std qw(decide push_for);
use Test::More;
use Time::HiRes qw(time);

my $t = PA::Test->new(workers => 1);

my $v = `${\ $t->binary} -V 2>&1`;
plan skip_all => 'nginx without --with-debug' unless $v =~ /--with-debug/;

$t->write_file("html/$_/index.html", "$_\n") for qw(hold self page);
$t->write_file('html/ssi/index.html', "ssi <!--# echo var=\"arg_u\" -->\n");

$t->start(PA::Std::conf(http => "$PA::Std::LOOSE proxy_cache_path %%DIR%%/cache "
        . 'keys_zone=cz:1m;', locations => <<'EOF'),
        location /hold/ { %%STD%% push_approval_approver ops; }
        location /self/ { %%STD%% }
        location /page/ { %%STD%% push_approval_mode page; }
        location = /_pa/notify_ssi {
            internal;
            ssi on;
            ssi_types *;
            proxy_pass http://127.0.0.1:%%RECEIVER%%/push;
            proxy_method POST;
            proxy_pass_request_headers off;
            proxy_set_body $push_approval_json;
        }
        location = /_pa/notify_bg {
            internal;
            proxy_pass http://127.0.0.1:%%RECEIVER%%/push;
            proxy_method POST;
            proxy_pass_request_headers off;
            proxy_set_body $push_approval_json;
            proxy_cache cz;
            proxy_cache_key fixed;
            proxy_cache_valid 200 1s;
            proxy_cache_use_stale updating;
            proxy_cache_background_update on;
        }
        location /bg/ {
            push_approval zone=pa; push_approval_user $arg_u;
            push_approval_approver ops; push_approval_notify /_pa/notify_bg;
        }
        location /ssi/ {
            push_approval zone=pa; push_approval_user $arg_u;
            push_approval_approver ops; push_approval_notify /_pa/notify_ssi;
            ssi on;
        }
EOF
    error_level => 'debug');

my $FREED = qr/push_approval: notify pool freed( with the request)?$/m;
my $JS = 'Accept: application/json';

# how the pools freed since $from were freed: early (by the gate, while
# the request goes on) or late (by the request's own cleanup)
sub freed {
    my ($from) = @_;
    my $log = substr($t->errlog, $from);
    my @how;
    push @how, defined $1 ? 'late' : 'early' while $log =~ /$FREED/g;
    return \@how;
}

sub wait_freed {
    my ($from, $n) = @_;
    return $t->wait_for(sub { @{ freed($from) } >= $n }, 5, 'the pool freed');
}

# hold: freed once the push is out, while the request is still held
{
    my $off = length $t->errlog;
    my $h = $t->http_start(path => '/hold/?u=ann', timeout => 15);
    my $push = $t->wait_push(5);
    ok($push, 'hold: push');
    ok(wait_freed($off, 1), 'hold: the pool is freed before the decision');
    is_deeply(freed($off), ['early'], 'hold: by the gate, not at the end');
    my $d = $push ? decide($t, $push, 'approve') : { status => 0 };
    is($d->{status}, 200, 'hold: approved');
    my $res = $t->http_wait($h, 10);
    is($res->{status}, 200, 'hold: the request passes');
    is_deeply(freed($off), ['early'], 'hold: freed once');
}

# two-step and page: the answer follows the push at once
for my $case (['self', 401], ['page', 202]) {
    my ($name, $status) = @$case;
    my $off = length $t->errlog;
    my $res = $t->http(path => "/$name/?u=ben$name", headers => [$JS]);
    is($res->{status}, $status, "$name: $status");
    ok($t->wait_push(5), "$name: push");
    ok(wait_freed($off, 1), "$name: the pool is freed");
    is(scalar @{ freed($off) }, 1, "$name: once");
}

# a failed push: freed, once
{
    $t->receiver_set(status => 500);
    my $off = length $t->errlog;
    my $res = $t->http(path => '/hold/?u=cid', headers => [$JS]);
    is($res->{status}, 503, 'failed push: 503');
    ok(wait_freed($off, 1), 'failed push: the pool is freed');
    is(scalar @{ freed($off) }, 1, 'failed push: once');
    $t->receiver_set(status => 200);
}

# the client leaves while the provider holds the push: freed with the request
{
    $t->receiver_set(delay => 'never');
    my $off = length $t->errlog;
    my $h = $t->http_start(path => '/hold/?u=dan', timeout => 15);
    ok($t->wait_push(5), 'abort: the provider holds the push');
    ok(!@{ freed($off) }, 'abort: not freed while the push is out');
    $t->http_abort($h);
    ok(wait_freed($off, 1), 'abort: the pool is freed');
    is_deeply(freed($off), ['late'], 'abort: with the request, once');
    $t->receiver_set(delay => 0);
}

# SSI on in the notify location: its filter may keep a context for the
# client's request in the pool, from the push's answer; the pool then
# stays until the request ends, and the held page goes through SSI intact
for my $case (['approved', 200, 200, qr/^ssi eve\n/], ['failed', 500, 503, qr/push_failed/]) {
    my ($name, $answer, $status, $body) = @$case;
    $t->receiver_set(status => $answer, body => '{"ok":true}',
        headers => ['Content-Type: text/html']);
    my $off = length $t->errlog;
    my $u = "eve$name";
    my $h = $t->http_start(path => "/ssi/?u=$u", headers => [$JS], timeout => 15);
    my $push = push_for($t, $u);
    ok($push, "ssi $name: push");
    if ($answer == 200) {
        my $d = $push ? decide($t, $push, 'approve') : { status => 0 };
        is($d->{status}, 200, "ssi $name: approved");
        $body = qr/^ssi \Q$u\E\n/;
    }
    my $res = $t->http_wait($h, 10);
    is($res->{status}, $status, "ssi $name: $status");
    like($res->{body} // '', $body, "ssi $name: the page, intact");
    ok(wait_freed($off, 1), "ssi $name: the pool is freed");
    # late where this nginx's SSI keeps a context of the client's request
    # in the pool (1.26, Debian's 1.22.1), early where it does not
    my $how = freed($off);
    is(scalar @$how, 1, "ssi $name: once");
    diag("ssi $name: freed $how->[0]") if @$how;
}
$t->receiver_set(status => 200, body => '{}', headers => []);

# a push answered from a stale cache entry, with a background update still
# running in the push's pool; the request has a small body, read at once:
# the pool must stay until the update is done
{
    my $h = $t->http_start(path => '/bg/?u=fay', headers => [$JS], timeout => 15);
    my $push = push_for($t, 'fay');
    ok($push, 'background update: the first push fills the cache');
    decide($t, $push, 'deny') if $push;
    is($t->http_wait($h, 10)->{status}, 403, 'background update: first denied');
    sleep 2.2;    # the cache entry goes stale (proxy_cache_valid 1s, whole seconds)

    $t->receiver_set(delay => 3);
    my $off = length $t->errlog;
    $h = $t->http_start(method => 'POST', path => '/bg/?u=gus',
        headers => [$JS, 'Content-Type: text/plain'], body => 'abc',
        timeout => 15);
    $push = push_for($t, 'gus');
    ok($push, 'background update: the update reaches the provider');
    ok(!@{ freed($off) }, 'background update: not freed while it runs');
    decide($t, $push, 'deny') if $push;
    is($t->http_wait($h, 10)->{status}, 403, 'background update: denied');
    ok(wait_freed($off, 1), 'background update: the pool is freed');
    is_deeply(freed($off), ['late'], 'background update: with the request, once');
    $t->receiver_set(delay => 0);
}

$t->done;
done_testing;
