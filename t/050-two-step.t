#!/usr/bin/perl

# Two-step answers (self-approval, a client that is not a browser): the
# 401 with the code and the pending secret, the pending cookie, a push that
# never carries the code, the wait endpoint (held until decided, JSON or
# 303, the secret redeemed once, refused without it), wrong, missing and
# three wrong codes, deny without a code, code_digits 8 and 0, and
# push_approval_mode hold with self-approval.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std qw(decide json_of still_held approval_cookie);
use Test::More;
use Time::HiRes qw(time);

my $t = PA::Test->new(workers => 2);
$t->write_file("html/$_/index.html", "$_ page\n") for qw(admin eight nocode holdmode);
$t->write_file('html/admin/x.txt', "x\n");

$t->start(PA::Std::conf(locations => <<'EOF'));
        location /admin/ { %%STD%% push_approval_wait 30s; }
        location /eight/ { %%STD%% push_approval_code_digits 8; }
        location /nocode/ { %%STD%% push_approval_code_digits 0; }
        location /holdmode/ { %%STD%% push_approval_mode hold; }
EOF

my $JS = 'Accept: application/json';
# a user of its own for each challenge (per-user limits never interfere)
sub user { PA::Std::user('u', 'x') }

# a two-step challenge: (401 response, its JSON, its push)
sub challenge {
    my ($path) = @_;
    my $res = $t->http(path => $path, headers => [$JS]);
    my $push = $t->wait_push(5);
    return ($res, json_of($res), $push);
}

sub wait_start {
    my ($j, @h) = @_;
    return $t->http_start(path => $j->{wait}, headers => [@h]);
}

# --- the 401 ---------------------------------------------------------------------

