#!/usr/bin/perl

# The `nginx -t` matrix (docs/directives.md): a full valid configuration
# passes; every invalid one fails, naming the directive and the reason; each
# directive is accepted in the contexts its "Context:" line lists and
# refused in the others.
#
# "Naming the directive": the output spells its name, or nginx's
# "in FILE:LINE" points at the line that holds it (every directive under
# test sits on a line of its own, as nginx's own generic slots, e.g.
# `invalid value "x"`, only give the line).

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use Test::More;
use MIME::Base64 ();

my $t = PA::Test->new(workers => 2);

# --- helpers ------------------------------------------------------------------

my $STD_LOC = join "\n", 'push_approval zone=pa;',
    'push_approval_user $arg_u;', 'push_approval_notify /_pa/notify;';

# A protected server; every part can be replaced or dropped ('').
#   zone secret url node http    lines in http{}
#   server                       lines in server{}
#   wait                         the wait endpoint location
#   loc                          the directives of location /admin/
#   locations                    more locations
#   servers                      more server{} blocks
sub conf {
    my (%o) = @_;
    my %d = (
        zone   => 'push_approval_zone zone=pa:1m;',
        secret => 'push_approval_secret_file %%SECRET%%;',
        url    => 'push_approval_endpoint_url http://127.0.0.1:%%PORT%%/_pa/approve/;',
        http   => '',
        server => '',
        wait   => "location /_pa/wait/ {\npush_approval_endpoint wait;\n}",
        loc    => $STD_LOC,
        locations => '',
        servers   => '',
    );
    %d = (%d, %o);
    return <<"EOF";
$d{zone}
$d{secret}
$d{url}
$d{http}
server {
listen 127.0.0.1:%%PORT%%;
server_name localhost;
root %%DIR%%/html;
$d{server}
location = /_pa/notify {
internal;
proxy_pass http://127.0.0.1:%%PORT1%%/push;
proxy_method POST;
proxy_pass_request_headers off;
proxy_set_body \$push_approval_json;
}
$d{wait}
location /_pa/approve/ {
push_approval_endpoint approve;
}
location /_pa/console/ {
push_approval_endpoint console identity=\$arg_who;
}
location /admin/ {
$d{loc}
}
$d{locations}
}
$d{servers}
EOF
}

# the location's directives without the STD line of $directive
sub std_without {
    my ($directive) = @_;
    return join "\n", grep { !/^\Q$directive\E\s/ } split /\n/, $STD_LOC;
}

