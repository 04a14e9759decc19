#!/usr/bin/perl

# $push_approval_ntfy_json: a valid ntfy publish body whose buttons work.
# One-tap Approve only for a challenge without a code; one-tap Deny always,
# with a deny-only token that cannot approve.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std;
use Test::More;

my $t = PA::Test->new(workers => 2);
$t->write_file('html/four/index.html', "four eyes\n");
$t->write_file('html/self/index.html', "self\n");

my $notify = <<'EOF';
        location = /_pa/notify {
            internal;
            proxy_pass http://127.0.0.1:%%RECEIVER%%/ntfy;
            proxy_method POST;
            proxy_pass_request_headers off;
            proxy_set_header Content-Type application/json;
            proxy_set_body $push_approval_ntfy_json;
        }
EOF

$t->start(PA::Std::conf(http => $PA::Std::LOOSE, notify => $notify,
    locations => <<'EOF'));
        location /four/ { %%STD%% push_approval_approver ops; }
        location /self/ { %%STD%% }
EOF

# the Bearer form of an ntfy "http" action, as the phone would send it
sub tap {
    my ($action) = @_;
    my $url = $action->{url};
    $url =~ s{^https?://[^/]+}{};
    return $t->http(method => 'POST', path => $url,
        headers => [ map { "$_: $action->{headers}{$_}" }
            sort keys %{ $action->{headers} } ],
        body => $action->{body});
}

sub actions {
    my ($push) = @_;
    my %a = map { ($_->{label} => $_) } @{ $push->{json}{actions} || [] };
    return \%a;
}

# four eyes, no code: Review, Approve, Deny
my $h = $t->http_start(path => '/four/?u=alice', headers => ['User-Agent: n1']);
my $push = $t->wait_push(5);
ok($push && $push->{json}, 'ntfy body is JSON') or diag($push && $push->{body});
is($push->{json}{topic}, 'ops', 'topic is the approver');
like($push->{json}{message}, qr/alice/, 'message names the user');
is($push->{json}{priority}, 4, 'priority');
my $a = actions($push);
is_deeply([ sort keys %$a ], [ qw(Approve Deny Review) ], 'three buttons');
is($a->{Review}{action}, 'view', 'review opens the approve page');
is($a->{Review}{url}, $push->{json}{click}, 'click opens the approve page');
is($a->{Approve}{action}, 'http', 'approve is an http action');
ok($a->{Approve}{clear} && $a->{Deny}{clear}, 'buttons clear the notification');

# the deny token cannot approve
my $forged = { %{ $a->{Deny} }, body => 'decision=approve' };
my $res = tap($forged);
is($res->{status}, 404, 'deny-only token cannot approve');

my $ok = tap($a->{Approve});
is($ok->{status}, 200, 'one-tap approve recorded');
is($t->hdr($ok, 'access-control-allow-origin'), '*', 'readable by fetch');
is($t->http_wait($h, 5)->{status}, 200, 'held request resumed');

# preflight of the phone's fetch
my $pre = $t->http(method => 'OPTIONS', path => '/_pa/approve/x',
    headers => ['Origin: https://ntfy.example',
        'Access-Control-Request-Method: POST']);
is($pre->{status}, 204, 'preflight answered');
like($t->hdr($pre, 'access-control-allow-headers') // '', qr/Authorization/i,
    'preflight allows Authorization');

# self-approval with a code: no one-tap approve, the deny button works
$res = $t->http(path => '/self/?u=bob', headers => ['User-Agent: n2']);
is($res->{status}, 401, 'two-step');
$push = $t->wait_push(5);
$a = actions($push);
is_deeply([ sort keys %$a ], [ qw(Deny Review) ], 'no one-tap approve with a code');
unlike($push->{body}, qr/"$1"/, 'code not in the push')
    if $res->{body} =~ /"code":"(\d+)"/;
my $no = tap({ %{ $a->{Deny} }, body => 'decision=approve' });
is($no->{status}, 404, 'deny token refuses to approve');
my $d = tap($a->{Deny});
is($d->{status}, 200, 'one-tap deny recorded');
like($d->{body}, qr/"status":"denied"/, 'denied');

$t->done;
done_testing;
