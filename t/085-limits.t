#!/usr/bin/perl

# Prompt limits, lockouts and four-eyes separation (docs/directives.md:
# push_approval_prompt_limit, push_approval_lockout, push_approval_separate;
# docs/threat-model.md: Bombing, Insider self-approval), through real nginx
# with two workers.  Requests are sent over keepalive connections known to
# belong to each worker, alternating, so every count is shown to hold
# across workers (the counts live in the shared zone).
#
#   - the default prompt limit (5 per 10m): the 6th creating request is 429
#     `limited` with Retry-After, and makes no push; another user and a
#     valid cookie are not limited;
#   - a configured limit (2 3s): the third is 429; once the oldest challenge
#     leaves the window a new one is made, and the limit bites again;
#   - joined requests make no challenge and count nothing, and at the
#     limit a request still joins a pending challenge; page and two-step
#     requests count;
#   - lockout (3 3s): three failures lock the user out of new and joining
#     requests (429 `locked`, Retry-After <= PERIOD); a challenge made
#     before the lock and denied after it counts, and the lock ends PERIOD
#     after that last failure; one report locks at once; the third wrong
#     code is a failure; neither approvals nor new challenges reset the
#     count; timeouts are not failures; a still-valid cookie passes while
#     locked, and a cross-site request is refused as cross-site first;
#   - separate on: no approver identity -> 403 approver_identity_required,
#     the requester's own identity -> 403 self_approval, the challenge still
#     decidable (refusals are no failures); another identity approves;
#     separate off needs no identity and allows the requester's own;
#   - windows and locks are measured in real time, not in whole seconds:
#     the events that start them are timed late in a second (.7), so that
#     whole-second timestamps would end them about 0.7 s early;
#   - a place with a longer lockout than the place of the failures keeps
#     the user locked for its own period (the user's record is not dropped
#     while any place's period still needs it);
#   - nginx -t: bad counts, bad periods, duplicates, separate's values;
#   - counts and locks survive a reload (same zone).

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std qw(decision_req json_of still_held);
use Test::More;
use Time::HiRes qw(time);

my $t = PA::Test->new(workers => 2);

my @LOCS = qw(dflt lim2 join mix lock lockh lockq lockl tmo tmo2 sep nosep rl rlk);
$t->write_file("html/$_/index.html", "$_ page\n") for @LOCS;

# a zone of its own for the place-to-place lockout case, so that no other
# user's entry decides what a sweep of the zone reaches
my $conf = PA::Std::conf(http => 'push_approval_zone zone=xl:1m;', locations => <<'EOF');
        location = /pid { return 200 $pid; }
        location /_pa/approveid/ {
            push_approval_endpoint approve identity=$http_x_approver;
        }

        # defaults: prompt_limit 5 10m, lockout 3 15m (two-step: self-approval)
        location /dflt/ { %%STD%% }
        location /lim2/ { %%STD%% push_approval_prompt_limit 2 3s; }
        location /join/ {
            %%STD%% push_approval_approver ops;
            push_approval_prompt_limit 2 1m;
        }
        location /mix/ { %%STD%% push_approval_prompt_limit 2 1m; }
        location /lock/ {
            %%STD%% push_approval_prompt_limit 64 1m;
            push_approval_lockout 3 3s;
        }
        location /lockh/ {
            %%STD%% push_approval_approver ops;
            push_approval_prompt_limit 64 1m; push_approval_lockout 3 3s;
        }
        # the same user's failures at a place with a short lockout, checked
        # at a place with a long one
        location /lockq/ {
            %%XL%% push_approval_prompt_limit 64 1s; push_approval_lockout 3 1s;
        }
        location /lockl/ {
            %%XL%% push_approval_prompt_limit 64 1s; push_approval_lockout 3 1m;
        }
        location /tmo/ { %%STD%% push_approval_approver ops; push_approval_wait 1s; }
        location /tmo2/ { %%STD%% push_approval_wait 1s; }
        location /sep/ {
            %%STD%% push_approval_approver ops; push_approval_separate on;
        }
        location /nosep/ { %%STD%% push_approval_approver ops; }
        location /rl/ { %%STD%% push_approval_prompt_limit 2 1m; }
        location /rlk/ { %%STD%% push_approval_lockout 1 1m; }
EOF
$conf =~ s{%%XL%%}{push_approval zone=xl; push_approval_user \$arg_u; push_approval_notify /_pa/notify;}g;

$t->start($conf);

my $JS = 'Accept: application/json';
my $HTML = 'Accept: text/html';
my $uan = 0;
my $rr = 0;    # alternates the workers while polling

# a user of its own for each scenario
sub user { PA::Std::user('l', 'm' . $$) }

# a User-Agent of its own, so that hold-mode requests join only on purpose
sub ua { 'User-Agent: limits-test/' . ++$uan }

# --- one keepalive connection per worker ---------------------------------------------