# does the nginx output name $directive (literally, or by the conf line)?
sub names_directive {
    my ($out, $conf, $directive) = @_;
    return 1 if $out =~ /(?<![A-Za-z_])\Q$directive\E(?![A-Za-z_])/;
    my @lines = split /\n/, ($t->read_file($conf) // '');
    while ($out =~ /\[emerg\].*? in (\S+):(\d+)\s*$/mg) {
        my ($file, $n) = ($1, $2);
        next unless $file eq $conf;
        my $l = $lines[$n - 1] // '';
        return 1 if $l =~ /^\s*\Q$directive\E(\s|;)/;
    }
    return 0;
}

sub passes {
    my ($name, %o) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my ($ok, $out) = $t->nginx_test(conf(%o));
    ok($ok, "passes: $name") or diag($out);
}

# fails($name, $directive, qr/reason/, %conf)
sub fails {
    my ($name, $directive, $reason, %o) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my ($ok, $out, $conf) = $t->nginx_test(conf(%o));
    ok(!$ok, "fails: $name") or return '';
    ok(names_directive($out, $conf, $directive), "$name: names $directive")
        or diag($out);
    # the reason, in the message itself (not in a path or nginx's trailer)
    my $why = join "\n", grep { !/configuration file .* test failed/ } split /\n/, $out;
    $why =~ s{"/[^"]+"}{"PATH"}g;
    $why =~ s{ in /\S+:\d+}{}g;
    like($why, $reason, "$name: says why") or diag($out);
    return $out;
}

sub secret_line {
    my ($kid, $bytes) = @_;
    open my $r, '<:raw', '/dev/urandom' or die;
    read($r, my $key, $bytes) == $bytes or die;
    return "$kid " . MIME::Base64::encode_base64($key, '') . "\n";
}

# --- a full valid configuration ------------------------------------------------

passes('minimal protected server');

$t->write_file('secret2', secret_line('k2', 32) . secret_line('old-1', 64), 0600);

passes('full configuration',
    secret => 'push_approval_secret_file %%DIR%%/secret2;',
    http => <<'EOF',
push_approval_node node-a;
push_approval_user $arg_u;
push_approval_approver ops;
push_approval_unlocks "the admin area";
push_approval_methods GET POST;
push_approval_ttl 24h;
push_approval_wait 10m;
push_approval_notify /_pa/notify;
push_approval_mode auto;
push_approval_code_digits 6;
push_approval_bind ip agent;
push_approval_cookie pa_all secure=auto samesite=strict;
EOF
    server => <<'EOF',
push_approval_approver $arg_approver;
push_approval_unlocks "server words";
push_approval_methods GET HEAD POST PUT DELETE PATCH OPTIONS;
push_approval_ttl 1h;
push_approval_wait 2m;
push_approval_mode hold;
push_approval_code_digits 8;
push_approval_bind ip;
push_approval_cookie __Host-pa secure=on samesite=lax;
location = /_pa/metrics {
push_approval_metrics;
}
EOF
    loc => <<'EOF',
push_approval zone=pa;
push_approval_user $remote_user;
push_approval_notify /_pa/notify;
push_approval_approver ops;
push_approval_unlocks "location words";
push_approval_scope /admin/;
push_approval_methods GET;
push_approval_ttl 15m;
push_approval_wait 60s;
push_approval_mode page;
push_approval_code_digits 7;
push_approval_bind agent;
push_approval_cookie pa_admin secure=off samesite=lax;
EOF
    locations => <<'EOF',
location ~ ^/re/ {
push_approval zone=pa;
push_approval_scope /re/;
}
location @named {
push_approval zone=pa;
push_approval_scope /named/;
}
location /open/ {
push_approval off;
}
location /bind0/ {
push_approval zone=pa;
push_approval_bind;
}
EOF
);

passes('server-level push_approval, endpoints inside the server',
    loc => 'push_approval off;',
    server => "push_approval zone=pa;\npush_approval_user \$arg_u;\n"
        . "push_approval_notify /_pa/notify;");

passes('endpoint_url in server{}', url => '',
    server => 'push_approval_endpoint_url https://pa.example.com/_pa/approve/;');

passes('no protected place: endpoints only', loc => '');

for my $d (0, 6, 7, 8) {
    passes("code_digits $d", loc => "$STD_LOC\npush_approval_code_digits $d;");
}
passes('wait 10m (the maximum)', loc => "$STD_LOC\npush_approval_wait 10m;");
passes('wait 1s', loc => "$STD_LOC\npush_approval_wait 1s;");
passes('ttl 24h (the maximum)', loc => "$STD_LOC\npush_approval_ttl 24h;");
passes('ttl 1s', loc => "$STD_LOC\npush_approval_ttl 1s;");
passes('regex location with a scope', locations =>
    "location ~ ^/re/ {\n$STD_LOC\npush_approval_scope /re/;\n}");
passes('named location with a scope', locations =>
    "location \@n {\n$STD_LOC\npush_approval_scope /n/;\n}");
passes('__Host- cookie, secure=on', loc => "$STD_LOC\npush_approval_cookie __Host-pa secure=on;");
passes('__Host- cookie, secure=auto', loc => "$STD_LOC\npush_approval_cookie __Host-pa;");
passes('every known method', loc => "$STD_LOC\npush_approval_methods GET HEAD POST PUT "
    . "DELETE PATCH OPTIONS;");

# --- failing configurations ----------------------------------------------------------

fails('wait over 10m', 'push_approval_wait', qr/10m/,
    loc => "$STD_LOC\npush_approval_wait 11m;");
fails('wait 601s', 'push_approval_wait', qr/10m/,
    loc => "$STD_LOC\npush_approval_wait 601s;");
fails('wait 0', 'push_approval_wait', qr/more than 0|at least|positive|must/,
    loc => "$STD_LOC\npush_approval_wait 0;");
fails('wait over 10m in http{}', 'push_approval_wait', qr/10m/,
    http => 'push_approval_wait 1h;');
fails('ttl over 24h', 'push_approval_ttl', qr/24h/,
    loc => "$STD_LOC\npush_approval_ttl 25h;");
fails('ttl over 24h in server{}', 'push_approval_ttl', qr/24h/,
    server => 'push_approval_ttl 2d;');
for my $d (5, 9, 1) {
    fails("code_digits $d", 'push_approval_code_digits', qr/6\D+8/,
        loc => "$STD_LOC\npush_approval_code_digits $d;");
}
fails('regex location without a scope', 'push_approval_scope', qr/regex/,
    locations => "location ~ ^/re/ {\n$STD_LOC\n}");
fails('named location without a scope', 'push_approval_scope', qr/named/,
    locations => "location \@n {\n$STD_LOC\n}");
fails('regex location inheriting server-level push_approval, no scope',
    'push_approval_scope', qr/regex/,
    loc => 'push_approval off;',
    server => "push_approval zone=pa;\npush_approval_user \$arg_u;\n"
        . "push_approval_notify /_pa/notify;",
    locations => "location ~ \\.php\$ {\nroot %%DIR%%/php;\n}");
fails('protected server without a wait endpoint', 'push_approval_endpoint wait',
    qr/needs|requires|missing|without/, wait => '');
fails('wait endpoint only in another server', 'push_approval_endpoint wait',
    qr/needs|requires|missing|without/, wait => '',
    servers => "server {\nlisten 127.0.0.1:%%PORT2%%;\n"
        . "location /_pa/wait/ {\npush_approval_endpoint wait;\n}\n}");
fails('protected place without push_approval_user', 'push_approval_user',
    qr/require|needs|missing|not set/, loc => std_without('push_approval_user'));
fails('protected place without push_approval_notify', 'push_approval_notify',
    qr/require|needs|missing|not set/, loc => std_without('push_approval_notify'));
fails('__Host- cookie with secure=off', 'push_approval_cookie',
    qr/__Host-.*secure=off|secure=off.*__Host-/,
    loc => "$STD_LOC\npush_approval_cookie __Host-pa secure=off;");

# secret files
fails('missing secret file', 'push_approval_secret_file',
    qr/No such file|not found|cannot open|does not exist/,
    secret => 'push_approval_secret_file %%DIR%%/nonexistent;');

$t->write_file('short', secret_line('k1', 16), 0600);
fails('secret file with a 16-byte key', 'push_approval_secret_file',
    qr/16 bytes|short|at least 32|32 to/,
    secret => 'push_approval_secret_file %%DIR%%/short;');

$t->write_file('badb64', "k1 not*base64!at/all==\n", 0600);
fails('secret file with malformed base64', 'push_approval_secret_file',
    qr/base64|malformed/i,
    secret => 'push_approval_secret_file %%DIR%%/badb64;');

my $nokid = secret_line('x', 32);
$nokid =~ s/^x //;
$t->write_file('nokid', $nokid, 0600);
fails('secret file line without a key id', 'push_approval_secret_file',
    qr/malformed|KID|key id/i,
    secret => 'push_approval_secret_file %%DIR%%/nokid;');

$t->write_file('second-bad', secret_line('k1', 32) . "k2 AAAA\n", 0600);
fails('secret file whose second key is short', 'push_approval_secret_file',
    qr/line 2|bytes|short|base64/,
    secret => 'push_approval_secret_file %%DIR%%/second-bad;');

$t->write_file('empty', '', 0600);
fails('empty secret file', 'push_approval_secret_file', qr/no key|empty/i,
    secret => 'push_approval_secret_file %%DIR%%/empty;');

for my $mode (0640, 0604, 0660, 0644) {
    my $name = sprintf 'secret-perm-%04o', $mode;
    $t->write_file($name, secret_line('k1', 32), $mode);
    chmod $mode, $t->dir . "/$name";
    my $out = fails(sprintf('secret file mode %04o', $mode), 'push_approval_secret_file',
        qr/group|world|readable|accessible|permission|chmod|mode/i,
        secret => "push_approval_secret_file %%DIR%%/$name;");
    # the module chose to print the mode: it must be the real one
    my $m = sprintf '%o', $mode;
    if ($out =~ /mode/) {
        like($out, qr/mode\D{0,3}0?\Q$m\E\b/, sprintf('mode %04o: the message shows the mode', $mode));
    }
}

fails('unknown method', 'push_approval_methods', qr/FETCH/,
    loc => "$STD_LOC\npush_approval_methods GET FETCH;");
fails('lowercase method', 'push_approval_methods', qr/get/,
    loc => "$STD_LOC\npush_approval_methods get;");
fails('undefined zone', 'push_approval', qr/nosuch/,
    loc => "push_approval zone=nosuch;\npush_approval_user \$arg_u;\n"
        . "push_approval_notify /_pa/notify;");
fails('push_approval without zone=', 'push_approval', qr/zone=|off/,
    loc => "push_approval pa;\npush_approval_user \$arg_u;\n"
        . "push_approval_notify /_pa/notify;");
fails('endpoint_url not absolute', 'push_approval_endpoint_url', qr/absolute|http/,
    url => 'push_approval_endpoint_url /_pa/approve/;');
fails('endpoint_url without a trailing slash', 'push_approval_endpoint_url', qr{"/"|trailing|slash},
    url => 'push_approval_endpoint_url http://127.0.0.1/_pa/approve;');
fails('endpoint_url with another scheme', 'push_approval_endpoint_url', qr/absolute|http/,
    url => 'push_approval_endpoint_url ftp://127.0.0.1/_pa/approve/;');
fails('invalid mode', 'push_approval_mode', qr/sometimes/,
    loc => "$STD_LOC\npush_approval_mode sometimes;");
fails('invalid bind parameter', 'push_approval_bind', qr/port/,
    loc => "$STD_LOC\npush_approval_bind ip port;");
fails('endpoint of an unknown kind', 'push_approval_endpoint', qr/status/,
    locations => "location /_pa/status/ {\npush_approval_endpoint status;\n}");
fails('protected place without a secret file', 'push_approval_secret_file',
    qr/require|needs|missing|not set/, secret => '');
fails('protected server without push_approval_endpoint_url',
    'push_approval_endpoint_url', qr/require|needs|missing|not set/, url => '');
fails('invalid cookie parameter', 'push_approval_cookie', qr/secure=maybe/,
    loc => "$STD_LOC\npush_approval_cookie pa_x secure=maybe;");
fails('invalid zone size', 'push_approval_zone', qr/size|small/,
    zone => 'push_approval_zone zone=pa:1;');

# duplicates, each directive twice at the same level
my @dups = (
    [ 'push_approval_zone', zone => "push_approval_zone zone=pa:1m;\npush_approval_zone zone=pa:1m;" ],
    [ 'push_approval_secret_file', secret => "push_approval_secret_file %%SECRET%%;\n"
        . "push_approval_secret_file %%SECRET%%;" ],
    [ 'push_approval_endpoint_url', url => "push_approval_endpoint_url http://127.0.0.1/a/;\n"
        . "push_approval_endpoint_url http://127.0.0.1/b/;" ],
    [ 'push_approval_node', http => "push_approval_node a;\npush_approval_node b;" ],
    [ 'push_approval', loc => "$STD_LOC\npush_approval zone=pa;" ],
    [ 'push_approval_user', loc => "$STD_LOC\npush_approval_user \$arg_v;" ],
    [ 'push_approval_notify', loc => "$STD_LOC\npush_approval_notify /_pa/notify;" ],
    (map { [ $_->[0], loc => "$STD_LOC\n$_->[0] $_->[1];\n$_->[0] $_->[1];" ] }
        [ push_approval_approver => 'ops' ],
        [ push_approval_unlocks => 'x' ],
        [ push_approval_scope => '/admin/' ],
        [ push_approval_methods => 'GET' ],
        [ push_approval_ttl => '1m' ],
        [ push_approval_wait => '1m' ],
        [ push_approval_mode => 'hold' ],
        [ push_approval_code_digits => '6' ],
        [ push_approval_bind => 'ip' ],
        [ push_approval_cookie => 'pa_x' ]),
    [ 'push_approval_endpoint', wait => "location /_pa/wait/ {\npush_approval_endpoint wait;\n"
        . "push_approval_endpoint wait;\n}" ],
    [ 'push_approval_metrics', locations => "location /m/ {\npush_approval_metrics;\n"
        . "push_approval_metrics;\n}" ],
);
for my $d (@dups) {
    my ($directive, %o) = @$d;
    fails("duplicate $directive", $directive, qr/duplicate/, %o);
}

# --- contexts (each directive's Context: line) -------------------------------------

# directive => [ value, contexts it is allowed in ]
my %ctx = (
    push_approval_zone         => [ 'zone=pa2:1m', 'http' ],
    push_approval_secret_file  => [ '%%SECRET%%', 'http' ],
    push_approval_endpoint_url => [ 'http://127.0.0.1:%%PORT%%/_pa/approve/', 'http', 'server' ],
    push_approval_node         => [ 'node-b', 'http' ],
    push_approval              => [ 'zone=pa', 'server', 'location' ],
    push_approval_user         => [ '$arg_u', 'http', 'server', 'location' ],
    push_approval_approver     => [ 'ops', 'http', 'server', 'location' ],
    push_approval_unlocks      => [ '"the admin area"', 'http', 'server', 'location' ],
    push_approval_scope        => [ '/admin/', 'location' ],
    push_approval_methods      => [ 'GET POST', 'http', 'server', 'location' ],
    push_approval_ttl          => [ '1h', 'http', 'server', 'location' ],
    push_approval_wait         => [ '30s', 'http', 'server', 'location' ],
    push_approval_notify       => [ '/_pa/notify', 'http', 'server', 'location' ],
    push_approval_mode         => [ 'hold', 'http', 'server', 'location' ],
    push_approval_code_digits  => [ '0', 'http', 'server', 'location' ],
    push_approval_bind         => [ 'ip', 'http', 'server', 'location' ],
    push_approval_cookie       => [ 'pa_c samesite=lax', 'http', 'server', 'location' ],
    push_approval_endpoint     => [ 'console', 'location' ],
    push_approval_metrics      => [ '', 'location' ],
);

# directives that are part of the base configuration at a fixed level
my %base_key = (
    push_approval_zone => 'zone', push_approval_secret_file => 'secret',
    push_approval_endpoint_url => 'url',
);

for my $d (sort keys %ctx) {
    my ($value, @allowed) = @{ $ctx{$d} };
    my %allowed = map { $_ => 1 } @allowed;
    my $line = length $value ? "$d $value;" : "$d;";
    for my $c (qw(http server location)) {
        my %o = (loc => std_without($d));
        # the base copy of an http-level directive moves to the placement
        # (a zone stays: a second one, pa2, is defined beside it)
        $o{ $base_key{$d} } = '' if $base_key{$d} && $d ne 'push_approval_zone';
        if ($c eq 'http') {
            $o{http} = $line;
        } elsif ($c eq 'server') {
            $o{server} = $line;
            if ($d eq 'push_approval') {
                $o{server} .= "\npush_approval_user \$arg_u;\n"
                    . "push_approval_notify /_pa/notify;";
                $o{loc} = '';
            }
        } elsif ($d =~ /^push_approval_(?:endpoint|metrics|zone|secret_file|endpoint_url|node)$/) {
            $o{locations} = "location /x/ {\n$line\n}";
        } else {
            $o{loc} .= "\n$line";
        }
        if ($allowed{$c}) {
            my ($ok, $out) = $t->nginx_test(conf(%o));
            ok($ok, "$d accepted in $c") or diag($out);
        } else {
            my ($ok, $out, $conf) = $t->nginx_test(conf(%o));
            ok(!$ok, "$d refused in $c");
            like($out, qr/"\Q$d\E" directive is not allowed here/,
                "$d in $c: not allowed here") or diag($out);
        }
    }
}

# the explicit examples of the brief
{
    my ($ok, $out) = $t->nginx_test(conf(server => 'push_approval_scope /admin/;'));
    ok(!$ok && $out =~ /"push_approval_scope" directive is not allowed here/,
        'push_approval_scope in server{} refused') or diag($out);
    ($ok, $out) = $t->nginx_test(conf(server => 'push_approval_zone zone=pb:1m;'));
    ok(!$ok && $out =~ /"push_approval_zone" directive is not allowed here/,
        'push_approval_zone in server{} refused') or diag($out);
}

# Standard Webhooks decisions are not built: their directives
# and endpoint are refused by name, never accepted and ignored
fails('webhook secret', 'push_approval_webhook_secret',
    qr/not available in this version/,
    http => 'push_approval_webhook_secret %%SECRET%%;');
fails('webhook secret in a location', 'push_approval_webhook_secret',
    qr/not available in this version/,
    loc => "$STD_LOC\npush_approval_webhook_secret %%SECRET%%;");
fails('inbound webhook secret', 'push_approval_webhook_inbound_secret',
    qr/not available in this version/,
    locations => "location /_pa/hook/ {\npush_approval_webhook_inbound_secret %%SECRET%%;\n}");
fails('webhook endpoint', 'push_approval_endpoint',
    qr/"webhook" is not available in this version/,
    locations => "location /_pa/hook/ {\npush_approval_endpoint webhook;\n}");

# --- setups nginx accepts but that leave the gate open: warnings -------------
#
# Each warning names the "push_approval" line (file:line) and the fix, and
# is absent from the corresponding safe setup.

# warns($name, qr/reason/, $conf_text): passes nginx -t with that [warn]
# pointing at the line of "push_approval zone="
sub warns {
    my ($name, $reason, $text) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my ($ok, $out, $conf) = $t->nginx_test($text);
    ok($ok, "$name: passes nginx -t") or diag($out);
    my @lines = split /\n/, ($t->read_file($conf) // '');
    my ($w) = grep { /\[warn\]/ && $_ =~ $reason } split /\n/, $out;
    ok($w, "$name: warns") or return diag($out);
    my ($file, $n) = $w =~ / in (\S+):(\d+)/;
    ok($file && $file eq $conf && ($lines[$n - 1] // '') =~ /^push_approval zone=/,
        "$name: names the push_approval line") or diag($w);
}

sub quiet {
    my ($name, $reason, $text) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my ($ok, $out) = $t->nginx_test($text);
    ok($ok && !grep({ /\[warn\]/ && $_ =~ $reason } split /\n/, $out),
        "$name: no warning") or diag($out);
}

my $RETURN = qr/"return" in .* never gated; move it to a location without "push_approval"/;
warns('return in a protected location', $RETURN,
    conf(loc => "$STD_LOC\nreturn 200 'hi';"));
warns('return in an if{} of a protected location', $RETURN,
    conf(loc => "$STD_LOC\nif (\$arg_x) {\nreturn 200 'hi';\n}"));
warns('return in the server{} of a protected location', qr/"return" in the server\{\}/,
    conf(server => "if (\$arg_x) {\nreturn 200 'hi';\n}"));
quiet('return in a location without push_approval', $RETURN,
    conf(locations => "location /open/ {\nreturn 200 'hi';\n}"));
quiet('redirect and refusal in a protected location', $RETURN,
    conf(loc => "$STD_LOC\nif (\$arg_x) {\nreturn 301 /elsewhere/;\n}\n"
        . "if (\$arg_y) {\nreturn 403;\n}"));
quiet('rewrite ... break in a protected location', $RETURN,
    conf(loc => "$STD_LOC\nrewrite ^/admin/(.*)\$ /admin/x/\$1 break;"));

my $SEPARATE = qr/"push_approval_separate on" .* no "push_approval_endpoint approve" here has "identity="/;
my $separate = conf(loc => "$STD_LOC\npush_approval_separate on;");
warns('separate on, approve endpoint without identity=', $SEPARATE, $separate);
(my $with_id = $separate)
    =~ s/push_approval_endpoint approve;/push_approval_endpoint approve identity=\$arg_who;/;
quiet('separate on, approve endpoint with identity=', $SEPARATE, $with_id);
(my $no_approve = $separate)
    =~ s{location /_pa/approve/ \{\npush_approval_endpoint approve;\n\}}{};
quiet('separate on, the approve endpoint elsewhere', $SEPARATE, $no_approve);

my $REMOTE = qr/"push_approval_user \$remote_user" .* any client names the user/;
my $remote_loc = std_without('push_approval_user') . "\npush_approval_user \$remote_user;";
$t->write_file('htpasswd', "ops:{PLAIN}x\n");
my $basic = "auth_basic \"admin\";\nauth_basic_user_file %%DIR%%/htpasswd;";
warns('$remote_user without auth_basic', qr/no "auth_basic" checks the password/,
    conf(loc => $remote_loc));
warns('$remote_user, auth_basic off here', qr/no "auth_basic" checks the password/,
    conf(server => $basic, loc => "$remote_loc\nauth_basic off;"));
warns('$remote_user under satisfy any', qr/under "satisfy any"/,
    conf(loc => "$remote_loc\n$basic\nsatisfy any;\nallow 127.0.0.1;\ndeny all;"));
quiet('$remote_user with auth_basic, satisfy all', $REMOTE,
    conf(loc => "$remote_loc\n$basic"));
quiet('$remote_user with auth_basic from the server{}', $REMOTE,
    conf(server => $basic, loc => $remote_loc));
quiet('$http_x_remote_user is another variable', $REMOTE,
    conf(loc => std_without('push_approval_user') . "\npush_approval_user \$http_x_remote_user;"));

$t->done;
done_testing;
