#!/usr/bin/perl

# A local user against the cross-worker wake-up.  Wake-up sockets live in
# Linux's abstract namespace, where any process may bind any free name and
# send to any bound one.  Before nginx starts and before a reload, this test
# binds the names the workers' sockets once had (ngx_push_approval/<pid>)
# for the next few thousand pids: every worker still runs and serves, and a
# decision on one worker resumes a request paused in the other within
# 200 ms (the 1 s re-check alone would not).  The names in use are random
# (read from /proc/net/unix, as any user can); datagrams of any size sent
# to them, the held challenge's id included, leave the paused request
# paused and the workers up.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std qw(decision_req still_held next_push);
use Test::More;
use Socket qw(AF_UNIX SOCK_DGRAM pack_sockaddr_un);
use Time::HiRes qw(time);

plan skip_all => 'Linux only (abstract unix sockets)' unless -r '/proc/net/unix';

my $t = PA::Test->new(workers => 2);
$t->write_file("html/admin/r$_.txt", "round $_\n") for 1 .. 9;

my $conf = PA::Std::conf(locations => <<'EOF');
        location /admin/ { %%STD%% push_approval_approver ops; }
        location = /pid { return 200 $pid; }
EOF

# --- squatting ---------------------------------------------------------------------

my $PID_MAX = do { open my $f, '<', '/proc/sys/kernel/pid_max'; (<$f> // 32768) + 0 };
my %squat;    # pid => socket

sub last_pid {
    open my $f, '<', '/proc/sys/kernel/ns_last_pid' or return $$;
    return (<$f> // $$) + 0;
}

# binds "\0ngx_push_approval/<pid>" for the next $n pids; returns how many
# of them are held
sub squat_next {
    my ($n) = @_;
    my ($p, $got) = (last_pid(), 0);
    for (1 .. $n) {
        $p = $p + 1 >= $PID_MAX ? 300 : $p + 1;
        $got++, next if $squat{$p};
        socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or last;
        next unless bind($s, pack_sockaddr_un("\0ngx_push_approval/$p"));
        $squat{$p} = $s;
        $got++;
    }
    return $got;
}

# the wake-up names bound by these workers (other nginx may run here too)
sub wake_names {
    my %ino;
    for my $w (@_) {
        opendir my $d, "/proc/$w/fd" or next;
        for (readdir $d) {
            my $l = readlink "/proc/$w/fd/$_" // '';
            $ino{$1} = 1 if $l =~ /^socket:\[(\d+)\]$/;
        }
    }
    open my $f, '<', '/proc/net/unix' or return ();
    my @n;
    while (<$f>) {
        my @f = split;
        push @n, $1 if @f >= 8 && $ino{ $f[6] } && $f[7] =~ m{^\@ngx_push_approval/(\S+)$};
    }
    return @n;
}

cmp_ok(squat_next(3000), '>=', 2500, 'the old names of the next 3000 pids taken');

# --- helpers ---------------------------------------------------------------------

sub user { PA::Std::user('h', 'k') }

# keepalive connections, one per worker
sub conns {
    my %c;
    for (1 .. 200) {
        my $r = $t->http(path => '/pid', keepalive => 1);
        next unless $r->{status} == 200 && $r->{conn};
        $c{ $r->{body} } //= $r->{conn};
        last if keys(%c) >= 2;
    }
    return %c;
}

# a request paused in one worker, approved on the other: resumed quickly
sub cross_rounds {
    my ($what, $rounds) = @_;
    my %conn = conns();
    is(scalar keys %conn, 2, "$what: keepalive connections on both workers") or return;
    my ($pa, $pb) = sort { $a <=> $b } keys %conn;
    for my $round (1 .. $rounds) {
        my ($hold, $dec) = $round % 2 ? ($pa, $pb) : ($pb, $pa);
        my $h = $t->http_start(conn => $conn{$hold}, keepalive => 1,
            path => "/admin/r$round.txt?u=" . user());
        my $push = next_push($t);
        ok($push && still_held($h, 0), "$what $round: paused on $hold");
        my $d = $t->http(conn => $conn{$dec}, keepalive => 1, decision_req($push, 'approve'));
        my $t1 = time;
        my $res = $t->http_wait($h, 5);
        my $lat = time - $t1;
        is($d->{status}, 200, "$what $round: approved on $dec");
        is($res->{status}, 200, "$what $round: resumed");
        cmp_ok($lat, '<', 0.2, sprintf("$what $round: %.0f ms after the decision", $lat * 1000));
        ok($t->wait_log('access.log', qr{^$hold 200 GET /admin/r$round\.txt st=approved }, 5),
            "$what $round: served by the pausing worker");
        $conn{$hold} = $res->{conn};
        $conn{$dec} = $d->{conn};
        last unless $conn{$hold} && $conn{$dec};
    }
    close $_ for grep { $_ } values %conn;
}

# --- start with the old names taken -----------------------------------------------

ok(eval { $t->start($conf); 1 }, 'nginx starts with 2 workers') or do {
    diag($@);
    done_testing;
    exit;
};
my @w = $t->worker_pids;
is(scalar @w, 2, 'two workers run');
is(scalar(grep { $squat{$_} } @w), 2, "the workers' old names were taken (@w)");
is($t->http(path => '/pid')->{status}, 200, 'served');
cross_rounds('start', 4);

my @names = wake_names(@w);
is(scalar @names, 2, 'two wake-up sockets bound');
is(scalar(grep { /^[0-9a-f]{32}$/ } @names), 2, 'named by 128 random bits, not by pid');

# --- anyone may send to those names: a hint to re-read, nothing more -------------

{
    my $h = $t->http_start(path => '/admin/r7.txt?u=' . user());
    my $push = next_push($t);
    my $id = pack 'H*', $push->{json}{id} =~ /^[0-9a-f]{32}$/ ? $push->{json}{id} : '';
    socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!";
    my $sent = 0;
    for my $n (@names) {
        my $to = pack_sockaddr_un("\0ngx_push_approval/$n");
        for my $d ('', 'x', 'y' x 15, 'z' x 17, "\0" x 16, $id, 'A' x 65000,
            map { pack 'C*', map { int rand 256 } 1 .. 16 } 1 .. 200)
        {
            $sent++ if defined send($s, $d, 0, $to);
        }
    }
    cmp_ok($sent, '>', 400, "hostile datagrams sent ($sent)");
    ok(still_held($h, 0.3), 'the paused request stays paused');
    is(scalar $t->worker_pids, 2, 'both workers still run');
    my $d = $t->http(decision_req($push, 'approve'));
    is($t->http_wait($h, 5)->{status}, 200, 'approved afterwards: resumed');
}

# --- reload with the old names of the next pids taken -----------------------------

cmp_ok(squat_next(3000), '>=', 2500, 'the old names of the next 3000 pids taken again');
my %old = map { $_ => 1 } @w;
ok(eval { $t->reload; 1 }, 'reload') or diag($@);
@w = $t->worker_pids;
is(scalar(grep { !$old{$_} } @w), 2, 'two new workers run');
is(scalar(grep { $squat{$_} } @w), 2, "the new workers' old names were taken (@w)");
cross_rounds('reload', 4);

close $_ for values %squat;

$t->done;
done_testing;
