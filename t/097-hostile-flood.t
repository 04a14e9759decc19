#!/usr/bin/perl

# A flood against a tiny zone (docs/threat-model.md, Bombing): 500
# requests for 500 users against a 32 KB zone get 401 or 503 unavailable
# (fail closed), never a pass; an approved user keeps passing; the zone
# recovers; a slower stream of new users does not fill it either.

# Each scenario has users of its own, so per-user prompt limits and
# lockouts never interfere; when the build knows those directives they are
# loosened anyway.  The nginx and the helpers: t/lib/PA/Hostile.pm.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std qw(json_of reason_of push_for);
use PA::Hostile qw(:all);
use Test::More;
use Time::HiRes qw(time sleep);

my $t = PA::Hostile::start();

{
    # a user approved before the flood keeps passing during it
    my ($res, $j, $push) = two_step($t, '/flood/?u=vip', 'vip');
    is($res->{status}, 401, 'flood: vip challenged');
    my $vip = $push ? two_step_cookie($t, $j, $push) : undef;
    ok($vip, 'flood: vip has a cookie');
    $t->clear_pushes;

    my $pushes0 = $t->push_count;
    my (%st, %rs, @pass);
    my @handles;
    my $n = 0;
    for my $batch (1 .. 10) {
        for (1 .. 50) {
            $n++;
            my $hold = $n % 5 == 0;
            push @handles, [$t->http_start(
                path => ($hold ? '/floodhold/' : '/flood/') . "?u=fl$n",
                headers => [$JS], timeout => 15), $hold];
        }
        # while the zone is full, the approved user passes
        my $v = $t->http(path => '/flood/?u=vip', headers => [$JS, $vip // 'X: y']);
        push @pass, $v->{status};
    }
    my @res = $t->http_wait_all([map { $_->[0] } @handles], 15);
    for my $i (0 .. $#res) {
        my $r = $res[$i];
        $st{ $r->{status} }++;
        $rs{ reason_of($r) }++;
    }
    diag('flood statuses: ' . join(' ', map { "$_=$st{$_}" } sort keys %st)
        . '; reasons: ' . join(' ', map { "$_=$rs{$_}" } sort keys %rs));
    is(scalar(@res), 500, 'flood: 500 answers');
    ok(!$st{200}, 'flood: no request passed');
    ok(!$st{0}, 'flood: no connection hung or was dropped');
    ok(!grep({ $_ >= 500 && $_ != 503 } keys %st), 'flood: no 5xx but 503');
    ok(($st{503} // 0) > 0, 'flood: the zone filled: 503');
    is($rs{unavailable} // 0, $st{503} // 0, 'flood: every 503 is unavailable');
    ok(($st{401} // 0) > 0, 'flood: challenges were made until then');
    my @other = grep { !/^(?:401|403|503)$/ } keys %st;
    ok(!@other, 'flood: only 401, 403 (held, timed out) and 503') or diag("@other");
    is(scalar(grep { $_ != 200 } @pass), 0, 'flood: vip passed throughout')
        or diag("vip: @pass");
    my $made = ($st{401} // 0) + ($st{403} // 0);
    $t->wait_for(sub { $t->push_count - $pushes0 >= $made }, 5, 'the pushes of the flood');
    is($t->push_count - $pushes0, $made, 'flood: one push per challenge, none for a 503');

    # the zone empties once the flood's challenges are over (wait 2s, kept
    # one more wait for 410 answers)
    my $after;
    my $k = 0;
    $t->wait_for(sub {
        $k++;
        my $r = $t->http(path => "/flood/?u=after$k", headers => [$JS]);
        unless ($r->{status} == 401) {
            sleep 0.2;
            return 0;
        }
        $after = [$r, "after$k"];
        return 1;
    }, 15, 'the zone to take a challenge again');
    if ($after) {
        my ($r, $u) = @$after;
        my $p = push_for($t, $u);
        my $c = $p ? two_step_cookie($t, json_of($r), $p) : undef;
        ok($c, 'flood: after it, a new user is approved normally');
        my $ok = $t->http(path => "/flood/?u=$u", headers => [$c // 'X: y']);
        is($ok->{status}, 200, 'flood: and passes with the cookie');
    }
    my $m = $t->metrics('/_pa/metrics') || {};
    ok(defined $m->{'push_approval_pending{zone="tiny"}'}, 'flood: metrics still answer');
    $t->clear_pushes;
}

# a stream of new users, each asking once, slower than the flood: their
# challenges end and leave the zone, and what stays of them (the per-user
# records of the limits) must not fill it either: afterwards, another user
# is still challenged, not refused with 503
{
    # (until the zone has taken no challenge for longer than a challenge
    # lives, 2 s, or for 8 s)
    my (%st, $n);
    my $end = time + 8;
    my $last401 = time;
    while (time < $end && time - $last401 < 2.5) {
        $n++;
        my $r = $t->http(path => "/stream/?u=st$n", headers => [$JS]);
        $st{ $r->{status} }++;
        $last401 = time if $r->{status} == 401;
        sleep 0.04;
    }
    diag("stream of $n users: " . join(' ', map { "$_=$st{$_}" } sort keys %st));
    ok(!$st{200}, 'stream: no request passed');
    ok(!grep({ $_ != 401 && $_ != 503 } keys %st), 'stream: only 401 and 503');
    sleep 2.2;    # the last challenges end (wait 1s) and leave (one more wait)
    $t->clear_pushes;
    my $m = $t->metrics('/_pa/metrics') || {};
    is($m->{'push_approval_pending{zone="tiny2"}'}, 0, 'stream: nothing pending any more');
    my $r = $t->http(path => '/stream/?u=streamafter', headers => [$JS]);
    is($r->{status}, 401, 'stream: afterwards another user is challenged (the zone is not full)')
        or diag("$r->{status} $r->{body}; zone bytes used: "
            . ($m->{'push_approval_zone_bytes_used{zone="tiny2"}'} // '?'));
    $t->wait_push(5) if $r->{status} == 401;    # its push, before the next part
    $t->clear_pushes;
}

errlog_lines_clean($t, 'end');
$t->done;
done_testing;
