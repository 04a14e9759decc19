#!/usr/bin/perl

# Shipping the journal to a Redis stream (docs/audit.md, Shipping to Redis):
# the same events in the journal and in the stream, field for field; every
# event exactly once by eid when Redis is killed and restarted empty under
# load, and when nginx reloads under load; requests never fail because of
# Redis; the metrics of the trail.

use strict;
use warnings;

use lib 't/lib';
use IO::Socket::INET;
use POSIX ();
use JSON::PP;
use PA::Redis;
use PA::Test;
use PA::Std;
use Test::More;

my $t = PA::Test->new(workers => 2);
my $redis = PA::Redis->new($t)->start;
my $STREAM = 'pa:test';
my $rport = $redis->port;

$t->write_file('html/admin/index.html', "admin\n");

my $conf = PA::Std::redis_conf("127.0.0.1:$rport", stream => $STREAM);
$t->start($conf);

my $JSON = JSON::PP->new->utf8;
my $UA = 'r1 <x> "q" ' . "\xff";

# every journal line: { eid => raw line }
sub journal {
    my %lines;
    for my $f (glob($t->dir . '/journal/journal-*.ndjson')) {
        open my $fh, '<', $f or next;
        while (my $l = <$fh>) {
            chomp $l;
            my ($eid) = $l =~ /"eid":"([^"]+)"/ or next;
            $lines{$eid} = $l;
        }
    }
    return \%lines;
}

# the stream's entries by eid, dying on a duplicate
sub stream {
    my (%by, @dups);
    for my $e (@{ $redis->entries($STREAM) }) {
        my $eid = $e->{fields}{eid};
        push @dups, $eid if exists $by{$eid};
        $by{$eid} = $e;
    }
    return (\%by, \@dups);
}

# until every journal line is in the stream
sub wait_shipped {
    my ($what) = @_;
    my ($j, $s);
    $t->wait_for(sub {
        $j = journal();
        ($s) = stream();
        keys %$j && !grep { !$s->{$_} } keys %$j;
    }, 20, "the stream has every journal line ($what)");
    return ($j, $s);
}

sub approve_cookie {
    my ($user) = @_;
    my $h = $t->http_start(path => "/admin/?u=$user",
        headers => ["User-Agent: $UA"]);
    my $push = $t->wait_push(5);
    my $res = $t->http(method => 'POST', path => PA::Std::approve_path($push),
        headers => ['Accept: application/json',
            'Content-Type: application/x-www-form-urlencoded'],
        body => 'decision=approve');
    is($res->{status}, 200, "$user approved") or diag($res->{body});
    $res = $t->http_wait($h);
    is($res->{status}, 200, "$user resumed");
    return $t->cookie_header($res);
}

my $cookie = approve_cookie('alice');

# field for field: names in the line's order, strings unescaped, numbers
# as their decimal text
{
    my ($j, $s) = wait_shipped('a flow');
    my $checked = 0;
    for my $eid (sort keys %$j) {
        my $line = $j->{$eid};
        my $ev = $JSON->decode($line);
        my @order = $line =~ /[{,]"([a-z_]+)":/g;
        my $e = $s->{$eid};
        is_deeply($e->{order}, \@order, "$eid: fields in order") or next;
        for my $k (@order) {
            my $want = $ev->{$k};
            if ($line =~ /"$k":([0-9.]+)[,}]/) {
                $want = $1;
            }
            is($e->{fields}{$k}, $want, "$eid: $k") or last;
        }
        $checked++;
    }
    cmp_ok($checked, '>=', 8, "$checked events compared");
    my ($access) = grep { $j->{$_} =~ /"event":"access"/ } keys %$j;
    like($s->{$access}{fields}{agent}, qr/^r1 <x> "q" /,
        'the agent arrives unescaped');
}

# a load of requests under the cookie on a keep-alive connection
sub load {
    my ($n, $progress) = @_;
    my $pid = fork // die;
    return $pid if $pid;
    my ($ok, $s) = (0, undef);
    my $note = sub {
        open my $fh, '>', "$progress.tmp"; print {$fh} "@_\n"; close $fh;
        rename "$progress.tmp", $progress;
    };
    for my $i (1 .. $n) {
        # nginx closes a keep-alive connection after keepalive_requests
        for my $try (1 .. 3) {
            $s ||= IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                PeerPort => $t->port) or exit 2;
            print {$s} "GET /admin/?u=alice&i=$i HTTP/1.1\r\n"
                . "Host: localhost\r\nUser-Agent: $UA\r\n$cookie\r\n\r\n";
            my ($status, $len) = (0, 0);
            while (my $l = <$s>) {
                $status = $1 if $l =~ m{^HTTP/1\.1 (\d+)};
                $len = $1 if $l =~ /^Content-Length: (\d+)/i;
                last if $l eq "\r\n";
            }
            read($s, my $body, $len) if $len;
            if ($status == 0) { undef $s; next; }
            $ok++ if $status == 200;
            last;
        }
        $note->($i, $ok) if $i % 100 == 0;
    }
    $note->($n, $ok);
    POSIX::_exit(0);
}

