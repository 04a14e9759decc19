#!/usr/bin/perl

# No leak: 200 hold-mode challenge cycles (approve, deny, report, timeout,
# and a client that goes away), run in concurrent batches; once their
# retention (one more wait) and the approvals' TTL are over, the zone's
# pending count and bytes used are back at their starting values, and the
# challenge counters moved by exactly what was done.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std qw(json_of);
use Test::More;
use Time::HiRes qw(time);

my $t = PA::Test->new(workers => 2);
$t->write_file('html/admin/index.html', "admin\n");

# wait 2s: expiry is kept in whole seconds, so the effective wait is 1-2 s
$t->start(PA::Std::conf(http => $PA::Std::LOOSE, locations => <<'EOF'));
        location /admin/ {
            %%STD%% push_approval_approver ops;
            push_approval_wait 2s;
            push_approval_ttl 2s;
        }
EOF

my $Z = '{zone="pa"}';

sub m_get {
    my $m = $t->metrics('/_pa/metrics') || {};
    return $m;
}

sub total {
    my ($m, $result) = @_;
    return $m->{"push_approval_challenges_total{zone=\"pa\",result=\"$result\"}"} // 0;
}

my $m0 = m_get();
my $pending0 = $m0->{"push_approval_pending$Z"};
my $bytes0 = $m0->{"push_approval_zone_bytes_used$Z"};
ok(defined $pending0, "start: push_approval_pending = " . ($pending0 // 'undef'));
ok(defined $bytes0 && $bytes0 > 0, "start: push_approval_zone_bytes_used = " . ($bytes0 // 'undef'));

my @pids0 = sort { $a <=> $b } $t->worker_pids;

my @kinds = qw(approve deny report timeout abort);
my %want_status = (approve => 200, deny => 403, report => 403, timeout => 403);
my %want_reason = (deny => 'denied', report => 'reported', timeout => 'timeout');
my %done = map { $_ => 0 } @kinds;
my @bad;
my $n = 0;
my $batch_size = 40;
my $t_start = time;

for my $batch (1 .. 200 / $batch_size) {
    my (%kind_of, %h_of);
    for (1 .. $batch_size) {
        my $i = $n++;
        my $user = "leak$i";
        $kind_of{$user} = $kinds[$i % @kinds];
        $h_of{$user} = $t->http_start(path => "/admin/?u=$user",
            headers => ["User-Agent: leak/$i", 'Accept: application/json'], timeout => 8);
    }

    my %push_of;
    for (1 .. $batch_size) {
        my $p = $t->wait_push(5) or last;
        $push_of{ $p->{json}{user} } = $p;
    }
    is(scalar keys %push_of, $batch_size, "batch $batch: $batch_size pushes");

    # clients that go away while paused
    $t->http_abort($h_of{$_}) for grep { $kind_of{$_} eq 'abort' } keys %h_of;

    # decide once every challenge to decide is pending (listed by the console)
    my @to_decide = grep { $kind_of{$_} =~ /^(approve|deny|report)$/ && $push_of{$_} } keys %kind_of;
    $t->wait_for(sub {
        my $c = $t->http(path => '/_pa/console/?who=ops', headers => ['Accept: application/json'])->{body};
        !grep { index($c, $push_of{$_}{json}{id}) < 0 } @to_decide;
    }, 5, "batch $batch: challenges pending");
    for my $user (@to_decide) {
        my $d = $t->http(method => 'POST', path => PA::Std::approve_path($push_of{$user}),
            headers => ['Accept: application/json',
                'Content-Type: application/x-www-form-urlencoded'],
            body => "decision=$kind_of{$user}");
        push @bad, "$user: decision $kind_of{$user} answered $d->{status}" unless $d->{status} == 200;
    }

    my @users = grep { $kind_of{$_} ne 'abort' } sort keys %h_of;
    my @res = $t->http_wait_all([ map { $h_of{$_} } @users ], 8);
    for my $k (0 .. $#users) {
        my ($user, $r) = ($users[$k], $res[$k]);
        my $kind = $kind_of{$user};
        my $ok = $r->{status} == $want_status{$kind}
            && (!$want_reason{$kind} || (json_of($r)->{reason} // '') eq $want_reason{$kind});
        push @bad, "$user ($kind): $r->{status} " . ($r->{error} // '') . " $r->{body}" unless $ok;
    }
    $done{$_}++ for values %kind_of;
}

is($n, 200, '200 challenge cycles');
ok(!@bad, 'every cycle ended as decided') or diag(join "\n", @bad[0 .. ($#bad > 9 ? 9 : $#bad)]);
diag(sprintf('cycles took %.1f s', time - $t_start));

# counters
my $m1 = m_get();
is(total($m1, 'created') - total($m0, 'created'), 200, 'challenges_total created +200');
is(total($m1, 'approved') - total($m0, 'approved'), $done{approve}, "approved +$done{approve}");
is(total($m1, 'denied') - total($m0, 'denied'), $done{deny}, "denied +$done{deny}");
is(total($m1, 'reported') - total($m0, 'reported'), $done{report}, "reported +$done{report}");

# timeouts are counted once the zone notices them (at once for a paused
# request; for abandoned challenges by housekeeping at the latest)
my $tmo = $done{timeout} + $done{abort};
$t->wait_for(sub { total(m_get(), 'timeout') - total($m0, 'timeout') >= $tmo }, 5,
    'timeout counter');
my $m2 = m_get();
is(total($m2, 'timeout') - total($m0, 'timeout'), $tmo, "timeout +$tmo (timeouts and abandoned)");
is(total($m2, 'push_failed') - total($m0, 'push_failed'), 0, 'no push_failed');
is(total($m2, 'code_mismatch') - total($m0, 'code_mismatch'), 0, 'no code_mismatch');

# the zone holds the retained challenges and grants for a while
cmp_ok($m1->{"push_approval_zone_bytes_used$Z"} // 0, '>', $bytes0,
    'right after the cycles the zone holds more than at the start (the metric measures)');

# ... and gives everything back once retention and the TTL are over
my $last;
my $back = $t->wait_for(sub {
    $last = m_get();
    ($last->{"push_approval_pending$Z"} // -1) == $pending0
        && ($last->{"push_approval_zone_bytes_used$Z"} // -1) == $bytes0;
}, 10, 'zone back at its start');
ok($back, 'pending and bytes used back at their start values')
    or diag("pending $pending0 -> " . ($last->{"push_approval_pending$Z"} // 'undef')
        . ", bytes $bytes0 -> " . ($last->{"push_approval_zone_bytes_used$Z"} // 'undef'));
is($last->{"push_approval_pending$Z"}, $pending0, 'push_approval_pending at its start value');
is($last->{"push_approval_zone_bytes_used$Z"}, $bytes0, 'push_approval_zone_bytes_used at its start value');

ok($t->wait_log('access.log', qr/ 499 GET \/admin\/ /, 5), 'aborted clients logged 499');

# the worker pids never changed (no crash)
is(join(' ', sort { $a <=> $b } $t->worker_pids), join(' ', @pids0), 'the same two workers still run');
$t->done;
done_testing;
