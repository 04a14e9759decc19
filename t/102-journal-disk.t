#!/usr/bin/perl

# A journal that cannot be written (disk full, file too large, I/O error)
# loses no event and never glues two lines.  The worker's file size limit
# is set with prlimit(1) to just above its journal, so writes stop part-way
# with EFBIG, as on a full disk.  Meanwhile requests are served, every line
# in the file is whole, the error log and the metrics say so, and a console
# revocation answers 503 while the approval is refused.  Once the limit is
# lifted, the kept events are written: the revocation too, each chain is
# contiguous and verifies, the Redis stream catches up, and the revocation
# outlives a restart.

use strict;
use warnings;

use lib 't/lib';
use FindBin;
use Digest::SHA qw(sha256_hex);
use JSON::PP;
use PA::Redis;
use PA::Test;
use PA::Std qw(decide find_event);
use Test::More;

my $prlimit = (grep { -x } map { "$_/prlimit" }
    split(/:/, $ENV{PATH} // ''), '/usr/bin', '/bin')[0];
plan(skip_all => 'prlimit (util-linux) is not installed') unless $prlimit;

my $root = "$FindBin::Bin/..";
my $bin = $ENV{PA_AUDIT_BIN}
    // ($ENV{PA_BUILD_DIR} // "$root/build") . '/push-approval-audit';
die "$bin is missing: make audit-tool\n" unless -x $bin;

my $t = PA::Test->new(workers => 1);
my $redis = PA::Redis->new($t)->start;
my $rport = $redis->port;
$t->write_file("html/admin/$_.html", "$_\n") for qw(a b);

my $UA = 'User-Agent: t102';
my $conf = PA::Std::conf(
    http => "$PA::Std::LOOSE push_approval_redis 127.0.0.1:$rport;",
    locations => <<'EOF');
        location /admin/ {
            %%STD%%
            push_approval_approver ops;
            push_approval_mode hold;
        }
EOF

# the error log stays smaller than the journal, so it is still written
$t->start($conf, error_level => 'warn');

my $JSON = JSON::PP->new->utf8;
my $jdir = $t->dir . '/journal';

sub approval {
    my ($user) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $h = $t->http_start(path => "/admin/a.html?u=$user", headers => [$UA]);
    my $push = $t->wait_push(5);
    ok($push, "$user: push") or return;
    is(decide($t, $push, 'approve')->{status}, 200, "$user: approved");
    my $res = $t->http_wait($h, 5);
    is($res->{status}, 200, "$user: the held request resumes");
    return ($push->{json}{id}, $t->cookie_header($res));
}

# a refused cookie makes a new challenge; the test denies it
sub refused {
    my ($what, $user, $cookie) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $h = $t->http_start(path => "/admin/b.html?u=$user",
        headers => [$UA, $cookie]);
    my $push = $t->wait_push(5);
    ok($push, "$what: the cookie is refused, a new challenge") or do {
        diag("status " . ($t->http_wait($h, 1)->{status} // '?'));
        return;
    };
    decide($t, $push, 'deny');
    is($t->http_wait($h, 5)->{status}, 403, "$what: 403");
}

sub revoke {
    my ($id) = @_;
    return $t->http(method => 'POST',
        path => "/_pa/console/revoke/$id?who=ops",
        headers => ['Sec-Fetch-Site: same-origin', 'Accept: application/json']);
}

sub files { return sort glob("$jdir/journal-*.ndjson") }

sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or return '';
    local $/;
    return <$fh> // '';
}

# every file ends with "\n" and each of its lines is one JSON object
sub whole_lines {
    my ($what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my ($bad, $n) = ('', 0);
    for my $f (files()) {
        my $text = slurp($f);
        $bad ||= "$f does not end with a newline"
            if length $text && substr($text, -1) ne "\n";
        for my $l (split /\n/, $text) {
            $n++;
            my $e = eval { $JSON->decode($l) };
            $bad ||= "not one JSON object: " . substr($l, 0, 200)
                unless ref $e eq 'HASH' && $e->{eid};
        }
    }
    is($bad, '', "$what: $n lines, every one whole");
}

sub events {
    return [ map { eval { $JSON->decode($_) } // () }
             map { split /\n/, slurp($_) } files() ];
}

sub has_event { find_event(events(), @_) }

sub metric {
    my ($name) = @_;
    my $m = PA::Test::parse_metrics($t->http(path => '/_pa/metrics')->{body});
    return $m->{$name};
}

# --- before -------------------------------------------------------------------

my ($alice, $alice_ck) = approval('alice');
my ($bob, $bob_ck) = approval('bob');

# the journal grows past the error log (which must stay writable)
$t->http(path => '/admin/a.html?u=alice', headers => [$UA, $alice_ck])
    for 1 .. 20;
my ($worker) = $t->worker_pids;
my ($file) = files();
$t->wait_for(sub { has_event('access', id => $alice) }, 5, 'events written');
my $size = -s $file;
my $access0 = grep { $_->{event} eq 'access' && $_->{id} eq $alice }
    @{ events() };
ok($size > 2 * (-s $t->dir . '/error.log'), "journal $size bytes");

# --- the disk fails -----------------------------------------------------------

# room for part of a line: the next write stops in its middle
system($prlimit, '--pid', $worker, '--fsize=' . ($size + 100) . ':') == 0
    or BAIL_OUT("prlimit --pid $worker failed");
my $errpos = $t->log_size('error.log');

for (1 .. 5) {
    my $r = $t->http(path => '/admin/a.html?u=alice', headers => [$UA, $alice_ck]);
    is($r->{status}, 200, "request $_ served while the journal fails");
}

ok($t->wait_log('error.log',
        qr/\[error\].*write\(\) to the journal .* failed .*kept to be written again/,
        5, $errpos),
    'the failure is in the error log as an [error]');
ok(PA::Test::pid_alive($worker), 'the worker lives (SIGXFSZ ignored)');
cmp_ok(metric('push_approval_journal_errors_total'), '>', 0,
    'push_approval_journal_errors_total counts');
cmp_ok(metric('push_approval_journal_pending_bytes'), '>', 0,
    'push_approval_journal_pending_bytes shows what is kept');
cmp_ok(-s $file, '<=', $size + 100, 'the file is at most at its limit');
whole_lines('while failing');

my $r = revoke($bob);
is($r->{status}, 503, 'a revocation that cannot be written: 503');
like($r->{body}, qr/"unavailable"/, 'reason unavailable');
ok(!has_event('revoked', id => $bob), 'the revocation is not in the file');
refused('bob while failing', 'bob', $bob_ck);
whole_lines('after the revocation');
ok(PA::Test::pid_alive($worker), 'the worker still lives');

# --- the disk recovers --------------------------------------------------------

# the soft limit back to the hard one (raising that needs CAP_SYS_RESOURCE)
my ($hard) = `'$prlimit' --pid $worker --fsize --raw --noheadings -o HARD`
    =~ /(\S+)/;
system($prlimit, '--pid', $worker, "--fsize=$hard:") == 0
    or BAIL_OUT("prlimit --pid $worker failed");

my $back = $t->wait_log('error.log', qr/journal .* is written again/, 5,
    $errpos);
ok($back, 'written again, without a new request');
ok(has_event('revoked', id => $bob, approver => 'ops'),
    'the revocation is in the journal now');
is(metric('push_approval_journal_pending_bytes'), 0, 'nothing pending');
whole_lines('after recovery');

# each chain from seq 1, no gap, each prev the hash of the line before
for my $f (files()) {
    my @l = split /\n/, slurp($f);
    my ($seq, $prev, $bad) = (0, '0' x 64, '');
    for my $l (@l) {
        my $e = $JSON->decode($l);
        $bad ||= "seq $e->{seq} after $seq" if $e->{seq} != $seq + 1;
        $bad ||= "prev of $e->{seq}" if $e->{prev} ne $prev;
        ($seq, $prev) = ($e->{seq}, sha256_hex($l));
    }
    is($bad, '', "$f: one chain, no gap, no glued line");
}

my $access = grep { $_->{event} eq 'access' && $_->{id} eq $alice }
    @{ events() };
is($access, $access0 + 5, 'every access event is written, also those while failing');

$t->wait_for(sub {
    my $lines = () = join('', map { slurp($_) } files()) =~ /\n/g;
    ($redis->cmd('XLEN', 'push_approval:events') // 0) == $lines;
}, 10, 'the stream has every line');
is(metric('push_approval_journal_backlog_bytes'), 0,
    'shipping went on after the failure');

refused('bob after recovery', 'bob', $bob_ck);

# --- a restart reads the revocation back --------------------------------------

$t->stop;
my $out = `'$bin' verify --pubkey '$jdir/audit.key.pub' '$jdir' 2>&1`;
is($? >> 8, 0, 'the journal verifies') or diag($out);

$errpos = $t->log_size('error.log');
$t->start($conf, error_level => 'warn');
refused('bob after a restart', 'bob', $bob_ck);
my $ok = $t->http(path => '/admin/b.html?u=alice', headers => [$UA, $alice_ck]);
is($ok->{status}, 200, 'alice still passes');

$t->done;
done_testing;
