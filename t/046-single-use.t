#!/usr/bin/perl

# The single-use rules of the approve endpoint (docs/flow.md, The decision)
# under attack: a token decides once, a replayed token is refused (410) and
# is a "rejected" event, a code is good for its own challenge only, and a
# token of one challenge cannot decide another.

use strict;
use warnings;

use lib 't/lib';
use JSON::PP;
use PA::Test;
use PA::Std qw(decide);
use Test::More;

my $t = PA::Test->new(workers => 2);
$t->write_file('html/self/index.html', "self\n");

$t->start(PA::Std::conf(http => $PA::Std::LOOSE, locations => <<'EOF'));
        location /self/ { %%STD%% }
EOF

my $JSON = JSON::PP->new->utf8;

sub two_step {
    my ($user, $ua) = @_;
    my $res = $t->http(path => "/self/?u=$user", headers => ["User-Agent: $ua"]);
    is($res->{status}, 401, "$user: two-step");
    my $push = $t->wait_push(5);
    return ($JSON->decode($res->{body}), $push);
}

my ($a, $pa) = two_step('ann', 's1');
my ($b, $pb) = two_step('ben', 's2');
my $path_a = PA::Std::approve_path($pa);
my $path_b = PA::Std::approve_path($pb);

# ann's code does not approve ben's challenge (unless they happen to match)
SKIP: {
    skip 'the two random codes are equal', 2 if $a->{code} eq $b->{code};
    my $r = decide($t, $pb, 'approve', code => $a->{code});
    is($r->{status}, 403, "another challenge's code is a wrong code");
    like($r->{body}, qr/code_mismatch/, 'code_mismatch');
}

# ann's token with ben's id: not found
my ($tok_a) = $path_a =~ /\.([\w-]+)$/;
my ($id_b) = $path_b =~ m{/([\w-]{22})\.};
my $r = decide($t, $pb, 'approve', code => $b->{code},
    path => "/_pa/approve/$id_b.$tok_a");
is($r->{status}, 404, "one challenge's token cannot decide another");

# the right code decides once; the token replayed is refused
$r = decide($t, $pb, 'approve', code => $b->{code});
is($r->{status}, 200, 'decided with its own code and token');
$r = decide($t, $pb, 'approve', code => $b->{code});
is($r->{status}, 410, 'the same token again: 410');
$r = decide($t, $pb, 'deny');
is($r->{status}, 410, 'and it cannot deny either');

# the replay and the forgery are "rejected" events in the journal
my @ev;
$t->wait_for(sub {
    @ev = ();
    for my $f (glob($t->dir . '/journal/*.ndjson')) {
        open my $fh, '<', $f or next;
        push @ev, map { $JSON->decode($_) } <$fh>;
    }
    (grep { $_->{event} eq 'rejected' && ($_->{reason} // '') eq 'gone' } @ev)
        && (grep { $_->{event} eq 'rejected' && ($_->{reason} // '') eq 'bad_token' } @ev);
}, 5, 'rejected events for the replay and the forged token');
ok((grep { $_->{event} eq 'rejected' && $_->{reason} eq 'gone' } @ev),
    'replayed token: rejected event, reason gone');
ok((grep { $_->{event} eq 'rejected' && $_->{reason} eq 'bad_token' } @ev),
    "forged token: rejected event, reason bad_token");
ok(!(grep { ($_->{uri} // '') =~ /\Q$tok_a\E/ } @ev), 'no token in any event');

$t->done;
done_testing;
