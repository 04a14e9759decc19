#!/usr/bin/perl

# The signed trail as nginx writes it, checked by push-approval-audit
# (docs/audit.md, docs/audit-format.md): an untouched journal and stream verify; a removed,
# altered, swapped or inserted line, a chain cut before its last
# checkpoint and a missing chain are breaks naming the entry; a worker
# killed with SIGKILL under load leaves at most a torn final line; the
# audit key's files; no secret anywhere in the trail.

use strict;
use warnings;

use lib 't/lib';
use FindBin;
use File::Copy qw(copy);
use File::Path qw(make_path remove_tree);
use IO::Socket::INET;
use POSIX ();
use PA::Redis;
use PA::Test;
use PA::Std;
use Test::More;

my $root = "$FindBin::Bin/..";
my $bin = $ENV{PA_AUDIT_BIN}
    // ($ENV{PA_BUILD_DIR} // "$root/build") . '/push-approval-audit';
die "$bin is missing: make audit-tool\n" unless -x $bin;

my $t = PA::Test->new(workers => 2);
my $redis = PA::Redis->new($t)->start;
my $rport = $redis->port;
my $UA = 'v1';

$t->write_file('html/admin/index.html', "admin\n");
my $conf = PA::Std::redis_conf("127.0.0.1:$rport");
$t->start($conf);

my $jdir = $t->dir . '/journal';
my $pub = "$jdir/audit.key.pub";

# the audit key: generated at the first start, private 0600, public PEM
ok(-f "$jdir/audit.key", 'audit key generated in the journal directory');
is((stat "$jdir/audit.key")[2] & 07777, 0600, 'audit key is 0600');
like($t->read_file('journal/audit.key.pub'),
    qr/^-----BEGIN PUBLIC KEY-----\n/, 'public key beside it, PEM');

sub audit {
    my (@args) = @_;
    my $out = `'$bin' @args 2>&1`;
    return ($? >> 8, $out);
}

my @secrets;

sub approve {
    my ($user) = @_;
    my $h = $t->http_start(path => "/admin/?u=$user",
        headers => ["User-Agent: $UA"]);
    my $push = $t->wait_push(5);
    push @secrets, (PA::Std::approve_path($push) =~ /\.([\w-]{43})$/);
    $t->http(method => 'POST', path => PA::Std::approve_path($push),
        headers => ['Content-Type: application/x-www-form-urlencoded'],
        body => 'decision=approve');
    my $res = $t->http_wait($h);
    is($res->{status}, 200, "$user approved");
    my $c = $t->cookie_header($res);
    push @secrets, $c =~ /=([^;\s]+)/g;
    return $c;
}

my $cookie = approve('alice');
for (1 .. 20) {
    $t->http(path => '/admin/?u=alice', headers => [$cookie, "User-Agent: $UA"]);
}

# a reload: the new writers' first checkpoints vouch for the old chains
$t->reload;
$t->wait_for(sub { `grep -l writer_stop $jdir/journal-*.ndjson` =~ /\n.*\n/ },
    10, 'the old writers stopped');
$cookie = approve('bob');
$t->http(path => '/admin/?u=bob', headers => [$cookie, "User-Agent: $UA"])
    for 1 .. 20;

my $metrics = $t->http(path => '/metrics')->{body};
like($metrics, qr/push_approval_events_total\{sink="redis"\} [1-9]/,
    'metrics count shipped events');

