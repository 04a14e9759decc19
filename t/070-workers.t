#!/usr/bin/perl

# Across workers: a decision taken on one worker resumes a request paused
# in the other (under 200 ms, served by the pausing worker); reload with
# requests paused (decisions on new workers resume requests in old ones);
# graceful quit with a request paused (it waits on until its timeout, then
# nginx exits); worker_shutdown_timeout ends paused requests with 503
# unavailable.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std qw(decision_req json_of still_held next_push);
use Test::More;
use Time::HiRes qw(time);

my $t = PA::Test->new(workers => 2);
$t->write_file("html/admin/r$_.txt", "round $_\n") for 1 .. 20;
$t->write_file('html/short/index.html', "short\n");

my $conf = PA::Std::conf(locations => <<'EOF');
        location /admin/ { %%STD%% push_approval_approver ops; }
        location /short/ { %%STD%% push_approval_approver ops; push_approval_wait 2s; }
        location = /pid { return 200 $pid; }
EOF

$t->start($conf);

sub user { PA::Std::user('w', 'k') }

# --- keepalive connections, each known to belong to one worker ---------------------

my @workers = sort { $a <=> $b } $t->worker_pids;
is(scalar @workers, 2, 'two workers');

my %conns;    # pid => [sockets]
for (1 .. 200) {
    my $r = $t->http(path => '/pid', keepalive => 1);
    next unless $r->{status} == 200 && $r->{conn};
    push @{ $conns{ $r->{body} } }, $r->{conn};
    last if keys(%conns) >= 2;
}
is(scalar keys %conns, 2, 'keepalive connections on both workers')
    or BAIL_OUT('cannot reach both workers: ' . join(' ', keys %conns));

my ($pa, $pb) = sort { $a <=> $b } keys %conns;
my %conn = ($pa => $conns{$pa}[0], $pb => $conns{$pb}[0]);

# --- the decision on the other worker: resumed within 200 ms ------------------------

my @lat;
for my $round (1 .. 6) {
    my ($hold_pid, $dec_pid) = $round % 2 ? ($pa, $pb) : ($pb, $pa);
    my $u = user();
    my $h = $t->http_start(conn => $conn{$hold_pid}, keepalive => 1,
        path => "/admin/r$round.txt?u=$u");
    my $push = next_push($t);
    ok($push && still_held($h, 0), "round $round: request paused on $hold_pid");
    my $dec = $t->http(conn => $conn{$dec_pid}, keepalive => 1,
        decision_req($push, 'approve'));
    my $t1 = time;
    my $res = $t->http_wait($h, 5);
    my $lat = time - $t1;
    push @lat, $lat;
    is($dec->{status}, 200, "round $round: approved on $dec_pid");
    is($res->{status}, 200, "round $round: resumed");
    is($res->{body}, "round $round\n", "round $round: content");
    cmp_ok($lat, '<', 0.2, sprintf("round $round: resumed %.0f ms after the decision", $lat * 1000));
    my $id = $push->{json}{id};
    ok($t->wait_log('access.log', qr{^$hold_pid 200 GET /admin/r$round\.txt st=approved }, 5),
        "round $round: served by the pausing worker $hold_pid");
    ok($t->wait_log('access.log', qr{^$dec_pid 200 POST /_pa/approve/\Q$id\E\.}, 5),
        "round $round: decided on the other worker $dec_pid");
    $conn{$hold_pid} = $res->{conn};
    $conn{$dec_pid} = $dec->{conn};
    last unless $conn{$hold_pid} && $conn{$dec_pid};
}
diag(sprintf('wake-up latencies: %s ms', join(' ', map { sprintf '%.1f', $_ * 1000 } @lat)));

# a denial crosses workers the same way
{
    my $u = user();
    my $h = $t->http_start(conn => $conn{$pa}, keepalive => 1, path => "/admin/r9.txt?u=$u",
        headers => ['Accept: application/json']);
    my $push = next_push($t);
    my $dec = $t->http(conn => $conn{$pb}, keepalive => 1,
        decision_req($push, 'deny'));
    my $t1 = time;
    my $res = $t->http_wait($h, 5);
    is($res->{status}, 403, 'deny on the other worker: 403');
    is(json_of($res)->{reason}, 'denied', 'deny on the other worker: denied');
    cmp_ok(time - $t1, '<', 0.2, 'deny on the other worker: within 200 ms');
}

close $_ for map { @$_ } values %conns;
close $_ for grep { $_ } values %conn;

# --- reload with requests paused ------------------------------------------------------

