#!/usr/bin/perl

# A journal directory belongs to one nginx instance.  Two instances that
# share one would read each other's revocations back at start and trip
# over each other's files.  The first instance locks the directory; a
# second one pointed at it fails to start with a message that names the
# directory and the fix.  The first one reloads, upgrades its binary and
# passes "nginx -t" as before; once it stops, the second one starts.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std;
use Test::More;

my $t1 = PA::Test->new(workers => 1);
my $t2 = PA::Test->new(workers => 1);
$_->write_file('html/index.html', "hi\n") for $t1, $t2;

my $jdir = $t1->dir . '/journal';

sub conf {
    my $c = PA::Std::conf(locations => <<'EOF');
        location /admin/ { %%STD%% }
EOF
    $c =~ s{push_approval_journal %%DIR%%/journal;}
           {push_approval_journal $jdir;} or die "no journal line\n";
    return $c;
}

$t1->start(conf());
ok(-f "$jdir/lock", 'the first instance made the lock file');
is($t1->http(path => '/')->{status}, 200, 'the first instance serves');

my $errpos = $t2->log_size('error.log');
ok(!eval { $t2->start(conf()); 1 }, 'the second instance does not start');
like($@, qr/\[emerg\].*journal directory "\Q$jdir\E" is in use by another nginx .*push_approval_journal/,
    'it says which directory and what to do');
like($@, qr/\Q${\ $t1->dir}\E\/nginx\.conf/,
    'and whose configuration holds it');
my @w2 = grep { /journal-\d+-/ } glob("$jdir/journal-*.ndjson");
is(scalar @w2, 1, 'the second instance wrote no journal file');

# nginx -t of the running configuration: no complaint; of another: a warning
my $d1 = $t1->dir;
my $out = `'${\ $t1->binary}' -t -p '$d1/' -c '$d1/nginx.conf' -e '$d1/t.log' 2>&1`;
is($?, 0, 'nginx -t of the running configuration passes') or diag($out);
unlike($out . ($t1->read_file('t.log') // ''), qr/lock/,
    'without a word about the lock');
my $ok;
($ok, $out) = $t2->nginx_test(conf());
ok($ok, 'nginx -t of another configuration passes too');
like($out . ($t2->read_file("nginx-test-$t2->{nconf}.log") // ''),
    qr/\[warn\].*lock.*held by another nginx/, 'with a warning');

# the same instance reloads: it still holds the lock
$errpos = $t1->log_size('error.log');
ok($t1->reload(conf(), may_fail => 1), 'the first instance reloads');
is($t1->http(path => '/')->{status}, 200, 'and serves');
ok(!eval { $t2->start(conf()); 1 }, 'the second still cannot start');
like($@, qr/is in use by another nginx/, 'for the lock');

# a binary upgrade: the new master finds the lock it inherited
my $old = $t1->master_pid;
kill 'USR2', $old;
$t1->wait_for(sub { -f $t1->dir . '/nginx.pid.oldbin'
    && ($t1->read_file('nginx.pid') // '') =~ /^(\d+)/ && $1 != $old },
    10, 'the new binary runs');
my ($new) = ($t1->read_file('nginx.pid') // '') =~ /^(\d+)/;
unlike(substr($t1->errlog, $errpos), qr/\[emerg\]/, 'the upgrade starts');
kill 'QUIT', $old;
$t1->wait_for(sub { !PA::Test::pid_alive($old) }, 10, 'the old master exits');
$t1->{master} = $new;
$t1->wait_for(sub { $t1->worker_pids >= 1 }, 10, 'the new workers');
is($t1->http(path => '/')->{status}, 200, 'the upgraded instance serves');
ok(!eval { $t2->start(conf()); 1 }, 'the lock went on with the upgrade');
like($@, qr/is in use by another nginx/, 'the lock, held by the new binary');

$t1->done;

$t2->start(conf());
is($t2->http(path => '/')->{status}, 200,
    'once the first stopped, the second starts');
$t2->done(ignore => qr/is in use by another nginx/);

done_testing;