sub progress {
    my ($file) = @_;
    open my $fh, '<', $file or return (0, 0);
    my $l = <$fh> // '';
    return split ' ', $l;
}

sub xlen { my $n = eval { $redis->cmd('XLEN', $STREAM) }; $n // 0 }

# Redis SIGKILLed and restarted empty in the middle of 4000 requests
{
    my $prog = $t->dir . '/load1';
    my $pid = load(4000, $prog);
    $t->wait_for(sub { xlen() >= 500 }, 20, 'events in the stream');
    $redis->kill('KILL');
    my ($at) = progress($prog);
    $t->wait_for(sub { (progress($prog))[0] >= $at + 500 }, 20,
        'requests go on with Redis down');
    $redis->start;
    waitpid $pid, 0;
    my ($n, $ok) = progress($prog);
    is("$n $ok", '4000 4000', 'every request succeeded');

    my ($j) = wait_shipped('after Redis restarted empty');
    my ($s, $dups) = stream();
    is(scalar @$dups, 0, 'no event twice in the stream');
    is(scalar(keys %$s), scalar(keys %$j),
        'the stream holds every event of the journal, also those from '
        . 'before the restart: ' . scalar(keys %$j));
    my @access = grep { $j->{$_} =~ /"event":"access"/ } keys %$j;
    cmp_ok(scalar @access, '>=', 4000, 'an access event a request');
}

# nginx reloaded in the middle of 3000 requests: old writers' last lines
# (writer_stop, checkpoint) are shipped by a new worker
{
    my $prog = $t->dir . '/load2';
    my $pid = load(3000, $prog);
    $t->wait_for(sub { (progress($prog))[0] >= 1000 }, 20, 'load running');
    my @old = $t->worker_pids;
    $t->reload;
    $t->wait_for(sub { !grep { PA::Test::pid_alive($_) } @old }, 20,
        'old workers gone');
    waitpid $pid, 0;
    my ($n, $ok) = progress($prog);
    is($n, 3000, 'the load ran through the reload');
    cmp_ok($ok, '>=', 2990, "requests served through the reload: $ok");

    my ($j) = wait_shipped('after a reload');
    my ($s, $dups) = stream();
    is(scalar @$dups, 0, 'no event twice after the reload');
    is(scalar(keys %$s), scalar(keys %$j), 'nothing missing after the reload');
    my @stops = grep { $j->{$_} =~ /"event":"writer_stop"/ } keys %$j;
    cmp_ok(scalar @stops, '>=', 2, 'the old writers stopped');
    ok(!(grep { !$s->{$_} } @stops), 'their last lines are in the stream');
}

# the metrics of the trail
{
    my $m;
    $t->wait_for(sub {
        $m = PA::Test::parse_metrics($t->http(path => '/metrics')->{body});
        ($m->{'push_approval_journal_backlog_bytes'} // -1) == 0;
    }, 10, 'backlog drained') or diag(join "\n", map { "$_ $m->{$_}" }
        grep { /redis|backlog|events/ } sort keys %$m);
    is($m->{'push_approval_redis_up'}, 1, 'redis_up 1');
    cmp_ok($m->{'push_approval_events_total{sink="redis"}'}, '>', 0,
        'events shipped are counted');

    $redis->kill('KILL');
    $t->http(path => '/admin/?u=alice', headers => [$cookie, "User-Agent: $UA"])
        for 1 .. 3;
    $t->wait_for(sub {
        $m = PA::Test::parse_metrics($t->http(path => '/metrics')->{body});
        $m->{'push_approval_redis_up'} == 0
            && $m->{'push_approval_journal_backlog_bytes'} > 0;
    }, 10, 'redis_up 0 and a backlog while Redis is down');
    pass('redis down: redis_up 0, backlog grows');
    $redis->start;
    wait_shipped('after the metrics test');
}

# no cookie value in the stream
{
    my ($v) = $cookie =~ /=([^;\s]+)/;
    my $all = join "\n", map { join ' ', %{ $_->{fields} } }
        @{ $redis->entries($STREAM) };
    unlike($all, qr/\Q$v\E/, 'no cookie value in the stream');
}

# maxlen: a new stream, trimmed approximately; every chain of the
# directory is shipped to it (its checkpoints are new), so it sees more
# than ten thousand events and keeps about the last hundred
{
    (my $small = $conf) =~ s/push_approval_stream \S+;/push_approval_stream pa:small maxlen=100;/
        or die 'no stream in the configuration';
    $t->reload($small);
    my $total = scalar keys %{ journal() };
    my $added = sub {
        my $info = eval { $redis->cmd('XINFO', 'STREAM', 'pa:small') } || [];
        my %i = @$info;
        $i{'entries-added'} // 0;
    };
    $t->wait_for(sub { $added->() >= $total }, 30,
        "the new stream got all $total events");
    my $len = $redis->cmd('XLEN', 'pa:small');
    cmp_ok($total, '>', 5000, "the journal holds $total events");
    cmp_ok($len, '<=', 300, "maxlen=100 trims the stream to about 100: $len");
}

$t->done(ignore => qr/redis "127\.0\.0\.1:\d+" (connection lost|failed|timed out)|redis connect to/);
$redis->stop;
done_testing;