my @old = $t->worker_pids;
my @held;
for my $i (1 .. 3) {
    my $u = user();
    my $h = $t->http_start(path => "/admin/r1$i.txt?u=$u", headers => ["User-Agent: reload/$i"]);
    my $push = next_push($t);
    push @held, [$h, $push, $u, $i];
}
ok($t->reload, 'reload with three requests paused');
my %oldp = map { $_ => 1 } @old;
my @new = $t->worker_pids;
ok(!grep({ $oldp{$_} } @new), 'new workers');
ok(scalar(grep { $oldp{$_} } $t->all_worker_pids) >= 1, 'old workers still run (requests paused)');
ok(!grep({ !still_held($_->[0], 0) } @held), 'requests still paused after the reload');

for my $x (@held) {
    my ($h, $push, $u, $i) = @$x;
    my $pos = $t->log_size('access.log');
    my $dec = $t->http(decision_req($push, 'approve'));
    is($dec->{status}, 200, "reload $i: approved after the reload");
    my $t1 = time;
    my $res = $t->http_wait($h, 5);
    is($res->{status}, 200, "reload $i: the paused request resumed with 200");
    cmp_ok(time - $t1, '<', 0.2, "reload $i: resumed within 200 ms");
    is($res->{body}, "round 1$i\n", "reload $i: content");
    my $dl = $t->wait_log('access.log', qr{ POST /_pa/approve/\Q$push->{json}{id}\E\.}, 5, $pos) // '';
    my ($dpid) = $dl =~ /^(\d+)/;
    ok($dpid && !$oldp{$dpid}, "reload $i: decided on a new worker");
    my $hl = $t->wait_log('access.log', qr{ 200 GET /admin/r1$i\.txt st=approved }, 5) // '';
    my ($hpid) = $hl =~ /^(\d+)/;
    ok($hpid && $oldp{$hpid}, "reload $i: served by an old worker");
}
ok($t->wait_for(sub { !grep { $oldp{$_} } $t->all_worker_pids }, 10, 'old workers exit'),
    'old workers exit once their requests are done');

# --- graceful quit with a request paused -------------------------------------------------

{
    my $u = user();
    my $h = $t->http_start(path => "/short/?u=$u", headers => ['Accept: application/json']);
    my $push = next_push($t);
    my $master = $t->master_pid;
    my @w = $t->all_worker_pids;
    my $t0 = time;
    $t->signal('QUIT');
    ok(still_held($h, 0.3), 'quit: the paused request waits on');
    my $res = $t->http_wait($h, 6);
    is($res->{status}, 403, 'quit: the paused request ends with its timeout');
    is(json_of($res)->{reason}, 'timeout', 'quit: reason timeout');
    ok($t->wait_for(sub { !PA::Test::pid_alive($master) && !grep { PA::Test::pid_alive($_) } @w },
        10, 'nginx exits'), 'quit: nginx exits after the request ended');
    cmp_ok(time - $t0, '<', 6, 'quit: within the wait and a little');
}

# --- worker_shutdown_timeout: paused requests end with 503 unavailable ----------------------

$t->start($conf, main => 'worker_shutdown_timeout 1s;');
{
    my $u = user();
    my $h = $t->http_start(path => "/admin/r12.txt?u=$u", headers => ['Accept: application/json']);
    my $push = next_push($t);
    my @old2 = $t->worker_pids;
    my $t0 = time;
    ok($t->reload, 'reload with worker_shutdown_timeout 1s');
    my $res = $t->http_wait($h, 6);
    my $took = time - $t0;
    is($res->{status}, 503, 'worker_shutdown_timeout: 503');
    is(json_of($res)->{reason}, 'unavailable', 'worker_shutdown_timeout: unavailable');
    is(json_of($res)->{approval_id}, $push->{json}{id}, 'worker_shutdown_timeout: approval_id');
    cmp_ok($took, '>=', 0.8, 'worker_shutdown_timeout: after about 1 s');
    cmp_ok($took, '<', 3, 'worker_shutdown_timeout: not much later');
    ok($t->wait_for(sub { !grep { PA::Test::pid_alive($_) } @old2 }, 5, 'old workers exit'),
        'worker_shutdown_timeout: old worker exits');
    ok($t->wait_log('access.log', qr{ 503 GET /admin/r12\.txt st=unavailable }, 5),
        'worker_shutdown_timeout: logged unavailable');

    # the challenge lives on in the zone: approving it is still fine
    my $dec = $t->http(decision_req($push, 'approve'));
    ok($dec->{status} == 200 || $dec->{status} == 410, 'approving afterwards: 200 or 410');
    is($t->http(path => '/pid')->{status}, 200, 'nginx still serves');
}

$t->done;
done_testing;
