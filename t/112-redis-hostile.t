#!/usr/bin/perl

# A hostile or broken Redis: the module's client must never abort, crash
# or stall a worker, whatever bytes come back.  A fake Redis (PA::FakeRedis)
# sits between nginx and a real redis-server and, mode by mode, answers
# the shipper's script with one reply too many, garbage, a huge bulk
# string, arrays nested ten thousand deep, an array of 2^31 - 1 elements,
# the wrong type, nothing at all, half a reply and a close, or a reply a
# byte at a time.  Each time: the same workers, requests served, an
# [error] logged and a new connection; and once the fake passes the
# bytes through again, every journal event is in the stream.  A server
# that never makes sense gets ever fewer connections (the backoff grows
# until a reply is good).

use strict;
use warnings;

use lib 't/lib';
use PA::FakeRedis;
use PA::Redis;
use PA::Test;
use PA::Std;
use Test::More;

my $t = PA::Test->new(workers => 2);
my $PW = 'pa-test-pw';
my $redis = PA::Redis->new($t, password => $PW, unix => 1, db => 2)->start;
my $fake = PA::FakeRedis->new($t, upstream => $redis->port)->start;
my $STREAM = 'pa:hostile';
my $fport = $fake->port;

$t->write_file('html/admin/index.html', "admin\n");
$t->write_file('html/index.html', "hello\n");

sub conf {
    my ($addr) = @_;
    return PA::Std::redis_conf($addr, stream => $STREAM);
}

$t->start(conf("127.0.0.1:$fport password=$PW db=2"));

# every journal event's eid
sub journal {
    my %eids;
    for my $f (glob($t->dir . '/journal/journal-*.ndjson')) {
        open my $fh, '<', $f or next;
        while (my $l = <$fh>) {
            $eids{$1} = 1 if $l =~ /"eid":"([^"]+)"/;
        }
    }
    return \%eids;
}

sub wait_shipped {
    my ($what) = @_;
    return $t->wait_for(sub {
        my $j = journal();
        my $e = eval { $redis->entries($STREAM) } || [];
        my %s = map { ($_->{fields}{eid} => 1) } @$e;
        keys %$j && !grep { !$s{$_} } keys %$j;
    }, 20, "every journal event in the stream ($what)");
}

my $h = $t->http_start(path => '/admin/?u=alice');
my $push = $t->wait_push(5);
my $res = $t->http(method => 'POST', path => PA::Std::approve_path($push),
    headers => ['Accept: application/json',
        'Content-Type: application/x-www-form-urlencoded'],
    body => 'decision=approve');
is($res->{status}, 200, 'approved');
$res = $t->http_wait($h);
is($res->{status}, 200, 'resumed');
my $cookie = $t->cookie_header($res);

ok(wait_shipped('through the fake, passing bytes'), 'shipped through it');

my @workers = sort $t->worker_pids;
is(scalar @workers, 2, 'two workers');

# mode => what the module logs
my @cases = (
    [extra     => qr/sent a reply to no command/],
    [garbage   => qr/broke the protocol/],
    [hugebulk  => qr/broke the protocol: a reply too large/],
    [nested    => qr/broke the protocol/],
    [hugearray => qr/broke the protocol: a reply too large/],
    [wrongtype => qr/sent a reply of type 1 to the events/],
    [wrongint  => qr/sent a reply of type 2 to the events/],
    [silent    => qr/timed out/],
    [closemid  => qr/connection lost: closed/],
    [slowloris => qr/timed out/],
    [noauth    => qr/refused AUTH or SELECT: WRONGPASS/],
);

for my $c (@cases) {
    my ($mode, $re) = @$c;
    my $from = $t->log_size('error.log');
    $fake->mode($mode);

    # both workers come, one of them again after its connection failed
    ok($t->wait_for(sub { $fake->connections($mode) >= 3 }, 20,
        "$mode: a connection after the failed one"), "$mode: reconnects");
    ok($t->wait_log('error.log', qr/\[error\].*redis.*$re/, 10, $from),
        "$mode: an [error] logged");

    my $r = $t->http(path => '/');
    is($r->{status}, 200, "$mode: a request served");
    $r = $t->http(path => '/admin/?u=alice', headers => [$cookie]);
    is($r->{status}, 200, "$mode: a protected request served");

    is(join(' ', sort $t->worker_pids), join(' ', @workers),
        "$mode: the same workers");
    unlike($t->errlog, qr/exited on signal|\[(alert|crit)\]/,
        "$mode: no worker died");

    # and the events of meanwhile reach the stream once Redis behaves
    $fake->mode('proxy');
    ok(wait_shipped("after $mode"), "$mode: then shipped");
}

# a Redis that behaves again gets every event, also those of meanwhile
$fake->mode('proxy');
ok(wait_shipped('after the hostile modes'), 'every event shipped at last');

my $m = PA::Test::parse_metrics($t->http(path => '/metrics')->{body});
is($m->{'push_approval_redis_up'}, 1, 'redis_up 1');
is(join(' ', sort $t->worker_pids), join(' ', @workers),
    'the same workers at the end');

# AUTH and SELECT over a unix socket: a new database, new checkpoints,
# every chain shipped again there
$t->reload(conf('unix:' . $redis->socket . " password=$PW db=3"));
$redis->select_db(3);
ok(wait_shipped('over the unix socket, database 3'), 'shipped to db 3');
unlike($t->errlog, qr/\Q$PW\E/, 'the password is never logged');

$t->done;
$fake->stop;
$redis->stop;

done_testing;
