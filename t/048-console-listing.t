#!/usr/bin/perl

# What the console lists.  A challenge that needs a code is never listed:
# the code's secrecy rests on the approve link reaching only the
# approver's device, and a console link would let anyone who sees the code
# (the requester) approve it.  Nor is a challenge whose approver is its
# requester, or whose requester is the console's identity.  Challenges for
# another approver, without a code, are listed with their approve link.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std;
use Test::More;
use JSON::PP ();

my $t = PA::Test->new(workers => 1);
$t->write_file("html/$_/index.html", "$_\n") for qw(ops self nocode);

$t->start(PA::Std::conf(locations => <<"EOF"));
        location /ops/ { %%STD%% $PA::Std::LOOSE push_approval_approver ops; }
        location /self/ { %%STD%% $PA::Std::LOOSE }
        location /nocode/ {
            %%STD%% $PA::Std::LOOSE push_approval_code_digits 0;
        }
EOF

my $JSON = JSON::PP->new;
my $JS = 'Accept: application/json';
my $n = 0;

sub listed {
    my ($who) = @_;
    my $r = $t->http(path => "/_pa/console/?who=$who", headers => [$JS]);
    is($r->{status}, 200, "console for $who: 200");
    my $list = eval { $JSON->decode($r->{body}) } || [];
    return { map { $_->{id} => $_ } @$list };
}

# a challenge, and its push once the creator has seen the push go out
sub challenge {
    my ($path, @headers) = @_;
    my $h = $t->http_start(path => $path,
        headers => ['User-Agent: console-test/' . ++$n, @headers]);
    my $push = $t->wait_push(5);
    ok($push, "$path: push");
    return ($h, $push);
}

# four-eyes without a code: listed for the approver, with its link
my ($held, $p1) = challenge('/ops/?u=alice', $JS);
ok(!$p1->{json}{code_required}, 'hold mode for ops: no code');
$t->wait_for(sub { listed('ops')->{$p1->{json}{id}} }, 5,
    'four-eyes challenge listed for ops');
like(listed('ops')->{$p1->{json}{id}}{approve_url} // '', qr{/_pa/approve/},
    'with its approve link');

# a page-mode challenge for ops needs a code: never listed
my (undef, $p2) = challenge('/ops/?u=bob', 'Accept: text/html');
ok($p2->{json}{code_required}, 'page mode for ops: code required');
ok(!listed('ops')->{$p2->{json}{id}}, 'a challenge with a code: not listed');

# self-approval with a code (two-step): never listed for the requester
my (undef, $p3) = challenge('/self/?u=carol', $JS);
ok($p3->{json}{code_required}, 'self-approval: code required');
ok(!listed('carol')->{$p3->{json}{id}}, 'self-approval with a code: not listed');

# self-approval without a code (code_digits 0): still not listed, the
# requester would approve herself from the console
my ($held2, $p4) = challenge('/nocode/?u=dave', $JS);
ok(!$p4->{json}{code_required}, 'code_digits 0: no code');
ok(!listed('dave')->{$p4->{json}{id}}, 'self-approval without a code: not listed');

# the approve links still work for the approver's device
my $r = $t->http(method => 'POST', path => PA::Std::approve_path($p4),
    headers => [$JS, 'Content-Type: application/x-www-form-urlencoded'],
    body => 'decision=deny');
is($r->{status}, 200, 'the self-approval is decided from its own link');
is($t->http_wait($held2, 5)->{status}, 403, 'denied');

$r = $t->http(method => 'POST', path => PA::Std::approve_path($p1),
    headers => [$JS, 'Content-Type: application/x-www-form-urlencoded'],
    body => 'decision=approve');
is($r->{status}, 200, 'the four-eyes challenge approved');
is($t->http_wait($held, 5)->{status}, 200, 'held request resumed');

# the HTML console shows the same choice
my $page = $t->http(path => '/_pa/console/?who=ops');
is($page->{status}, 200, 'console page: 200');
unlike($page->{body}, qr/\Q$p2->{json}{id}\E/, 'console page: no challenge with a code');

$t->done;
done_testing;
