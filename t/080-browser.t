#!/usr/bin/perl

# The interstitial -> approve -> resume flow in headless Chromium, with two
# browser contexts: the requester on a desktop, the approver on a phone
# (t/browser/flow.mjs does the clicking).  Page mode with self-approval, so
# the interstitial shows a code that the approver types.  Scenarios:
# approve (the requester's page reloads itself into the content) and deny
# (the requester's page says "denied" and stays).  This file serves the
# pages and hands each challenge's approve URL, taken from its push, to the
# browser script through a file.  Screenshots land in the test's temp dir
# (kept with TEST_KEEP=1).
#
# Needs /usr/bin/chromium and t/browser/node_modules (make deps); skipped
# without them, except under CI, where it fails instead.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std;
use Test::More;
use POSIX ();
use Time::HiRes qw(time sleep);

my $chromium = $ENV{CHROMIUM} || '/usr/bin/chromium';
my $script = 't/browser/flow.mjs';
my @missing;
push @missing, $chromium unless -x $chromium;
push @missing, 't/browser/node_modules/playwright-core'
    unless -d 't/browser/node_modules/playwright-core';
push @missing, 'node' unless grep { -x "$_/node" } split /:/, $ENV{PATH} // '';
if (@missing) {
    plan skip_all => "missing @missing (make deps)" unless $ENV{CI};
    fail("browser test prerequisites present under CI: missing @missing");
    done_testing;
    exit;
}

my $marker = 'PA-BROWSER-MARKER secret admin content';

my $t = PA::Test->new(workers => 2);
$t->write_file('html/admin/index.html', <<"EOF");
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Admin</title></head>
<body><h1>Admin</h1><p id="marker">$marker</p></body></html>
EOF
# Chromium asks for it; a 404 would be noise in the console
$t->write_file('html/favicon.ico', '');

$t->start(PA::Std::conf(locations => <<'EOF'));
        location /admin/ { %%STD%% push_approval_mode page; }
EOF

my $dir = $t->dir;
my $base = 'http://127.0.0.1:' . $t->port;

# the browser script, its output to a file
my $out = "$dir/browser.out";
my $pid = fork;
die "fork: $!\n" unless defined $pid;
if ($pid == 0) {
    open STDIN, '<', '/dev/null';
    open STDOUT, '>', $out or POSIX::_exit(126);
    open STDERR, '>&', \*STDOUT or POSIX::_exit(126);
    exec 'node', $script, $base, $dir or POSIX::_exit(127);
}

# hand over the approve URL of each scenario's push as dir/approve-USER
my %want = (alice => 1, bob => 1);
my $deadline = time + 60;
my $rc;
while (%want && time < $deadline) {
    if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
        ($rc, $pid) = ($?, 0);
        last;
    }
    my $push = $t->wait_push(0.5) or next;
    my $user = $push->{json}{user} // '';
    ok(delete $want{$user}, "push for a scenario's user ($user)");
    ok($push->{json}{code_required}, "$user: self-approval needs a code");
    unlike($push->{body}, qr/"code"\s*:/, "$user: no code in the push");
    my $path = PA::Std::approve_path($push);
    $t->write_file("approve-$user.tmp", "$path\n");
    rename "$dir/approve-$user.tmp", "$dir/approve-$user"
        or die "rename: $!\n";
}
ok(!%want, 'a push for each scenario') or diag('no push for: ' . join ' ', sort keys %want);

# the browser script's end (it has a 60 s deadline of its own)
if ($pid) {
    my $end = time + 70;
    while (time < $end) {
        if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
            ($rc, $pid) = ($?, 0);
            last;
        }
        sleep 0.1;
    }
    if ($pid) {
        kill 'TERM', $pid;
        waitpid($pid, 0);
        $rc = -1;
    }
}

# the script's checks, one test each
my $output = $t->read_file('browser.out') // '';
my $checks = 0;
for my $l (split /\n/, $output) {
    if ($l =~ /^(not )?ok - (.*)$/) {
        $checks++;
        ok(!$1, "browser: $2");
    } elsif ($l =~ /^# (.*)$/) {
        note($1);
    }
}
cmp_ok($checks, '>=', 30, 'the browser script reported its checks')
    or diag($output);
is($rc, 0, 'the browser script exited 0') or diag($output);

for my $f (qw(approve-1-interstitial approve-2-approve-phone
    approve-3-result-phone approve-4-content deny-1-interstitial
    deny-2-approve-phone deny-3-result-phone deny-4-denied))
{
    my $png = "$dir/$f.png";
    my $head = '';
    if (open my $fh, '<:raw', $png) {
        read $fh, $head, 8;
    }
    ok(-s $png && $head eq "\x89PNG\r\n\x1a\n", "screenshot $f.png");
}
note("screenshots in $dir (kept with TEST_KEEP=1)");

# the server side saw the approval and the denial
ok($t->wait_log('access.log', qr{ 200 GET /_pa/wait/\S+ st=approved }, 5),
    'access log: the approved wait');
ok($t->wait_log('access.log',
    qr{ 200 GET /admin/\S* st=granted rs=\S* ap=[A-Za-z0-9_-]{22}}, 5),
    'access log: the reloaded page served under the approval');
ok($t->wait_log('access.log', qr{ 403 GET /_pa/wait/\S+ st=denied }, 5),
    'access log: the denied wait');

$t->done;
done_testing;
