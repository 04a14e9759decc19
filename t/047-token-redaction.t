#!/usr/bin/perl

# A decision token never reaches the journal or the error log, however
# its URL is escaped: "{id}%2E{token}" decides as "{id}.{token}" does, and
# the events of an endpoint keep only the decoded path up to the id.  A
# flood of rejected requests at the approve endpoint is reported in the
# error log without the request line that carries the token.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std;
use Test::More;

my $t = PA::Test->new(workers => 1);
$t->write_file('html/admin/index.html', "admin\n");

$t->start(PA::Std::conf(http => $PA::Std::LOOSE, locations => <<'EOF'));
        location /admin/ { %%STD%% push_approval_approver ops; }
EOF

my $JS = 'Accept: application/json';
my $FORM = 'Content-Type: application/x-www-form-urlencoded';

my $h = $t->http_start(path => '/admin/?u=ann', headers => [$JS]);
my $push = $t->wait_push(5);
ok($push, 'push');
my $path = PA::Std::approve_path($push);
my ($base, $id, $token) = $path =~ m{^(.*/)([^/.]+)\.([^/.]+)$};
ok($token && length $token > 20, 'the approve path has a token');

# an escaped dot decides like the dot itself
my $r = $t->http(method => 'POST', path => "$base$id%2E$token",
    headers => [$JS, $FORM], body => 'decision=approve');
is($r->{status}, 200, '{id}%2E{token}: decided');
is($t->http_wait($h, 5)->{status}, 200, 'the held request passes');

# decided: gone, a rejected event for each, with the escaped token
for my $p ("$base$id%2E$token", "$base$id.$token", "$base$id%2e\L$token") {
    $r = $t->http(method => 'POST', path => $p, headers => [$JS, $FORM],
        body => 'decision=approve');
    like($r->{status}, qr/^(404|410)$/, "after the decision: $r->{status}");
}

# a flood of forged tokens: more than the rejected events a second
my $bad = 'A' x 43;
for my $i (1 .. 70) {
    $t->http(method => 'POST', path => "$base$id%2E$bad$i",
        headers => [$JS, $FORM], body => 'decision=deny');
}
ok($t->wait_log('error.log', qr/"rejected" events a second/, 5),
    'the flood is reported in the error log');

$t->stop;

my $journal = join '', map { $t->read_file("journal/$_") }
    grep { /\.ndjson$/ } do {
        opendir my $d, $t->dir . '/journal' or die "journal: $!";
        readdir $d;
    };
ok(length $journal, 'the journal has events');
like($journal, qr/"event":"rejected"/, 'rejected events were written');
is(index($journal, $token), -1, 'the token is not in the journal');
is(index($journal, "\L$token"), -1, 'nor in lower case');
is(index($journal, $bad), -1, 'nor a forged token');
my $log = $t->read_file('error.log');
is(index($log, $token), -1, 'the token is not in the error log');
is(index($log, $bad), -1, 'nor a forged token');

$t->done;
done_testing;
