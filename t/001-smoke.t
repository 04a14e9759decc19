#!/usr/bin/perl

# The shortest whole flow: a held request, its push, the approval, the
# resumed response with its cookie, and the cookie passing on its own.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std;
use Test::More;

my $t = PA::Test->new(workers => 2);
$t->write_file('html/admin/index.html', "admin page\n");

$t->start(PA::Std::conf(locations => <<'EOF'));
        location /admin/ { %%STD%% push_approval_approver ops; }
EOF

my $h = $t->http_start(path => '/admin/?u=alice');
my $push = $t->wait_push(5);
ok($push, 'push sent');
is($push->{json}{user}, 'alice', 'push names the user');
is($push->{json}{approver}, 'ops', 'push names the approver');
ok(!$push->{json}{code_required}, 'four-eyes: no code');

my $dec = $t->http(method => 'POST', path => PA::Std::approve_path($push),
    headers => ['Accept: application/json',
        'Content-Type: application/x-www-form-urlencoded'],
    body => 'decision=approve');
is($dec->{status}, 200, 'decision recorded');
like($dec->{body}, qr/"status":"approved"/, 'approved');

my $res = $t->http_wait($h, 5);
is($res->{status}, 200, 'held request resumed');
is($res->{body}, "admin page\n", 'backend content');
my ($name) = grep { /^pa_/ } keys %{ $t->cookies($res) };
ok($name, 'approval cookie set');
like($t->hdr($res, 'cache-control') // '', qr/no-store/, 'not cached');

my $again = $t->http(path => '/admin/?u=alice',
    headers => [$t->cookie_header($res)]);
is($again->{status}, 200, 'cookie passes');
ok($t->no_push(0.3), 'no second push');

$t->done;
done_testing;
