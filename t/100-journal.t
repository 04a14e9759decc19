#!/usr/bin/perl

# The journal (docs/audit.md): every event of a flow, one chain per
# worker (seq from 1, prev = SHA-256 of the previous line), rotation, rate
# limited "rejected" events, and no secret in the journal or the logs.

use strict;
use warnings;

use lib 't/lib';
use Digest::SHA qw(sha256_hex);
use JSON::PP;
use PA::Test;
use PA::Std qw(decide find_event);
use Test::More;

my $t = PA::Test->new(workers => 2);
$t->write_file('html/admin/index.html', "admin\n");
$t->write_file('html/self/index.html', "self\n");

$t->start(PA::Std::conf(http => $PA::Std::LOOSE, locations => <<'EOF'));
        location /admin/ { %%STD%% push_approval_approver ops; }
        location /self/ { %%STD%% }
EOF

my $JSON = JSON::PP->new->utf8;

# every journal line, by file
sub journal {
    my %files;
    for my $f (glob($t->dir . '/journal/*.ndjson*')) {
        open my $fh, '<', $f or next;
        local $/;
        $files{$f} = [ split /\n/, <$fh> // '' ];
    }
    return \%files;
}

sub events {
    my @e;
    my $j = journal();
    for my $f (sort keys %$j) {
        push @e, map { $JSON->decode($_) } @{ $j->{$f} };
    }
    return \@e;
}

sub has_event { find_event(events(), @_) }

sub wait_event {
    my ($name, %f) = @_;
    my $e;
    $t->wait_for(sub { $e = has_event($name, %f) }, 5, "event $name");
    return $e;
}

my @secrets;

# a whole hold flow
my $h = $t->http_start(path => '/admin/?u=alice', headers => ['User-Agent: j1']);
my $push = $t->wait_push(5);
my $id = $push->{json}{id};
push @secrets, (PA::Std::approve_path($push) =~ /\.([\w-]{43})$/);
is(decide($t, $push, 'approve')->{status}, 200, 'approved');
is(decide($t, $push, 'maybe')->{status}, 400, 'a bad form, with a real token');
ok(wait_event('rejected', reason => 'bad_form'),
    'rejected event (its uri must not carry the token: checked at the end)');
my $res = $t->http_wait($h, 5);
is($res->{status}, 200, 'resumed');
push @secrets, values %{ $t->cookies($res) };
my ($cname) = grep { /^pa_[0-9a-f]{8}$/ } keys %{ $t->cookies($res) };
$t->http(path => '/admin/?u=alice', headers => ['User-Agent: j1',
    $t->cookie_header($res)]);

for my $ev (qw(writer_start challenge_created notified approved cookie_issued)) {
    my $e = wait_event($ev, $ev eq 'writer_start' ? () : (id => $id));
    ok($e, "$ev event");
}

my $created = has_event('challenge_created', id => $id);
is($created->{user}, 'alice', 'created: user');
is($created->{approver}, 'ops', 'created: approver');
is($created->{scope}, '/admin/', 'created: scope');
is($created->{client}, '127.0.0.1', 'created: client');
is($created->{agent}, 'j1', 'created: agent');
is($created->{uri}, '/admin/?u=alice', 'created: uri');
is($created->{v}, 1, 'version 1');
like($created->{eid}, qr{^\Q$created->{writer}\E/\d+$}, 'eid is writer/seq');

$t->wait_for(sub { 2 <= grep { $_->{event} eq 'access' && $_->{id} eq $id }
    @{ events() } }, 5, 'two access events');
my ($access) = grep { $_->{event} eq 'access' } @{ events() };
is($access->{status}, 200, 'access: status');
is($access->{approver}, 'ops', 'access: under whose approval');
is($access->{user}, 'alice', 'access: by whom');
ok(defined $access->{bytes} && defined $access->{request_time},
    'access: bytes and request_time');

# two-step with a wrong code, then denied; cookie rejected; cross-site
$res = $t->http(path => '/self/?u=bob', headers => ['User-Agent: j2']);
is($res->{status}, 401, 'two-step');
my $two = $JSON->decode($res->{body});
push @secrets, $two->{code}, $two->{pending};
$push = $t->wait_push(5);
push @secrets, (PA::Std::approve_path($push) =~ /\.([\w-]{43})$/);
is(decide($t, $push, 'approve', code => '000000')->{status}, 403, 'wrong code');
ok(wait_event('code_mismatch', id => $two->{approval_id}), 'code_mismatch event');
is(decide($t, $push, 'deny')->{status}, 200, 'denied');
ok(wait_event('denied', id => $two->{approval_id}), 'denied event');

$t->http(path => '/admin/?u=carol', headers => ['User-Agent: j3',
    'Sec-Fetch-Site: cross-site']);
ok(wait_event('cross_site', user => 'carol'), 'cross_site event');

$h = $t->http_start(path => '/admin/?u=dave', headers => ['User-Agent: j4',
    "Cookie: $cname=garbage"]);
$push = $t->wait_push(5);
decide($t, $push, 'deny');
$t->http_wait($h, 5);
ok(wait_event('cookie_rejected', user => 'dave', reason => 'malformed'),
    'cookie_rejected event with its reason');

# rejected: a forged token, rate limited per worker
my $bad = '/_pa/approve/' . ('A' x 22) . '.' . ('B' x 43);
$t->http(path => $bad);
ok(wait_event('rejected', reason => 'bad_token'), 'rejected event');

my @hs = map { $t->http_start(path => $bad) } 1 .. 300;
$t->http_wait_all(\@hs, 10);
$t->wait_for(sub {
    my $n = grep { $_->{event} eq 'rejected' } @{ events() };
    $n >= 50 }, 5, 'rejected events written');
my $n = grep { $_->{event} eq 'rejected' } @{ events() };
cmp_ok($n, '<', 300, "a flood of forged tokens writes fewer events ($n)");

# chains: per file, seq counts up from 1, prev links every line
my $j = journal();
ok(keys %$j >= 2, 'one journal file a worker');
for my $f (sort keys %$j) {
    my ($seq, $prev, $ok) = (0, '0' x 64, 1);
    for my $line (@{ $j->{$f} }) {
        my $e = $JSON->decode($line);
        $ok &&= $e->{seq} == ++$seq && $e->{prev} eq $prev;
        $prev = sha256_hex($line);
    }
    ok($ok, "chain intact in " . ($f =~ s{.*/}{}r) . " ($seq events)");
}

# rotation: rename the files away, the chains go on in new ones
my %old = map { $_ => 1 } keys %$j;
for my $f (keys %old) {
    rename $f, "$f.1" or die "$f: $!";
}
$t->wait_for(sub {
    my @new = grep { !/\.1$/ } glob($t->dir . '/journal/*.ndjson');
    @new >= 1 }, 5, 'a new journal file after rotation') or diag(`ls -la ${\ $t->dir}/journal`);
$h = $t->http_start(path => '/admin/?u=erin', headers => ['User-Agent: j5']);
$push = $t->wait_push(5);
decide($t, $push, 'approve');
$t->http_wait($h, 5);
my $after = wait_event('approved', id => $push->{json}{id});
ok($after && $after->{seq} > 1, 'the chain goes on after rotation (seq > 1)');

# no secret anywhere: journal, error log, metrics
my $all = join "\n", map { @$_ } values %{ journal() };
$all .= $t->errlog;
$all .= $t->http(path => '/_pa/metrics')->{body};
for my $s (grep { defined && length > 5 } @secrets) {
    ok(index($all, $s) < 0, 'no secret in journal, error log or metrics: '
        . substr($s, 0, 4) . '...');
}

my $m = $t->metrics('/_pa/metrics');
cmp_ok($m->{'push_approval_events_total{sink="journal"}'} // 0, '>', 10,
    'events counted in the metrics');

$t->done;

# writer_stop closes each chain
my $stops = grep { $_->{event} eq 'writer_stop' } @{ events() };
cmp_ok($stops, '>=', 2, 'writer_stop from every worker');

# nginx -t: the journal's parameters
my ($ok, $out) = $t->nginx_test(PA::Std::conf(http => '') =~
    s{push_approval_journal \S+;}{push_approval_journal %%DIR%%/j2 sync=sometimes;}r);
ok(!$ok && $out =~ /sync=sometimes/, 'invalid sync parameter refused');
($ok, $out) = $t->nginx_test(PA::Std::conf(http => '') =~
    s{push_approval_journal \S+;}{push_approval_journal %%DIR%%/j3 sync=fsync;}r);
ok($ok, 'sync=fsync accepted') or diag($out);

done_testing;
