#!/usr/bin/perl

# One zone, places with different lifetimes (push_approval_wait and
# push_approval_ttl): a long-lived challenge and approval, older than the
# short ones, must not keep those from being freed once they expired
# (found by bench/steady, figure 6 of docs/benchmarks.md: the zone grew
# by 650 bytes a cycle and never came back).

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std;
use Test::More;

my $t = PA::Test->new(workers => 2);
$t->write_file('html/long/index.html', "long\n");
$t->write_file('html/short/index.html', "short\n");

$t->start(PA::Std::conf(http => $PA::Std::LOOSE, locations => <<'EOF'));
        location /long/ {
            %%STD%% push_approval_mode hold; push_approval_code_digits 0;
            push_approval_wait 60s; push_approval_ttl 1h;
        }
        # (a ttl of 2 s, not 1: the cookie's expiry counts whole seconds, so
        # with 1 s a resume that crosses a second boundary finds its
        # approval already over and answers 503)
        location /short/ {
            %%STD%% push_approval_mode hold; push_approval_code_digits 0;
            push_approval_wait 3s; push_approval_ttl 2s;
        }
EOF

my $Z = '{zone="pa"}';
sub bytes { ($t->metrics('/_pa/metrics') || {})->{"push_approval_zone_bytes_used$Z"} }

sub cycle {
    my ($path, $user) = @_;
    my $h = $t->http_start(path => "$path?u=$user", headers => ["User-Agent: $user"]);
    my $push = $t->wait_push(5) or return 0;
    $t->http(method => 'POST', path => PA::Std::approve_path($push),
        headers => ['Content-Type: application/x-www-form-urlencoded'],
        body => 'decision=approve');
    return $t->http_wait($h)->{status} == 200;
}

ok(cycle('/long/', 'keeper'), 'a long-lived approval');
my $base = bytes();

my $ok = 0;
$ok += cycle('/short/', "s$_") for 1 .. 200;
is($ok, 200, '200 short cycles, each approved and resumed');

my $peak = bytes();
cmp_ok($peak - $base, '>', 16384, "the short cycles took room: +" . ($peak - $base));

# two waits of 3 s and a ttl of 2 s later everything short has expired;
# the metrics request itself runs the zone's expiry
my $now;
$t->wait_for(sub { $now = bytes(); $now <= $base + 8192 }, 15,
    'the expired short entries are freed although an older entry lives on')
    or diag("base $base, peak $peak, now $now");

$t->done;
done_testing;
