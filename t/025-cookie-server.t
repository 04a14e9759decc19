#!/usr/bin/perl

# Which server and which approver a cookie is for.  "The server" is the
# server{}'s configured identity: its first server_name, or
# push_approval_server_id where that is empty, "_" or a regex; never the
# Host a client sends.  The cookie also holds a keyed hash of its approver.
# So a cookie approved on one server{}, or by one approver, opens no
# other, whatever the Host; nginx -t refuses a protected server{} without
# an identity; two nodes with the same configuration and secret accept each
# other's cookies.
#
# Server A (a.test) and server B (server_name "", push_approval_server_id
# b-id) listen on two ports.  A request to B's port with "Host: a.test"
# is B's, as nginx routes by port first: the old module took that Host as
# B's name, and A's cookie opened B.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std qw(decide approval b64url_encode b64url_decode);
use Test::More;
use Digest::SHA ();
use MIME::Base64 ();

my $t = PA::Test->new(workers => 2);

$t->write_file("html/$_/index.html", "$_ page\n") for qw(app named x x/y);

my $NOTIFY = PA::Std::notify_location();

sub conf {
    my ($secret) = @_;
    return <<"EOF";
    $PA::Std::LOG_FORMAT
    access_log %%DIR%%/access.log pa;
    push_approval_zone zone=pa:1m;
    push_approval_secret_file $secret;
    push_approval_endpoint_url http://127.0.0.1:%%PORT%%/_pa/approve/;
    push_approval_mode hold;
    push_approval_wait 10s;
    $PA::Std::LOOSE

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name a.test;
        root %%DIR%%/html;

$NOTIFY
        location /_pa/wait/ { push_approval_endpoint wait; }
        location /_pa/approve/ { push_approval_endpoint approve; }

        location /app/ { $PA::Std::STD push_approval_approver ops-a; }
        location /named/ { $PA::Std::STD push_approval_approver ops;
                           push_approval_cookie pa_named; }

        # one scope and cookie name, two approvers
        location /x/ { $PA::Std::STD push_approval_approver ops-x;
                       push_approval_cookie pa_x; }
        location /x/y/ { $PA::Std::STD push_approval_approver ops-y;
                         push_approval_cookie pa_x; push_approval_scope /x/; }
    }

    server {
        listen 127.0.0.1:%%PORT1%%;
        server_name "";
        push_approval_server_id b-id;
        root %%DIR%%/html;

$NOTIFY
        location /_pa/wait/ { push_approval_endpoint wait; }

        location /app/ { $PA::Std::STD push_approval_approver ops-b; }
        location /named/ { $PA::Std::STD push_approval_approver ops;
                           push_approval_cookie pa_named; }
    }
EOF
}

$t->start(conf('%%SECRET%%'));

my $PA = $t->port(0);
my $PB = $t->port(1);

# --- helpers ------------------------------------------------------------------

# the approval cookie a response set: "Cookie: name=value"
sub approval_cookie {
    my ($tt, $res) = @_;
    my $c = $tt->cookies($res);
    my ($name) = grep { !/^pa_pending/ } sort keys %$c;
    return $name ? ("$name=$c->{$name}", $name, $c->{$name}) : ('', '', '');
}