my (@wpids, %pool);

sub find_workers {
    close $_ for grep { $_ } values %pool;
    %pool = ();
    @wpids = sort { $a <=> $b } $t->worker_pids;
    for (1 .. 200) {
        my $r = $t->http(path => '/pid', keepalive => 1);
        next unless $r->{status} == 200 && $r->{conn};
        if ($pool{ $r->{body} }) {
            close $r->{conn};
        } else {
            $pool{ $r->{body} } = $r->{conn};
        }
        last if keys(%pool) >= 2;
    }
    return scalar keys %pool;
}

# a keepalive connection to worker $pid
sub conn_to {
    my ($pid) = @_;
    my $c = delete $pool{$pid};
    return $c if $c;
    for (1 .. 200) {
        my $r = $t->http(path => '/pid', keepalive => 1);
        next unless $r->{status} == 200 && $r->{conn};
        return $r->{conn} if $r->{body} eq $pid;
        close $r->{conn};
    }
    die "no connection to worker $pid\n";
}

# $res = on($i, %http): the request on worker $i % 2
sub on {
    my ($i, %a) = @_;
    my $pid = $wpids[$i % 2];
    my $res = $t->http(%a, conn => conn_to($pid), keepalive => 1);
    $pool{$pid} = $res->{conn} if $res->{conn};
    return $res;
}

is(find_workers(), 2, 'keepalive connections to both workers')
    or BAIL_OUT('cannot reach both workers');

# --- pushes, found by what they are for ---------------------------------------------

my @stash;

