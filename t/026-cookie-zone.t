#!/usr/bin/perl

# What an approval covers beyond server, scope and approver: its zone (a
# cookie of one zone never opens a place of another, which would not see
# the first zone's revocations) and its place's ttl (a cookie never
# outlives the ttl of the place it is presented to).  A passed request
# redirected (try_files) into a place with another approver is gated
# there afresh; into one with the same people it stays passed.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std;
use Test::More;

my $t = PA::Test->new(workers => 1);
$t->write_file("html/$_/index.html", "$_\n") for qw(za zb long same);
$t->write_file('html/long/short/index.html', "short\n");
$t->write_file('html/a/index.html', "a\n");
$t->write_file('html/b/secret.html', "SECRET-B\n");
$t->write_file('html/same/page.html', "same page\n");

# try_files drops the query: those places take the user from a header
my $locations = <<'EOF';
        location /za/ {
            %%STD%% push_approval_approver ops;
            push_approval_cookie pa_z; push_approval_scope /za/;
        }
        location /zb/ {
            push_approval zone=pb; push_approval_user $arg_u;
            push_approval_notify /_pa/notify; push_approval_approver ops;
            push_approval_cookie pa_z; push_approval_scope /za/;
            alias %%DIR%%/html/zb/;
        }
        location /long/ { %%STD%% push_approval_approver ops; push_approval_ttl 1h; }
        location /long/short/ {
            %%STD%% push_approval_approver ops; push_approval_ttl 1m;
            push_approval_scope /long/; push_approval_cookie pa_long;
        }
        location = /long/x { %%STD%% push_approval_approver ops;
            push_approval_ttl 1h; push_approval_cookie pa_long;
            push_approval_scope /long/; alias %%DIR%%/html/long/index.html; }
        location /a/ {
            %%XSTD%% push_approval_approver helpdesk;
            try_files $uri $uri/ /b/$arg_f;
        }
        location /b/ { %%XSTD%% push_approval_approver security; }
        location /same/ {
            %%XSTD%% push_approval_approver ops;
            try_files $uri $uri/ /same2/$arg_f;
        }
        location /same2/ {
            %%XSTD%% push_approval_approver ops;
            alias %%DIR%%/html/same/;
        }
EOF
$locations =~ s{%%XSTD%%}{push_approval zone=pa; push_approval_user \$http_x_user; push_approval_notify /_pa/notify;}g;
$t->start(PA::Std::conf(http => "push_approval_zone zone=pb:1m; $PA::Std::LOOSE",
    locations => $locations));

my $JS = 'Accept: application/json';
my $n = 0;

sub approve {
    my ($path, @more) = @_;
    my $h = $t->http_start(path => $path,
        headers => [$JS, 'User-Agent: zone/' . ++$n, @more]);
    my $push = $t->wait_push(5);
    ok($push, "$path: push");
    my $d = $t->http(method => 'POST', path => PA::Std::approve_path($push),
        headers => [$JS, 'Content-Type: application/x-www-form-urlencoded'],
        body => 'decision=approve');
    is($d->{status}, 200, "$path: approved");
    my $res = $t->http_wait($h, 5);
    is($res->{status}, 200, "$path: served");
    return ($res, "User-Agent: zone/$n", @more);
}

sub with_cookie {
    my ($res, $ua, $path, @more) = @_;
    my $off = $t->log_size('access.log');
    my $h = $t->http_start(path => $path,
        headers => [$JS, $ua, $t->cookie_header($res), @more]);
    return ($h, $off);
}

sub logged {
    my ($off, $re) = @_;
    return $t->wait_log('access.log', $re, 5, $off);
}

# --- another zone, same scope, server, approver and cookie name -------------

{
    my ($res, $ua) = approve('/za/?u=zed');
    my ($h, $off) = with_cookie($res, $ua, '/zb/?u=zed');
    my $push = $t->wait_push(5);
    ok($push, 'a cookie of zone pa at a place of zone pb: a new push');
    $t->http(method => 'POST', path => PA::Std::approve_path($push),
        headers => [$JS, 'Content-Type: application/x-www-form-urlencoded'],
        body => 'decision=deny') if $push;
    is($t->http_wait($h, 5)->{status}, 403, 'and denied there');
    ok(logged($off, qr{ GET /zb/ .*rs=scope }), 'rejected with rs=scope');

    ($h, $off) = with_cookie($res, $ua, '/za/?u=zed');
    is($t->http_wait($h, 5)->{status}, 200, 'the cookie still opens its own zone');
}

# --- a cookie never outlives the ttl of the place it is shown to ------------

{
    my ($res, $ua) = approve('/long/x?u=lou');
    ok($t->cookies($res)->{pa_long}, 'the 1h cookie');
    my ($h, $off) = with_cookie($res, $ua, '/long/short/?u=lou');
    my $push = $t->wait_push(5);
    ok($push, 'a 1h cookie where the ttl is 1m: a new push');
    $t->http(method => 'POST', path => PA::Std::approve_path($push),
        headers => [$JS, 'Content-Type: application/x-www-form-urlencoded'],
        body => 'decision=deny') if $push;
    is($t->http_wait($h, 5)->{status}, 403, 'and denied there');
    ok(logged($off, qr{ GET /long/short/ .*rs=expired }), 'rejected with rs=expired');
}

# --- try_files into a place with another approver: gated afresh -------------

{
    my ($res, $ua, $x) = approve('/a/', 'X-User: amy');
    my ($h, $off) = with_cookie($res, $ua, '/a/nothing?f=secret.html', $x);
    my $push = $t->wait_push(5);
    ok($push, 'passed for helpdesk, redirected into security\'s place: a push');
    is($push && $push->{json}{approver}, 'security', 'to security');
    $t->http(method => 'POST', path => PA::Std::approve_path($push),
        headers => [$JS, 'Content-Type: application/x-www-form-urlencoded'],
        body => 'decision=deny') if $push;
    my $r = $t->http_wait($h, 5);
    is($r->{status}, 403, 'denied there');
    unlike($r->{body} // '', qr/SECRET-B/, 'the other approver\'s file is not served');
}

# --- try_files into a place with the same people: stays passed --------------

{
    my ($res, $ua, $x) = approve('/same/', 'X-User: sam');
    my ($h, $off) = with_cookie($res, $ua, '/same/nothing?f=page.html', $x);
    my $r = $t->http_wait($h, 5);
    is($r->{status}, 200, 'redirected into the same people\'s place: served');
    is($r->{body}, "same page\n", 'its file');
    ok($t->no_push(0.3), 'no second push');
}

$t->done;
done_testing;