# the stream, while nginx runs and has shipped everything
$t->wait_for(sub {
    my $lines = () = `cat $jdir/journal-*.ndjson` =~ /\n/g;
    ($redis->cmd('XLEN', 'push_approval:events') // 0) == $lines;
}, 20, 'all shipped');
my ($rc, $out) = audit('verify', '--pubkey', $pub, '--redis',
    "127.0.0.1:$rport");
is($rc, 0, 'the stream verifies') or diag($out);

# every chain closed: writer_stop, then a checkpoint
$t->stop;

($rc, $out) = audit('verify', '--pubkey', $pub, $jdir);
is($rc, 0, 'the untouched journal verifies') or diag($out);
like($out, qr/\b0 break/, 'no break');
unlike($out, qr/unsigned/, 'every chain ends with a checkpoint');
my ($nckp) = $out =~ /(\d+) checkpoint/;
cmp_ok($nckp, '>=', 8, "$nckp checkpoints verified");

# tampering, each on a fresh copy of the journal
my @files = sort glob("$jdir/journal-*.ndjson");
is(scalar @files, 4, 'four chains: two workers, two generations');

sub lines { open my $fh, '<', $_[0] or die; my @l = <$fh>; return @l }

sub tampered {
    my ($what, $edit, $want) = @_;
    my $copy = $t->dir . '/tamper';
    remove_tree($copy);
    make_path($copy);
    copy($_, $copy) for @files;
    my @c = sort glob("$copy/journal-*.ndjson");
    $edit->(@c);
    my ($rc, $out) = audit('verify', '--pubkey', $pub, $copy);
    is($rc, 1, "$what: a break") or diag($out);
    like($out, $want, "$what: named") or diag($out);
    note($out =~ s{^}{  }gmr) if $ENV{TEST_VERBOSE};
}

sub rewrite {
    my ($f, @l) = @_;
    open my $fh, '>', $f or die;
    print {$fh} @l;
    close $fh;
}

# the chain of the first writer of the second generation, with accesses
my ($busy) = grep { (grep { /"event":"access"/ } lines($_)) >= 5 } @files[2, 3];
$busy //= $files[2];
my $bi = (grep { $files[$_] eq $busy } 0 .. $#files)[0];

tampered('a line removed', sub {
    my @l = lines($_[$bi]);
    splice @l, 4, 1;
    rewrite($_[$bi], @l);
}, qr/seq|prev/);

tampered('a field altered', sub {
    my @l = lines($_[$bi]);
    $l[4] =~ s/"user":"(alice|bob)"/"user":"mallory"/ or $l[4] =~ s/"ts":\d/"ts":9/;
    rewrite($_[$bi], @l);
}, qr/prev|hash/);

tampered('two lines swapped', sub {
    my @l = lines($_[$bi]);
    @l[4, 5] = @l[5, 4];
    rewrite($_[$bi], @l);
}, qr/seq|order|prev/);

tampered('a line inserted', sub {
    my @l = lines($_[$bi]);
    splice @l, 5, 0, $l[4];
    rewrite($_[$bi], @l);
}, qr/seq|prev/);

tampered('a chain cut before its last checkpoint', sub {
    my @l = lines($_[$bi]);
    rewrite($_[$bi], @l[0 .. $#l - 3]);
}, qr/cut|ends|vouch/);

tampered('a whole chain missing', sub {
    unlink $_[0];
}, qr/missing|vouch/);

tampered('a checkpoint signed with another key', sub {
    my @l = lines($_[$bi]);
    my ($i) = grep { $l[$_] =~ /"event":"checkpoint"/ } reverse 0 .. $#l;
    $l[$i] =~ s/"sig":"(.)/'"sig":"' . ($1 eq 'A' ? 'B' : 'A')/e;
    rewrite($_[$bi], @l);
}, qr/signature|sig/);

# a torn final line (a crash in the middle of a write) is a note
{
    my $copy = $t->dir . '/torn';
    make_path($copy);
    copy($_, $copy) for @files;
    my ($last) = sort glob("$copy/journal-*.ndjson");
    open my $fh, '>>', $last or die;
    print {$fh} '{"v":1,"ts":17959';
    close $fh;
    my ($rc, $out) = audit('verify', '--pubkey', $pub, $copy);
    is($rc, 0, 'a torn final line is not a break') or diag($out);
    like($out, qr/torn/, 'it is reported as torn');
}

# a worker killed with SIGKILL under load: what it wrote verifies
{
    $t->start($conf);
    my $c = approve('carol');
    my $pid = fork // die;
    if ($pid == 0) {
        for my $i (1 .. 2000) {
            my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                PeerPort => $t->port) or next;
            print {$s} "GET /admin/?u=carol&i=$i HTTP/1.0\r\n"
                . "User-Agent: $UA\r\n$c\r\n\r\n";
            local $/;
            my $r = <$s>;
        }
        POSIX::_exit(0);
    }
    $t->wait_for(sub {
        my $n = () = `cat $jdir/journal-*.ndjson` =~ /"event":"access"/g;
        $n >= 300;
    }, 20, 'load running');
    my ($victim) = $t->worker_pids;
    kill 'KILL', $victim;
    waitpid $pid, 0;
    $t->stop;

    my ($rc, $out) = audit('verify', '--pubkey', $pub, $jdir);
    is($rc, 0, 'the journal verifies after a worker was SIGKILLed')
        or diag($out);
    like($out, qr/\b$victim:.*(unsigned|checkpoint)|unsigned/,
        'the killed writer\'s tail is reported as unsigned');
}

# no cookie value or decision token in the journal or the error log
{
    my $all = `cat $jdir/journal-*.ndjson` . $t->read_file('error.log')
        . $metrics;
    my @found = grep { length > 20 && index($all, $_) >= 0 } @secrets;
    is(scalar @found, 0, 'no secret in the journal, the metrics or the error log');
    cmp_ok(scalar @secrets, '>=', 6, 'secrets looked for: ' . @secrets);
}

$t->done(ignore => qr/redis "127\.0\.0\.1:\d+" (connection lost|failed|timed out)|redis connect to|exited on signal 9/);
$redis->stop;
done_testing;