# the first push (taken or queued) for which $match->($json) is true
sub push_where {
    my ($match, $timeout) = @_;
    for my $i (0 .. $#stash) {
        return splice(@stash, $i, 1) if $match->($stash[$i]{json} || {});
    }
    my $deadline = time + ($timeout // 5);
    while ((my $left = $deadline - time) > 0) {
        my $p = $t->wait_push($left) or last;
        return $p if $match->($p->{json} || {});
        push @stash, $p;
    }
    return undef;
}

sub push_for_id {
    my ($id) = @_;
    return undef unless defined $id;
    return push_where(sub { ($_[0]{id} // '') eq $id });
}

sub push_for_user {
    my ($user, $timeout) = @_;
    return push_where(sub { ($_[0]{user} // '') eq $user }, $timeout);
}

# no push queued for $user, after waiting $timeout
sub no_push_for {
    my ($user, $timeout) = @_;
    return !push_where(sub { ($_[0]{user} // '') eq $user }, $timeout // 0.3);
}

# --- requests, decisions, answers ------------------------------------------------------

# a two-step (self-approval) challenge on worker $i: ($res, $json, $push)
sub two_step {
    my ($i, $path) = @_;
    my $res = on($i, path => $path, headers => [$JS]);
    my $j = json_of($res);
    my $push = $res->{status} == 401 ? push_for_id($j->{approval_id}) : undef;
    return ($res, $j, $push);
}

sub decide {
    my ($push, $decision, %o) = @_;
    my $path = PA::Std::approve_path($push) // '/_pa/approve/none';
    $path =~ s{^/_pa/approve/}{$o{prefix}} if $o{prefix};
    my @h = defined $o{identity} ? ("X-Approver: $o{identity}") : ();
    my %a = decision_req($push, $decision, path => $path, code => $o{code},
        headers => \@h);
    return defined $o{worker} ? on($o{worker}, %a) : $t->http(%a);
}

sub decided_ok {
    my ($dec, $status, $what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    return is($dec->{status} . ' ' . (json_of($dec)->{status} // ''), "200 $status", $what)
        || diag($dec->{raw});
}

sub problem_ok {
    my ($res, $status, $reason, $what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $j = json_of($res);
    my $ok = is($res->{status} . ' ' . ($j->{reason} // ''), "$status $reason",
        "$what: $status $reason");
    like($t->hdr($res, 'content-type') // '', qr{^application/problem\+json},
        "$what: problem+json");
    diag($res->{raw}) unless $ok;
    return $j;
}

# a 429: reason, problem+json, no approval id, Retry-After 1..$max; returns it
sub too_many {
    my ($res, $reason, $max, $what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $j = problem_ok($res, 429, $reason, $what);
    is($j->{status}, 429, "$what: status field 429");
    ok(!exists $j->{approval_id}, "$what: no approval_id (no challenge)");
    my $ra = $t->hdr($res, 'retry-after') // '';
    ok($ra =~ /^\d+$/ && $ra >= 1 && $ra <= $max, "$what: Retry-After 1..$max")
        or diag("Retry-After: '$ra'");
    return $ra =~ /^\d+$/ ? $ra : undef;
}

# the approval cookie of a two-step challenge: approve with the code, then
# redeem the pending secret at the wait endpoint
sub cookie_via_wait {
    my ($j, $push) = @_;
    decided_ok(decide($push, 'approve', code => $j->{code}), 'approved', 'approve with the code');
    my $w = $t->http(path => $j->{wait},
        headers => [$JS, "Push-Approval-Pending: $j->{pending}"]);
    is($w->{status}, 200, 'wait: approved');
    my $c = $t->cookies($w);
    my ($name) = grep { /^pa_[0-9a-f]{8}$/ } keys %$c;
    return $name ? "Cookie: $name=$c->{$name}" : undef;
}

# a digit string of the same length that is not $code
sub wrong_code {
    my ($code) = @_;
    (my $w = $code // '000000') =~ s/^(\d)/($1 + 1) % 10/e;
    return $w;
}

# waits until the wall clock is $lo..$lo+0.1 into a second (the module
# counts time from nginx's clock; a window opened late in a second shows
# whether it is measured to the second or in real time)
sub late_in_second {
    my ($lo) = @_;
    $t->wait_for(sub { my $f = time - int(time); $f >= $lo && $f < $lo + 0.25 },
        4, "$lo s into a second");
}

# polls $req->() at most every $every seconds until $done->($res): the
# response and its time, or () after $timeout
sub poll_until {
    my ($req, $done, $timeout, $every, $what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my ($last, $res, $at) = (0);
    $t->wait_for(sub {
        return 0 if time - $last < $every;
        $last = time;
        $res = $req->();
        $at = time;
        return $done->($res);
    }, $timeout, $what) or return;
    return ($res, $at);
}

# the access-log line of a request served by worker $pid
sub served_by {
    my ($pid, $status, $uri, $st) = @_;
    return $t->wait_log('access.log', qr{^$pid $status GET \Q$uri\E\S* st=$st }, 5);
}

# ===========================================================================
# the default prompt limit: 5 challenges per 10 minutes
# ===========================================================================

{
    my $u = user();
    my ($cookie, @ids);
    for my $n (1 .. 5) {
        my ($res, $j, $push) = two_step($n, "/dflt/?u=$u");
        is($res->{status}, 401, "default limit: challenge $n made (worker " . $n % 2 . ')');
        ok($push, "default limit: challenge $n pushed");
        push @ids, $j->{approval_id};
        $cookie = cookie_via_wait($j, $push) if $n == 1;
    }
    ok($cookie, 'default limit: a cookie from the first challenge');
    my %seen = map { $_ => 1 } grep { defined } @ids;
    is(scalar(keys %seen), 5, 'five distinct challenges (one of them approved)');

    for my $w (0, 1) {
        my $res = on($w, path => "/dflt/?u=$u", headers => [$JS]);
        my $ra = too_many($res, 'limited', 600, "default limit: 6th request on worker $w");
        cmp_ok($ra // 0, '>=', 590, "worker $w: Retry-After is when the oldest leaves the 10m window")
            if defined $ra;
        ok(served_by($wpids[$w], 429, '/dflt/', 'limited'), "worker $w: logged st=limited");
    }
    ok(no_push_for($u), 'default limit: no push for a limited request');

    # a page request is limited too (a browser gets the 429 as well)
    my $pg = on(0, path => "/dflt/?u=$u", headers => [$HTML]);
    is($pg->{status}, 429, 'default limit: page request 429');
    like($t->hdr($pg, 'retry-after') // '', qr/^\d+$/, 'page request: Retry-After');
    ok(no_push_for($u, 0.1), 'page request: no push');

    # the user's valid cookie is never limited
    my $ok = on(1, path => "/dflt/?u=$u", headers => [$JS, $cookie // 'X-No: cookie']);
    is($ok->{status} . ' ' . $ok->{body}, "200 dflt page\n", 'limited user with a valid cookie: 200');
    ok(no_push_for($u, 0.1), 'cookie: no push');

    # another user is not affected
    my $v = user();
    my ($res, $j, $push) = two_step(1, "/dflt/?u=$v");
    is($res->{status}, 401, 'another user: challenge made');
    ok($push && $push->{json}{user} eq $v, 'another user: pushed');
}

# ===========================================================================
# a configured limit, 2 per 3s: the window slides
# ===========================================================================

{
    my $u = user();
    late_in_second(0.7);
    my $t0 = time;
    my @r = map { [two_step($_, "/lim2/?u=$u")] } 0, 1;
    is(join(' ', map { $_->[0]{status} } @r), '401 401', 'limit 2 3s: two challenges');
    my $third = on(0, path => "/lim2/?u=$u", headers => [$JS]);
    my $ra = too_many($third, 'limited', 3, 'limit 2 3s: third');
    my $t429 = time;
    ok(no_push_for($u, 0.1), 'limit 2 3s: no push for the third');

    my ($res, $at) = poll_until(sub { on($rr++, path => "/lim2/?u=$u", headers => [$JS]) },
        sub { $_[0]{status} != 429 }, 6, 0.2, 'the window to pass');
    is($res && $res->{status}, 401, 'after the window: a new challenge');
    ok($res && push_for_id(json_of($res)->{approval_id}), 'after the window: pushed');
    # "at most N in any PERIOD": the first challenge leaves the window 3 s
    # after it was made, not 3 s after the start of its second
    cmp_ok($at // 0, '>=', int($t0) + 3 - 0.05, 'not before the second the oldest challenge leaves');
    cmp_ok($at // 0, '>=', $t0 + 3,
        sprintf('the window is 3 s of real time: a new challenge %.2f s after the first', ($at // 0) - $t0));
    cmp_ok($at // 99, '<=', $t429 + ($ra // 3) + 0.8, 'not much later than Retry-After said');

    # and the limit holds in the new window: a 429 within two more requests
    my @st;
    for my $i (1 .. 2) {
        my $x = on($i, path => "/lim2/?u=$u", headers => [$JS]);
        push @st, $x->{status};
        push_for_id(json_of($x)->{approval_id}) if $x->{status} == 401;
        last if $x->{status} == 429;
    }
    is($st[-1], 429, "the limit bites again in the new window (@st)");
}

# ===========================================================================
# joined requests make no challenge: 10 concurrent requests, limit 2
# ===========================================================================

{
    my $u = user();
    my $ua = ua();
    my @hs = map { $t->http_start(path => "/join/?u=$u", headers => [$ua, $JS]) } 1 .. 10;
    my $push = push_for_user($u);
    ok($push, 'join: a push');
    ok(no_push_for($u, 1.0), 'join: ten concurrent requests, one push');
    decided_ok(decide($push, 'approve'), 'approved', 'join: approved');
    my @res = $t->http_wait_all(\@hs, 5);
    is(join(' ', map { $_->{status} } @res), join(' ', (200) x 10), 'join: all ten resumed');

    # one challenge counted, not ten: one more may be made, then 429
    my $ua2 = ua();
    my $h = $t->http_start(path => "/join/?u=$u", headers => [$ua2, $JS]);
    my $p2 = push_for_user($u);
    ok($p2, 'join: a second challenge is allowed (the ten counted once)');
    # at the limit, a request that joins the pending challenge is not limited
    my $hj = $t->http_start(path => "/join/?u=$u", headers => [$ua2, $JS]);
    my $res = on(1, path => "/join/?u=$u", headers => [ua(), $JS]);
    too_many($res, 'limited', 60, 'join: the third challenge');
    ok(no_push_for($u, 0.3), 'join: no push for the joining or the limited request');
    ok(still_held($hj, 0), 'join: at the limit, a joining request is held, not limited');
    decided_ok(decide($p2, 'approve'), 'approved', 'join: second approved');
    is(join(' ', map { $_->{status} } $t->http_wait_all([$h, $hj], 5)), '200 200',
        'join: the second and its joiner resumed');
    $res = on(0, path => "/join/?u=$u", headers => [$ua, $JS]);
    too_many($res, 'limited', 60, 'join: same agent again, nothing pending to join');
    ok(no_push_for($u, 0.1), 'join: no push when limited');
}

# ===========================================================================
# page and two-step challenges count alike
# ===========================================================================

{
    my $u = user();
    my $pg = on(0, path => "/mix/?u=$u", headers => [$HTML]);
    is($pg->{status}, 202, 'mix: a page challenge');
    ok(push_for_user($u), 'mix: page pushed');
    my ($res) = two_step(1, "/mix/?u=$u");
    is($res->{status}, 401, 'mix: a two-step challenge');
    $res = on(0, path => "/mix/?u=$u", headers => [$JS]);
    too_many($res, 'limited', 60, 'mix: two-step after page + two-step');
    $pg = on(1, path => "/mix/?u=$u", headers => [$HTML]);
    is($pg->{status}, 429, 'mix: page after page + two-step: 429');
    my $ra = $t->hdr($pg, 'retry-after') // '';
    ok($ra =~ /^\d+$/ && $ra >= 1 && $ra <= 60, 'mix: page 429 has Retry-After') or diag($ra);
    ok(no_push_for($u, 0.2), 'mix: no push for the limited ones');
}

# ===========================================================================
# failures at a place with lockout 3 1s lock the user at a place with
# lockout 3 1m for a minute (checked again after the timeouts below)
# ===========================================================================

my ($xl_user, $xl_t);
{
    my $u = $xl_user = user();
    for my $n (1 .. 3) {
        my ($res, $j, $push) = two_step($n, "/lockq/?u=$u");
        decided_ok(decide($push, 'deny'), 'denied', "long lockout elsewhere: deny $n");
    }
    $xl_t = time;
    too_many(on(0, path => "/lockl/?u=$u", headers => [$JS]), 'locked', 60,
        'long lockout elsewhere: locked at the place with lockout 3 1m');
}

# ===========================================================================
# one report locks the user out at once (lockout 3 3s)
# ===========================================================================

my ($report_user, $report_t0, $report_t1);
{
    my $u = $report_user = user();
    my ($res, $j, $push) = two_step(0, "/lock/?u=$u");
    is($res->{status}, 401, 'report: a challenge');
    late_in_second(0.7);
    $report_t0 = time;
    decided_ok(decide($push, 'report', worker => 1), 'reported', 'report: reported');
    $report_t1 = time;
    $res = on(0, path => "/lock/?u=$u", headers => [$JS]);
    too_many($res, 'locked', 3, 'report: next request');
    ok(served_by($wpids[0], 429, '/lock/', 'locked'), 'report: logged st=locked');
    $res = on(1, path => "/lockh/?u=$u", headers => [ua(), $JS]);
    too_many($res, 'locked', 3, 'report: another place, other worker (the user is locked)');
    ok(no_push_for($u, 0.2), 'report: no push while locked');

    my $v = user();
    ($res) = two_step(0, "/lock/?u=$v");
    is($res->{status}, 401, 'report: another user is not locked');
}

# the report lock ends 3 s after the report
{
    my $u = $report_user;
    my ($ok, $at) = poll_until(sub { on($rr++, path => "/lock/?u=$u", headers => [$JS]) },
        sub { $_[0]{status} != 429 }, 6, 0.1, 'the report lock to end');
    is($ok && $ok->{status}, 401, 'report: lock over, a new challenge');
    cmp_ok($at // 0, '>=', int($report_t0) + 3 - 0.05, 'report: locked until the second PERIOD after it');
    cmp_ok($at // 0, '>=', $report_t0 + 3,
        sprintf('report: locked for 3 s of real time (unlocked %.2f s after the report)',
            ($at // 0) - $report_t0));
    cmp_ok($at // 99, '<=', $report_t1 + 3 + 0.6, 'report: and not much longer');
    push_for_id(json_of($ok)->{approval_id}) if $ok;
}

# the user of the failures at /lockq/ is still locked at /lockl/ (1m) after
# /lockq/'s own period has passed and the zone was swept (the metrics
# endpoint expires old entries)
{
    my $u = $xl_user;
    $t->wait_for(sub { time > $xl_t + 2.2 }, 5, "/lockq/'s period to pass");
    ok($t->metrics('/_pa/metrics'), 'metrics (sweeps the zone)');
    my $res = on(1, path => "/lockl/?u=$u", headers => [$JS]);
    my $ra = $t->hdr($res, 'retry-after') // '';
    is($res->{status} . ' ' . (json_of($res)->{reason} // ''), '429 locked',
        'long lockout elsewhere: still locked 2 s later, after a sweep')
        or diag($res->{raw});
    ok($ra =~ /^\d+$/ && $ra >= 50 && $ra <= 60,
        "long lockout elsewhere: Retry-After counts down from 60 ($ra)");
    push_for_id(json_of($res)->{approval_id}) if $res->{status} == 401;
}

# ===========================================================================
# the third wrong code is a failure: two such challenges and a deny lock
# ===========================================================================

{
    my $u = user();
    for my $n (1, 2) {
        my ($res, $j, $push) = two_step($n, "/lock/?u=$u");
        is($res->{status}, 401, "wrong codes: challenge $n");
        my $bad = wrong_code($j->{code});
        my @st = map { decide($push, 'approve', code => $bad, worker => $_)->{status} } 1 .. 3;
        is("@st", '403 403 403', "wrong codes: challenge $n, three wrong codes");
        my $late = decide($push, 'approve', code => $j->{code});
        is($late->{status}, 410, "wrong codes: challenge $n is over (denied)");
    }
    my ($res, $j, $push) = two_step(0, "/lock/?u=$u");
    is($res->{status}, 401, 'wrong codes: two failures do not lock');
    decided_ok(decide($push, 'deny'), 'denied', 'wrong codes: a deny');
    $res = on(1, path => "/lock/?u=$u", headers => [$JS]);
    too_many($res, 'locked', 3, 'wrong codes: 2 x third wrong code + deny');
}

# ===========================================================================
# neither approvals nor new challenges reset the count
# ===========================================================================

{
    my $u = user();
    my ($res, $j, $push) = two_step(0, "/lock/?u=$u");
    decided_ok(decide($push, 'deny'), 'denied', 'no reset: deny 1');
    ($res, $j, $push) = two_step(1, "/lock/?u=$u");
    decided_ok(decide($push, 'approve', code => $j->{code}), 'approved', 'no reset: an approval');
    ($res, $j, $push) = two_step(0, "/lock/?u=$u");
    decided_ok(decide($push, 'deny'), 'denied', 'no reset: deny 2');
    my ($pres) = two_step(1, "/lock/?u=$u");
    is($pres->{status}, 401, 'no reset: a new challenge, left pending');
    ($res, $j, $push) = two_step(0, "/lock/?u=$u");
    is($res->{status}, 401, 'no reset: not locked after two denies');
    decided_ok(decide($push, 'deny'), 'denied', 'no reset: deny 3');
    $res = on(1, path => "/lock/?u=$u", headers => [$JS]);
    too_many($res, 'locked', 3, 'no reset: deny, approve, deny, new, deny');
}

# ===========================================================================
# a locked user with a still-valid cookie passes; cross-site stays cross-site
# ===========================================================================

{
    my $u = user();
    my ($res, $j, $push) = two_step(0, "/lock/?u=$u");
    my $cookie = cookie_via_wait($j, $push);
    ok($cookie, 'cookie while locked: a cookie');
    for my $n (1 .. 3) {
        ($res, $j, $push) = two_step($n, "/lock/?u=$u");
        decided_ok(decide($push, 'deny'), 'denied', "cookie while locked: deny $n");
    }
    $res = on(0, path => "/lock/?u=$u", headers => [$JS]);
    too_many($res, 'locked', 3, 'cookie while locked: without the cookie');
    for my $w (0, 1) {
        my $ok = on($w, path => "/lock/?u=$u", headers => [$JS, $cookie // 'X-No: cookie']);
        is($ok->{status} . ' ' . $ok->{body}, "200 lock page\n",
            "cookie while locked: the valid cookie passes (worker $w)");
        ok(served_by($wpids[$w], 200, '/lock/', 'granted'), "worker $w: logged st=granted");
    }
    $res = on(1, path => "/lock/?u=$u", headers => [$JS, 'Sec-Fetch-Site: cross-site']);
    problem_ok($res, 403, 'cross_site', 'locked user, cross-site request');
    ok(no_push_for($u, 0.2), 'cookie while locked: no push');
}

# ===========================================================================
# four-eyes separation
# ===========================================================================

{
    my $u = user();
    my $h = $t->http_start(path => "/sep/?u=$u", headers => [ua(), $JS]);
    my $push = push_for_user($u);
    ok($push, 'separate: pushed');
    ok($push && !$push->{json}{code_required}, 'separate: four-eyes, no code');

    my $d = decide($push, 'approve');
    problem_ok($d, 403, 'approver_identity_required', 'separate: endpoint without identity=');
    $d = decide($push, 'approve', prefix => '/_pa/approveid/');
    problem_ok($d, 403, 'approver_identity_required', 'separate: no X-Approver');
    $d = decide($push, 'approve', prefix => '/_pa/approveid/', identity => '');
    problem_ok($d, 403, 'approver_identity_required', 'separate: empty X-Approver');
    $d = decide($push, 'deny', prefix => '/_pa/approveid/');
    problem_ok($d, 403, 'approver_identity_required', 'separate: a deny needs an identity too');
    $d = decide($push, 'approve', prefix => '/_pa/approveid/', identity => $u);
    problem_ok($d, 403, 'self_approval', "separate: the requester's own identity");
    $d = decide($push, 'deny', prefix => '/_pa/approveid/', identity => $u, worker => 1);
    problem_ok($d, 403, 'self_approval', "separate: nor may the requester deny");
    ok(still_held($h, 0), 'separate: the request is still held');

    $d = decide($push, 'approve', prefix => '/_pa/approveid/', identity => 'bob', worker => 0);
    decided_ok($d, 'approved', 'separate: another identity approves');
    my $res = $t->http_wait($h, 5);
    is($res->{status} . ' ' . $res->{body}, "200 sep page\n", 'separate: the held request resumes');
    ok(scalar(grep { /^pa_/ } keys %{ $t->cookies($res) }), 'separate: with the cookie');

    # refusals are not failures: the user is not locked out by them
    my $h2 = $t->http_start(path => "/sep/?u=$u", headers => [ua(), $JS]);
    my $p2 = push_for_user($u);
    ok($p2, 'separate: refusals did not lock the user');
    $d = decide($p2, 'deny', prefix => '/_pa/approveid/', identity => 'carol');
    decided_ok($d, 'denied', 'separate: another identity denies');
    problem_ok($t->http_wait($h2, 5), 403, 'denied', 'separate: denied request');

    # separate off (the default): no identity needed, self-approval allowed
    my $v = user();
    my $h3 = $t->http_start(path => "/nosep/?u=$v", headers => [ua(), $JS]);
    my $p3 = push_for_user($v);
    decided_ok(decide($p3, 'approve'), 'approved', 'separate off: approved without an identity');
    is($t->http_wait($h3, 5)->{status}, 200, 'separate off: resumed');
    my $h4 = $t->http_start(path => "/nosep/?u=$v", headers => [ua(), $JS]);
    my $p4 = push_for_user($v);
    decided_ok(decide($p4, 'approve', prefix => '/_pa/approveid/', identity => $v), 'approved',
        "separate off: the requester's own identity is fine");
    is($t->http_wait($h4, 5)->{status}, 200, 'separate off: resumed (self)');
}

# ===========================================================================
# timeouts are not failures
# ===========================================================================

{
    my $uh = user();    # hold mode, lockout 3 15m (the default)
    my $ut = user();    # two-step, waiting at the wait endpoint
    my @hs = map { $t->http_start(path => "/tmo/?u=$uh", headers => [ua(), $JS]) } 1 .. 3;
    my @ws;
    for my $n (1 .. 3) {
        my ($res, $j) = two_step($n, "/tmo2/?u=$ut");
        is($res->{status}, 401, "timeouts: two-step challenge $n");
        push @ws, $t->http_start(path => $j->{wait} // '/_pa/wait/x',
            headers => [$JS, 'Push-Approval-Pending: ' . ($j->{pending} // '')]);
    }
    ok(push_for_user($uh) && push_for_user($uh) && push_for_user($uh), 'timeouts: three held challenges');
    my @res = $t->http_wait_all([@hs, @ws], 6);
    is(join(' ', map { $_->{status} . ':' . (json_of($_)->{reason} // '') } @res),
        join(' ', ('403:timeout') x 6), 'timeouts: all six time out');

    my $h = $t->http_start(path => "/tmo/?u=$uh", headers => [ua(), $JS]);
    my $p = push_for_user($uh);
    ok($p, 'timeouts: three timeouts (hold) do not lock');
    decided_ok(decide($p, 'approve'), 'approved', 'timeouts: and the next is approved');
    is($t->http_wait($h, 5)->{status}, 200, 'timeouts: resumed');
    my ($res) = two_step(0, "/tmo2/?u=$ut");
    is($res->{status}, 401, 'timeouts: three timeouts (two-step) do not lock');
}

# ===========================================================================
# lockout 3 3s: new and joining requests locked; the user's challenges still
# open when the lock starts are denied with it; the lock ends 3 s after the
# last failure
# ===========================================================================

{
    my $u = user();
    my $jua = ua();
    my $h4 = $t->http_start(path => "/lockh/?u=$u", headers => [$jua, $JS]);
    my $p4 = push_for_user($u);
    ok($p4, 'lockout: a fourth challenge, pending (hold)');

    my @p;
    for my $n (1 .. 3) {
        my ($res, $j, $push) = two_step($n, "/lock/?u=$u");
        is($res->{status}, 401, "lockout: challenge $n");
        push @p, $push;
    }
    decided_ok(decide($p[0], 'deny', worker => 0), 'denied', 'lockout: deny 1');
    decided_ok(decide($p[1], 'deny', worker => 1), 'denied', 'lockout: deny 2');
    my ($res, $j, $push) = two_step(0, "/lock/?u=$u");
    is($res->{status}, 401, 'lockout: not locked after two failures');
    ok(still_held($h4, 0), 'lockout: the fourth challenge pending before the lock');
    my $t3a = time;
    decided_ok(decide($p[2], 'deny', worker => 0), 'denied', 'lockout: deny 3');
    my $t3b = time;

    # the lock stops every prompt of the user: the open ones end now
    problem_ok($t->http_wait($h4, 5), 403, 'denied',
        'lockout: the held request of the fourth ends with the lock');
    my $late = decide($p4, 'deny', worker => 1);
    is($late->{status}, 410, 'lockout: the fourth is closed (410 for a late decision)');

    for my $w (0, 1) {
        $res = on($w, path => "/lock/?u=$u", headers => [$JS]);
        too_many($res, 'locked', 3, "lockout: a new request on worker $w");
        $res = on($w, path => "/lockh/?u=$u", headers => [$jua, $JS], timeout => 3);
        too_many($res, 'locked', 3, "lockout: a request that would join, worker $w");
        cmp_ok($res->{time}, '<', 1, "lockout: the joining request is not held (worker $w)");
        ok(served_by($wpids[$w], 429, '/lockh/', 'locked'), "worker $w: logged st=locked");
    }
    ok(no_push_for($u, 0.2), 'lockout: no push while locked');

    my ($ok, $at) = poll_until(sub { on($rr++, path => "/lock/?u=$u", headers => [$JS]) },
        sub { $_[0]{status} != 429 }, 6, 0.1, 'the lockout to end');
    is($ok && $ok->{status}, 401, 'lockout: over, a new challenge');
    ok($ok && push_for_id(json_of($ok)->{approval_id}), 'lockout: over, pushed');
    cmp_ok($at // 0, '>=', $t3a + 3,
        sprintf('lockout: ends no sooner than 3 s of real time after the last failure (%.2f s)',
            ($at // 0) - $t3a));
    # whole seconds: the lock leans towards lasting up to one second longer
    cmp_ok($at // 99, '<=', $t3b + 3 + 1.2, 'lockout: and not much later');
}

# ===========================================================================
# nginx -t
# ===========================================================================

# the directive named, or the line holding it pointed at by "in FILE:LINE"
sub names_directive {
    my ($out, $conf, $directive) = @_;
    return 1 if index($out, $directive) >= 0;
    my @lines = split /\n/, ($t->read_file($conf) // '');
    while ($out =~ / in (\S+):(\d+)/g) {
        my ($file, $n) = ($1, $2);
        next unless $file eq $conf;
        return 1 if ($lines[$n - 1] // '') =~ /^\s*\Q$directive\E\s/;
    }
    return 0;
}

sub conf_with {
    my ($lines, %o) = @_;
    return PA::Std::conf(%o, locations => "        location /x/ {\n%%STD%%\n$lines\n        }\n");
}

for my $case (
    ['push_approval_prompt_limit 0 1m;', qr/invalid number "0"/],
    ['push_approval_prompt_limit 65 1m;', qr/invalid number "65"/],
    ['push_approval_prompt_limit -1 1m;', qr/invalid number/],
    ['push_approval_prompt_limit x 1m;', qr/invalid number/],
    ['push_approval_prompt_limit 5 abc;', qr/invalid period "abc"/],
    ['push_approval_prompt_limit 5 25h;', qr/invalid period "25h"/],
    ['push_approval_prompt_limit 5 0s;', qr/invalid period "0s"/],
    ['push_approval_prompt_limit 5;', qr/invalid number of arguments/],
    ["push_approval_prompt_limit 5 1m;\npush_approval_prompt_limit 6 1m;", qr/duplicate/],
    ['push_approval_lockout 0 1m;', qr/invalid number "0"/],
    ['push_approval_lockout 17 1m;', qr/invalid number "17"/],
    ['push_approval_lockout 3 25h;', qr/invalid period "25h"/],
    ['push_approval_lockout 3 nope;', qr/invalid period/],
    ["push_approval_lockout 3 1m;\npush_approval_lockout 3 1m;", qr/duplicate/],
    ['push_approval_separate maybe;', qr/invalid value "maybe"/],
    ['push_approval_separate on off;', qr/invalid number of arguments/],
) {
    my ($lines, $why) = @$case;
    my ($ok, $out, $path) = $t->nginx_test(conf_with($lines));
    (my $name = $lines) =~ s/\n/ /g;
    ok(!$ok, "nginx -t fails: $name") or next;
    my ($d) = $lines =~ /^(\S+)/;
    ok(names_directive($out, $path, $d), "$name: names $d") or diag($out);
    like($out, $why, "$name: says why") or diag($out);
}

for my $lines (
    'push_approval_prompt_limit 64 24h;', 'push_approval_prompt_limit 1 1s;',
    'push_approval_lockout 16 24h;', 'push_approval_lockout 1 1s;',
    'push_approval_separate on;', 'push_approval_separate off;',
) {
    my ($ok, $out) = $t->nginx_test(conf_with($lines));
    ok($ok, "nginx -t passes: $lines") or diag($out);
}
{
    my $l = 'push_approval_prompt_limit 3 1m; push_approval_lockout 2 1m; push_approval_separate on;';
    my ($ok, $out) = $t->nginx_test(PA::Std::conf(http => $l, locations => "location /x/ { %%STD%% }"));
    ok($ok, 'nginx -t passes: the three in http{}') or diag($out);
    ($ok, $out) = $t->nginx_test(PA::Std::conf(server => $l, locations => "location /x/ { %%STD%% }"));
    ok($ok, 'nginx -t passes: the three in server{}') or diag($out);
}

# ===========================================================================
# counts and locks live in the shared zone: a reload keeps them
# ===========================================================================

{
    my $u = user();
    my @r = map { [two_step($_, "/rl/?u=$u")] } 0, 1;
    is(join(' ', map { $_->[0]{status} } @r), '401 401', 'reload: two challenges (limit 2 1m)');
    my $v = user();
    my ($res, $j, $push) = two_step(0, "/rlk/?u=$v");
    decided_ok(decide($push, 'deny'), 'denied', 'reload: a deny (lockout 1 1m)');
    too_many(on(1, path => "/rlk/?u=$v", headers => [$JS]), 'locked', 60, 'reload: locked before');

    my @old = @wpids;
    $t->reload;
    is(find_workers(), 2, 'reload: new workers reachable');
    ok(!grep({ my $o = $_; grep { $_ == $o } @wpids } @old), 'reload: all workers are new');

    for my $w (0, 1) {
        too_many(on($w, path => "/rl/?u=$u", headers => [$JS]), 'limited', 60,
            "reload: the third challenge is still limited (new worker $w)");
        too_many(on($w, path => "/rlk/?u=$v", headers => [$JS]), 'locked', 60,
            "reload: still locked (new worker $w)");
    }
    ok(no_push_for($u, 0.2) && no_push_for($v, 0), 'reload: no push');
}

close $_ for grep { $_ } values %pool;
$t->done;
done_testing;
