#!/usr/bin/perl

# Revocations outlive a restart (docs/internals.md, Revocations across a
# restart; docs/audit.md, Guarantees): the master reads the journal's
# `revoked` events of the last day back into the new, empty zone before the
# workers start.
#
# Three approvals (alice, bob, carol); alice's is revoked at the console.
# Before the restart, a second journal file is put into the directory with
# lines that must not crash or confuse the reader: garbage, a line over
# 64k that would revoke bob's approval if it were read, a torn revocation
# of bob's, a revocation of bob's older than a day, and, after all of
# these, a well-formed revocation of carol's approval (so the reader went
# on past the bad lines).  A compressed-looking file (".gz") that revokes
# bob's is not read.  nginx is then stopped (not reloaded) and started
# again with the same journal directory: alice's and carol's cookies are
# refused as `revoked`, bob's still passes, and the error log has one
# warning naming the bad file.

use strict;
use warnings;

use lib 't/lib';
use JSON::PP;
use PA::Test;
use PA::Std qw(decide find_event);
use Test::More;
use Time::HiRes ();

my $t = PA::Test->new(workers => 2);
$t->write_file("html/admin/$_.html", "$_\n") for qw(a b c d e f g);

my $UA = 'User-Agent: t105';
my $conf = PA::Std::conf(http => $PA::Std::LOOSE, locations => <<'EOF');
        location /admin/ {
            %%STD%%
            push_approval_approver ops;
            push_approval_mode hold;
        }
EOF

$t->start($conf);

my $JSON = JSON::PP->new->utf8;

# the journal's events; lines that are not JSON (the test's own) are left out
sub events {
    my @e;
    for my $f (sort glob($t->dir . '/journal/journal-*.ndjson')) {
        open my $fh, '<', $f or next;
        while (my $l = <$fh>) {
            my $e = eval { $JSON->decode($l) } or next;
            push @e, $e;
        }
    }
    return \@e;
}

sub wait_event {
    my ($name, %f) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $found;
    $t->wait_for(sub { $found = find_event(events(), $name, %f) },
        5, "a $name event");
    return $found;
}

# one approval: (approval id, "Cookie: ..." header)
sub approval {
    my ($user) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $h = $t->http_start(path => "/admin/a.html?u=$user", headers => [$UA]);
    my $push = $t->wait_push(5);
    ok($push, "$user: push") or return;
    is(decide($t, $push, 'approve')->{status}, 200, "$user: approved");
    my $res = $t->http_wait($h, 5);
    is($res->{status}, 200, "$user: the held request resumes");
    my $c = $t->cookies($res);
    my ($name) = grep { /^pa_/ && !/^pa_pending/ } sort keys %$c;
    ok($name, "$user: approval cookie") or return;
    return ($push->{json}{id}, "Cookie: $name=$c->{$name}");
}

# the request's line in the access log
sub log_line {
    my ($off, $path) = @_;
    return $t->wait_log('access.log', qr{ GET \Q$path\E st=}, 5, $off) // '';
}

# a cookie that passes: 200 at once, no push
sub passes {
    my ($what, $user, $cookie, $id, $path) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $off = $t->log_size('access.log');
    my $res = $t->http(path => "$path?u=$user", headers => [$UA, $cookie]);
    is($res->{status}, 200, "$what: passes");
    like(log_line($off, $path), qr/ st=granted rs=- ap=\Q$id\E$/,
        "$what: granted under its approval");
}

# a refused cookie: the request is without a cookie, so it makes a new
# challenge and is held; the test denies it
sub refused {
    my ($what, $user, $cookie, $path) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $off = $t->log_size('access.log');
    my $h = $t->http_start(path => "$path?u=$user", headers => [$UA, $cookie]);
    my $push = $t->wait_push(5);
    ok($push, "$what: refused, a new challenge") or do {
        my $res = $t->http_wait($h, 1);
        diag("$what: status $res->{status} instead");
        return;
    };
    is(decide($t, $push, 'deny')->{status}, 200, "$what: the new challenge denied");
    is($t->http_wait($h, 5)->{status}, 403, "$what: 403");
    like(log_line($off, $path), qr/ rs=revoked /, "$what: rs=revoked");
    ok(wait_event('cookie_rejected', user => $user, reason => 'revoked',
                  uri => "$path?u=$user"),
        "$what: cookie_rejected event, reason revoked");
}

# --- before the restart ---------------------------------------------------

my ($alice, $alice_ck) = approval('alice');
my ($bob, $bob_ck) = approval('bob');
my ($carol, $carol_ck) = approval('carol');

passes('bob before the restart', 'bob', $bob_ck, $bob, '/admin/b.html');

my $r = $t->http(method => 'POST', path => "/_pa/console/revoke/$alice?who=ops",
    headers => ['Sec-Fetch-Site: same-origin', 'Accept: application/json']);
is($r->{status}, 200, 'alice revoked at the console');
ok(wait_event('revoked', id => $alice, approver => 'ops'),
    'the revocation is in the journal');