my $u = user();
my $t0 = time;
my ($res, $j, $push) = challenge("/admin/x.txt?u=$u");
is($res->{status}, 401, '401 for a non-HTML client');
like($t->hdr($res, 'content-type') // '', qr{^application/problem\+json}, 'problem+json');
my $id = $j->{approval_id} // '';
like($id, qr/^[A-Za-z0-9_-]{22}$/, 'approval_id');
my $wa = $t->hdr($res, 'www-authenticate') // '';
like($wa, qr/^PushApproval realm="[^"]*", approval_id="\Q$id\E"$/, 'WWW-Authenticate')
    or diag($wa);
like($wa, qr/realm="localhost"/, 'realm is the server name');
is($j->{type} && length $j->{type} ? 1 : 0, 1, 'type');
ok($j->{title}, 'title');
is($j->{status}, 401, 'status field');
is($j->{reason}, 'approval_pending', 'reason approval_pending');
like($j->{code} // '', qr/^\d{6}$/, 'code: 6 digits by default');
is($j->{wait}, "/_pa/wait/$id", 'wait: absolute path of the wait endpoint');
like($j->{pending} // '', qr/^\S{16,}$/, 'pending secret');
cmp_ok(abs(($j->{expires} // 0) - ($t0 + 30)), '<=', 2, 'expires: now + wait');

my $pc = $t->cookie_attrs($res, "pa_pending_$id");
ok($pc, 'pending cookie pa_pending_{id}');
is($t->cookies($res)->{"pa_pending_$id"}, $j->{pending}, 'pending cookie holds the secret');
is($pc && $pc->{path}, '/_pa/wait/', 'pending cookie Path');
ok($pc && $pc->{httponly}, 'pending cookie HttpOnly');
is($pc && lc($pc->{samesite} // ''), 'strict', 'pending cookie SameSite=Strict');
cmp_ok(abs(($pc && $pc->{'max-age'} // 0) - 30), '<=', 2, 'pending cookie Max-Age = wait');
ok(!approval_cookie($t, $res), 'no approval cookie yet');

ok($push, 'push sent');
is($push && $push->{json}{id}, $id, 'push for this challenge');
ok($push && ref $push->{json}{code_required} && $push->{json}{code_required},
    'push: code_required true');
is($push && index($push->{body}, $j->{code}), -1, 'the code is nowhere in the push body');
my @hv = map { ref $_ ? @$_ : $_ } values %{ $push ? $push->{headers} : {} };
ok(!grep({ index($_, $j->{code}) >= 0 } @hv), 'nor in its headers');

# --- the waiting client, approval with the code ----------------------------------

my $w = wait_start($j, $JS, "Push-Approval-Pending: $j->{pending}");
ok(still_held($w, 0.3), 'wait: held while pending');
my $dec = decide($t, $push, 'approve', code => $j->{code});
is($dec->{status}, 200, 'approve with the right code');
is(json_of($dec)->{status}, 'approved', 'approved');
my $wr = $t->http_wait($w, 5);
is($wr->{status}, 200, 'wait (JSON): 200');
is_deeply(json_of($wr), { status => 'approved' }, 'wait (JSON): {"status":"approved"}');
my $cname = approval_cookie($t, $wr);
ok($cname, 'wait: approval cookie');
my $ca = $cname ? $t->cookie_attrs($wr, $cname) : {};
is($ca->{path}, '/admin/', 'approval cookie Path = scope');
ok($ca->{httponly}, 'approval cookie HttpOnly');
like($t->hdr($wr, 'cache-control') // '', qr/no-store/, 'wait: not cached');

my $ok = $t->http(path => "/admin/x.txt?u=$u", headers => [$JS, "Cookie: $cname=" . $t->cookies($wr)->{$cname}]);
is($ok->{status}, 200, 'the cookie opens the protected place');
is($ok->{body}, "x\n", 'protected content');
ok($t->no_push(0.2), 'no push for a request with the cookie');

my $again = $t->http(path => $j->{wait}, headers => [$JS, "Push-Approval-Pending: $j->{pending}"]);
is($again->{status}, 410, 'pending secret redeemed twice: 410');
is(json_of($again)->{reason}, 'gone', 'second redemption: gone');
ok(!approval_cookie($t, $again), 'second redemption: no cookie');

# --- 303 without Accept: application/json; the pending cookie instead of the header

$u = user();
($res, $j, $push) = challenge("/admin/x.txt?u=$u");
is($res->{status}, 401, '303 case: 401');
$w = wait_start($j, $t->cookie_header($res));
ok(still_held($w, 0.2), 'wait with the pending cookie: held');
decide($t, $push, 'approve', code => $j->{code});
$wr = $t->http_wait($w, 5);
is($wr->{status}, 303, 'wait without Accept json: 303');
my $loc = $t->hdr($wr, 'location') // '';
like($loc, qr{^(?:http://localhost(?::\d+)?)?/admin/x\.txt(?:\?|$)}, '303 to the original path')
    or diag($loc);
$cname = approval_cookie($t, $wr);
ok($cname, '303 sets the approval cookie');
my $pcl = $t->cookie_attrs($wr, "pa_pending_$j->{approval_id}");
ok($pcl && defined $pcl->{'max-age'} && $pcl->{'max-age'} == 0, 'pending cookie cleared')
    or diag(explain($wr->{headers}{'set-cookie'}));
$ok = $t->http(path => "/admin/x.txt?u=$u", headers => [$t->cookie_header($wr)]);
is($ok->{status}, 200, '303 case: the cookie opens the protected place');

# --- wait called after the approval answers at once ----------------------------------

$u = user();
($res, $j, $push) = challenge("/admin/x.txt?u=$u");
decide($t, $push, 'approve', code => $j->{code});
$wr = $t->http(path => $j->{wait}, headers => [$JS, "Push-Approval-Pending: $j->{pending}"], timeout => 3);
is($wr->{status}, 200, 'wait after the approval: 200 at once');
cmp_ok($wr->{time}, '<', 1, 'wait after the approval: not held');
ok(approval_cookie($t, $wr), 'wait after the approval: cookie');

# --- the wait endpoint without or with a wrong secret --------------------------------

$u = user();
($res, $j, $push) = challenge("/admin/x.txt?u=$u");
my $pend = $j->{pending};
(my $wrong = $pend) =~ s/^(.)/$1 eq 'A' ? 'B' : 'A'/e;
my $r = $t->http(path => $j->{wait}, headers => [$JS]);
is($r->{status}, 404, 'wait without the pending secret: 404');
is(json_of($r)->{reason}, 'not_found', 'wait without the secret: not_found');
$r = $t->http(path => $j->{wait}, headers => [$JS, "Push-Approval-Pending: $wrong"]);
is($r->{status}, 404, 'wait with a wrong secret (header): 404');
$r = $t->http(path => $j->{wait}, headers => [$JS, "Cookie: pa_pending_$j->{approval_id}=$wrong"]);
is($r->{status}, 404, 'wait with a wrong secret (cookie): 404');
$r = $t->http(path => $j->{wait}, headers => [$JS, "Push-Approval-Pending: $pend$pend"]);
is($r->{status}, 404, 'wait with a too long secret: 404');

# another challenge's secret does not open this one
my ($res2, $j2, $push2) = challenge('/admin/x.txt?u=' . user());
$r = $t->http(path => $j->{wait}, headers => [$JS, "Push-Approval-Pending: $j2->{pending}"]);
is($r->{status}, 404, "another challenge's secret: 404");
decide($t, $push2, 'deny');

# --- wrong code, then the right one -----------------------------------------------------

$w = wait_start($j, $JS, "Push-Approval-Pending: $pend");
(my $bad = $j->{code}) =~ s/^(\d)/($1 + 1) % 10/e;
$dec = decide($t, $push, 'approve', code => $bad);
is($dec->{status}, 403, 'wrong code: 403');
is(json_of($dec)->{reason}, 'code_mismatch', 'wrong code: code_mismatch');
ok(still_held($w, 0.2), 'wrong code: the requester still waits');
$dec = decide($t, $push, 'approve', code => $j->{code});
is($dec->{status}, 200, 'then the right code still works');
$wr = $t->http_wait($w, 5);
is($wr->{status}, 200, 'wait: approved after one wrong code');
ok(approval_cookie($t, $wr), 'wait: cookie after one wrong code');

# --- three wrong codes (a missing one counts) deny the challenge ---------------------------

$u = user();
($res, $j, $push) = challenge("/admin/x.txt?u=$u");
$w = wait_start($j, $JS, "Push-Approval-Pending: $j->{pending}");
($bad = $j->{code}) =~ s/(\d)$/($1 + 3) % 10/e;
$dec = decide($t, $push, 'approve', code => $bad);
is($dec->{status}, 403, 'first wrong code: 403');
$dec = decide($t, $push, 'approve');
is($dec->{status}, 403, 'missing code: 403');
is(json_of($dec)->{reason}, 'code_mismatch', 'missing code: code_mismatch');
ok(still_held($w, 0.2), 'after two wrong codes the requester still waits');
$dec = decide($t, $push, 'approve', code => '');
is($dec->{status}, 403, 'third (empty) code: 403');
is(json_of($dec)->{reason}, 'code_mismatch', 'third: code_mismatch');
$wr = $t->http_wait($w, 5);
is($wr->{status}, 403, 'waiting client: 403');
is(json_of($wr)->{reason}, 'code_mismatch', 'waiting client: code_mismatch');
is(json_of($wr)->{approval_id}, $j->{approval_id}, 'waiting client: approval_id');
ok(!approval_cookie($t, $wr), 'waiting client: no cookie');
$dec = decide($t, $push, 'approve', code => $j->{code});
is($dec->{status}, 410, 'the right code after the third wrong one: 410');

# --- deny needs no code -----------------------------------------------------------------

($res, $j, $push) = challenge('/admin/x.txt?u=' . user());
$w = wait_start($j, $JS, "Push-Approval-Pending: $j->{pending}");
$dec = decide($t, $push, 'deny');
is($dec->{status}, 200, 'deny without a code');
is(json_of($dec)->{status}, 'denied', 'denied');
$wr = $t->http_wait($w, 5);
is($wr->{status}, 403, 'waiting client after deny: 403');
is(json_of($wr)->{reason}, 'denied', 'waiting client after deny: denied');

# --- push_approval_code_digits 8 ------------------------------------------------------------

($res, $j, $push) = challenge('/eight/?u=' . user());
is($res->{status}, 401, 'digits 8: 401');
like($j->{code} // '', qr/^\d{8}$/, 'digits 8: code of 8 digits');
is($push && index($push->{body}, $j->{code}), -1, 'digits 8: code not in the push');
$w = wait_start($j, $JS, "Push-Approval-Pending: $j->{pending}");
$dec = decide($t, $push, 'approve', code => substr($j->{code}, 0, 6));
is($dec->{status}, 403, 'digits 8: six of the eight digits are wrong');
$dec = decide($t, $push, 'approve', code => $j->{code});
is($dec->{status}, 200, 'digits 8: approved with eight digits');
is($t->http_wait($w, 5)->{status}, 200, 'digits 8: waiting client approved');

# --- push_approval_code_digits 0: no code, the request is held ------------------------------

$u = user();
my $h = $t->http_start(path => "/nocode/?u=$u", headers => [$JS]);
$push = $t->wait_push(5);
ok($push, 'digits 0: push');
ok($push && !$push->{json}{code_required}, 'digits 0: no code required');
ok(still_held($h, 0.5), 'digits 0: the request is held, no 401');
is(index($t->http(path => "/_pa/console/?who=$u", headers => [$JS])->{body},
    $push->{json}{id}), -1,
    'digits 0: a self-approval is not listed in its requester\'s console');
$dec = decide($t, $push, 'approve');
is($dec->{status}, 200, 'digits 0: approved without a code');
$res = $t->http_wait($h, 5);
is($res->{status}, 200, 'digits 0: held request resumed');
is($res->{body}, "nocode page\n", 'digits 0: content');
ok(approval_cookie($t, $res), 'digits 0: cookie');

# --- push_approval_mode hold with self-approval is still two-step ----------------------------

($res, $j, $push) = challenge('/holdmode/?u=' . user());
is($res->{status}, 401, 'mode hold + self-approval: 401');
is($j->{reason}, 'approval_pending', 'mode hold: approval_pending');
like($j->{code} // '', qr/^\d{6}$/, 'mode hold: a code');
ok($push && $push->{json}{code_required}, 'mode hold: push says code_required');
$w = wait_start($j, $JS, "Push-Approval-Pending: $j->{pending}");
decide($t, $push, 'approve', code => $j->{code});
is($t->http_wait($w, 5)->{status}, 200, 'mode hold: approved through wait');

$t->done;
done_testing;