# a cookie that must not open the place: a new challenge, to $approver,
# which the test denies; rs=$reason in the log line ('-': not seen at all)
sub refused {
    my ($name, $reason, $approver, %req) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $off = $t->log_size('access.log');
    my $h = $t->http_start(%req);
    my $push = $t->wait_push(5);
    ok($push, "$name: not opened, a new challenge");
    unless ($push) {
        my $res = $t->http_wait($h, 1);
        diag("$name: got status $res->{status}, body: "
            . substr($res->{body} // '', 0, 40));
        return;
    }
    is($push->{json}{approver}, $approver, "$name: the push goes to $approver");
    decide($t, $push, 'deny');
    is($t->http_wait($h, 5)->{status}, 403, "$name: held, denied");
    (my $prefix = $req{path}) =~ s/\?.*//;
    # the denied request's own line: the approval before it may log late
    like($t->wait_log('access.log',
            qr{^\d+ 403 GET \Q$prefix\E\S* st=denied }, 5, $off) // '',
        qr/ rs=\Q$reason\E /, "$name: rs=$reason");
    return $push;
}

sub opens {
    my ($tt, $name, %req) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $r = $tt->http(%req);
    is($r->{status}, 200, "$name: 200") or diag("status $r->{status}");
    ok($tt->no_push(0.3), "$name: no push");
}

# --- a cookie approved on A ---------------------------------------------------

my ($res, $push) = approval($t, 'A /app/', path => '/app/?u=alice', host => 'a.test');
is($push->{json}{approver}, 'ops-a', 'A /app/: the push goes to ops-a') if $push;
is($push->{json}{server}, 'a.test', 'A /app/: server a.test') if $push;
my ($app_a, $app_name, $app_value) = approval_cookie($t, $res);
like($app_name, qr/^pa_[0-9a-f]{8}$/, 'A /app/: default cookie name');

($res) = approval($t, 'A /named/', path => '/named/?u=alice', host => 'a.test');
my ($named_a) = approval_cookie($t, $res);
like($named_a, qr/^pa_named=/, 'A /named/: cookie pa_named');

# the format: version 2, with the approver's hash (kid "k1")
{
    my $raw = b64url_decode($app_value);
    is(ord(substr($raw, 0, 1)), 2, 'cookie version 2');
    is(length($raw), 1 + 1 + 2 + 16 + 8 + 4 + 1 + 6 * 16 + 32,
        'cookie length: six keyed hashes (user, server, scope, approver, ip, agent)');
    unlike($raw, qr/ops-a|a\.test/, 'approver and server not in clear');
}

# still good on A, with either Host
opens($t, 'A cookie on A', path => '/app/?u=alice', host => 'a.test', headers => ["Cookie: $app_a"]);
opens($t, 'A cookie on A, another Host', path => '/app/?u=alice', host => 'b.test',
    headers => ["Cookie: $app_a"]);
opens($t, 'A pa_named on A', path => '/named/?u=alice', host => 'a.test',
    headers => ["Cookie: $named_a"]);

# --- A's cookies at B: never, whatever the Host -------------------------------

# the default name is derived from the server: B has another name for /app/
refused('A cookie at B, Host a.test', '-', 'ops-b',
    path => '/app/?u=alice', port => $PB, host => 'a.test', headers => ["Cookie: $app_a"]);
refused('A cookie at B, Host b.test', '-', 'ops-b',
    path => '/app/?u=alice', port => $PB, host => 'b.test', headers => ["Cookie: $app_a"]);

# the same cookie name, the same approver and scope: the server decides
refused('A pa_named at B, Host a.test', 'server', 'ops',
    path => '/named/?u=alice', port => $PB, host => 'a.test', headers => ["Cookie: $named_a"]);
my $pb = refused('A pa_named at B, Host b.test', 'server', 'ops',
    path => '/named/?u=alice', port => $PB, host => 'b.test', headers => ["Cookie: $named_a"]);
is($pb->{json}{server}, 'b-id', 'B: the push names push_approval_server_id') if $pb;

# the cookie under B's own name for /app/ (a rename by the client)
{
    my ($b_name) = do {
        my ($r) = approval($t, 'B /app/', path => '/app/?u=alice', port => $PB, host => 'a.test');
        approval_cookie($t, $r);
    };
    $b_name =~ s/=.*//;
    isnt($b_name, $app_name, 'B /app/: another default cookie name than A');
    refused('A cookie renamed to B\'s name, at B', 'server', 'ops-b',
        path => '/app/?u=alice', port => $PB, host => 'a.test',
        headers => ["Cookie: $b_name=$app_value"]);
}

# B's own cookie works on B, whatever the Host
{
    my ($r, $p) = approval($t, 'B /named/', path => '/named/?u=bob', port => $PB, host => 'evil.test');
    is($p->{json}{server}, 'b-id', 'B /named/: server b-id, not the Host') if $p;
    my ($named_b) = approval_cookie($t, $r);
    opens($t, 'B pa_named on B, Host a.test', path => '/named/?u=bob', port => $PB,
        host => 'a.test', headers => ["Cookie: $named_b"]);
    refused('B pa_named at A', 'server', 'ops',
        path => '/named/?u=bob', host => 'a.test', headers => ["Cookie: $named_b"]);
}

# --- one server, one scope and cookie name, two approvers ---------------------

{
    my ($r) = approval($t, 'A /x/ (ops-x)', path => '/x/?u=alice', host => 'a.test');
    my ($x) = approval_cookie($t, $r);
    like($x, qr/^pa_x=/, '/x/: cookie pa_x');
    opens($t, 'pa_x on /x/', path => '/x/?u=alice', host => 'a.test', headers => ["Cookie: $x"]);
    refused('pa_x of ops-x on /x/y/ (ops-y)', 'server', 'ops-y',
        path => '/x/y/?u=alice', host => 'a.test', headers => ["Cookie: $x"]);
}

# --- a well-signed cookie of version 1 is refused -----------------------------

{
    # the cookie key: HKDF-SHA256 of the secret (salt "ngx_http_push_approval",
    # info "pa cookie v1"); the MAC is over the length-prefixed value
    my ($b64) = $t->read_file('secret') =~ /^k1 (\S+)/m;
    my $ikm = MIME::Base64::decode_base64($b64);
    my $prk = Digest::SHA::hmac_sha256($ikm, 'ngx_http_push_approval');
    my $key = Digest::SHA::hmac_sha256("pa cookie v1\x01", $prk);
    my $raw = b64url_decode($app_value);
    my $body = substr($raw, 0, length($raw) - 32);
    is(Digest::SHA::hmac_sha256(pack('N', length $body) . $body, $key),
        substr($raw, -32), 'the test computes the module\'s cookie MAC');

    # version 1: no approver field (after user, server, scope)
    my $fixed = 1 + 1 + 2 + 16 + 8 + 4 + 1;
    my $v1 = "\x01" . substr($body, 1, $fixed - 1 + 3 * 16) . substr($body, $fixed + 4 * 16);
    $v1 .= Digest::SHA::hmac_sha256(pack('N', length $v1) . $v1, $key);
    refused('a signed version 1 cookie', 'malformed', 'ops-a',
        path => '/app/?u=alice', host => 'a.test',
        headers => ["Cookie: $app_name=" . b64url_encode($v1)]);
}

# --- nginx -t: a protected server{} needs an identity -------------------------

sub test_conf {
    my ($server) = @_;
    return <<"EOF";
    push_approval_zone zone=pa:1m;
    push_approval_secret_file %%SECRET%%;
    push_approval_endpoint_url http://127.0.0.1:%%PORT%%/_pa/approve/;
    server {
        listen 127.0.0.1:%%PORT%%;
        $server
        location /_pa/wait/ { push_approval_endpoint wait; }
        location /app/ { $PA::Std::STD }
    }
EOF
}

for my $c (
    ['no server_name', ''],
    ['server_name ""', 'server_name "";'],
    ['server_name _', 'server_name _;'],
    ['a regex server_name', 'server_name ~^a\.test$ a.test;'],
    ['a server_name with a "/"', 'server_name a/b;'],
) {
    my ($name, $sn) = @$c;
    my ($ok, $out, $path) = $t->nginx_test(test_conf($sn));
    ok(!$ok, "nginx -t: $name, no push_approval_server_id: fails");
    my @lines = split /\n/, $t->read_file($path);
    my ($line) = grep { $lines[$_ - 1] =~ /^\s*server \{/ } 1 .. @lines;
    like($out, qr/the server\{\} in \Q$path\E:$line has no name to bind approvals to.*set "push_approval_server_id NAME"/,
        "nginx -t: $name: names the server{} and the fix") or diag($out);

    ($ok, $out) = $t->nginx_test(test_conf("$sn push_approval_server_id admin-1;"));
    ok($ok, "nginx -t: $name, with push_approval_server_id: passes") or diag($out);
}

{
    my ($ok, $out) = $t->nginx_test(test_conf('server_name a.test ~^b;'));
    ok($ok, 'nginx -t: first server_name a host name, a regex after it: passes') or diag($out);

    ($ok, $out) = $t->nginx_test(test_conf('push_approval_server_id "a b";'));
    ok(!$ok, 'nginx -t: push_approval_server_id with a space: fails');
    like($out, qr/"push_approval_server_id" directive must be 1 to 100 characters/, '... says why');

    ($ok, $out) = $t->nginx_test(test_conf('push_approval_server_id a; push_approval_server_id b;'));
    like($out, qr/"push_approval_server_id" directive is duplicate/, 'nginx -t: duplicate');

    ($ok, $out) = $t->nginx_test(test_conf('push_approval_server_id ' . ('a' x 101) . ';'));
    ok(!$ok, 'nginx -t: push_approval_server_id of 101 characters: fails');

    ($ok, $out) = $t->nginx_test(test_conf('server_name a.test; location /l/ { push_approval_server_id x; }'));
    like($out, qr/"push_approval_server_id" directive is not allowed here/, 'nginx -t: not in a location');

    # a server{} without a name that protects nothing needs none
    ($ok, $out) = $t->nginx_test(test_conf('server_name a.test;')
        . "server { listen 127.0.0.1:%%PORT1%%; location / { } }\n");
    ok($ok, 'nginx -t: an unprotected server{} without a name: passes') or diag($out);
}

# --- two nodes, one configuration and secret: one another's cookies ----------

{
    my $t2 = PA::Test->new(workers => 1);
    $t2->write_file("html/$_/index.html", "$_ page\n") for qw(app named);
    my $secret2 = $t2->write_file('secret-shared', $t->read_file('secret'), 0600);
    $t2->start(conf($secret2));
    my $PB2 = $t2->port(1);

    my ($r) = approval($t, 'node 1 B /app/', path => '/app/?u=carol', port => $PB, host => 'b.test');
    my ($b1) = approval_cookie($t, $r);
    opens($t2, 'node 1 B cookie on node 2 B', path => '/app/?u=carol', port => $PB2,
        host => 'b.test', headers => ["Cookie: $b1"]);

    ($r) = approval($t2, 'node 2 A /app/', path => '/app/?u=carol', host => 'a.test');
    my ($a2) = approval_cookie($t2, $r);
    opens($t, 'node 2 A cookie on node 1 A', path => '/app/?u=carol', host => 'a.test',
        headers => ["Cookie: $a2"]);

    $t2->done;
}

$t->done;

done_testing;