# lines the reader must survive and ignore

my $now = int(Time::HiRes::time() * 1000);
my $day = 24 * 3600 * 1000;

sub revoked_line {
    my ($id, $ts, $extra) = @_;
    return qq({"v":1,"ts":$ts,"event":"revoked","eid":"x:1:1/1",)
        . qq("writer":"x:1:1","seq":1,"node":"x","prev":"${\ ('0' x 64)}",)
        . qq("id":"$id","approver":"t"$extra}\n);
}

$t->write_file('journal/journal-99999-1.ndjson', join '',
    "this is no json\n",
    revoked_line($bob, $now, ',"pad":"' . ('x' x 70000) . '"'),
    substr(revoked_line($bob, $now, ''), 0, 60) . "\n",
    revoked_line($bob, $now - $day - 60_000, ''),
    revoked_line($carol, $now, ''));
$t->write_file('journal/journal-99998-1.ndjson.gz', revoked_line($bob, $now, ''));

# nginx -t reads nothing back (its zones serve no request)
{
    my ($ok, $out) = $t->nginx_test($conf);
    ok($ok, 'nginx -t passes') or diag($out);
    my $log = ($t->read_file("nginx-test-$t->{nconf}.log") // '') . $out;
    unlike($log, qr/read back from the journal|journal-99999/,
        'nginx -t does not read the journal');
}

# --- a full stop and a new start -----------------------------------------

my $master = $t->master_pid;
$t->stop;
ok(!PA::Test::pid_alive($master), 'nginx stopped');

my $errpos = $t->log_size('error.log');
$t->start($conf);

ok($t->wait_log('error.log',
        qr/push_approval: 2 revocation\(s\) read back from the journal/, 5,
        $errpos),
    'start: two revocations read back (alice, and carol after the bad lines)');
my $warn = $t->wait_log('error.log', qr/\[warn\].*journal-99999-1\.ndjson/, 5,
    $errpos) // '';
like($warn, qr/3 line\(s\) .* skipped, malformed or longer than 64k, the first is line 1/,
    'start: one warning for the file with the bad lines');
my @warns = grep { /\[warn\]/ } split /\n/, substr($t->errlog, $errpos);
is(scalar @warns, 1, 'start: no other warning') or diag(join "\n", @warns);

# --- after the restart ------------------------------------------------------

refused('alice after the restart', 'alice', $alice_ck, '/admin/c.html');
passes('bob after the restart', 'bob', $bob_ck, $bob, '/admin/d.html');
refused('carol after the restart', 'carol', $carol_ck, '/admin/e.html');

# a reload keeps the zone: still revoked, nothing read again
$errpos = $t->log_size('error.log');
$t->reload;
refused('alice after a reload', 'alice', $alice_ck, '/admin/f.html');
passes('bob after a reload', 'bob', $bob_ck, $bob, '/admin/g.html');
unlike(substr($t->errlog, $errpos), qr/read back from the journal/,
    'a reload that keeps the zone does not read the journal');

$t->done;

# --- a zone too small for the journal's revocations -------------------------

# Revocations read back may fill half of the zone.  Those that find no room
# are counted in the error log, and until they would have expired the zone
# refuses every cookie it has no grant for (fail closed): bob's cookie from
# before the restart is refused as revoked, while a new approval works.
{
    $t = PA::Test->new(workers => 1);
    $t->write_file("html/admin/$_.html", "$_\n") for qw(a b c);
    my $small = PA::Std::conf(http => $PA::Std::LOOSE, zone => 'zone=pa:128k',
        locations => <<'EOF');
        location /admin/ {
            %%STD%%
            push_approval_approver ops;
            push_approval_mode hold;
        }
EOF
    $t->start($small);

    my ($bob2, $bob2_ck) = approval('bob');
    passes('small zone: bob before the restart', 'bob', $bob2_ck, $bob2,
        '/admin/b.html');

    my $ts = int(Time::HiRes::time() * 1000);
    $t->write_file('journal/journal-99997-1.ndjson', join '',
        map { revoked_line(sprintf('%021dA', $_), $ts, '') } 1 .. 5000);

    $t->stop;
    my $errpos = $t->log_size('error.log');
    $t->start($small);

    my $err = $t->wait_log('error.log',
        qr/\[error\].*push_approval: zone "pa" lost \d+ revocation/, 5,
        $errpos) // '';
    like($err, qr/lost (\d+) revocation.*refused as revoked for 86\d\d\d s/,
        'small zone: the lost revocations are counted in the error log');
    my ($lost) = $err =~ /lost (\d+) revocation/;
    ok($lost && $lost < 5000, 'small zone: some were recorded, some lost')
        or diag($err);

    refused('small zone: bob, unknown to the zone', 'bob', $bob2_ck,
        '/admin/a.html');
    my ($dave, $dave_ck) = approval('dave');
    passes('small zone: a new approval', 'dave', $dave_ck, $dave,
        '/admin/c.html');

    $t->done;
}

done_testing;
