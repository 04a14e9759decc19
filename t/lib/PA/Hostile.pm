package PA::Hostile;

# The nginx and the helpers of the hostile-input tests (t/090-hostile-*.t,
# t/093 to t/098): one server with a place for each kind of input (/hold/,
# /self/, /ck/, /hx/ with the user from X-User, /hu/NAME/ with the user
# from the path, /flood/ and /floodhold/ on a 32 KB zone, /stream/ on
# another, /secret/ included by SSI from /pub/ and /puboff/) and a second
# server (port 1) without a name.  Each test file starts its own:
#
#   use PA::Hostile qw(:all);
#   my $t = PA::Hostile::start();
#
# Helpers take the PA::Test object first, as PA::Std's do.

use strict;
use warnings;

use Encode ();
use Exporter qw(import);
use JSON::PP ();
use Test::More;

use PA::Test;
use PA::Std qw(json_of push_for log_line);

our $JS = 'Accept: application/json';
our $FORM = 'Content-Type: application/x-www-form-urlencoded';
our $HTML = 'Accept: text/html';

our @EXPORT_OK = qw($JS $FORM $HTML show raw post_form two_step
    two_step_cookie page_status strings_of json_clean skeleton html_clean
    errlog_lines_clean user mint_cookie ck_req);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

# the test's nginx, started: a PA::Test object
sub start {
    my $t = PA::Test->new(workers => 2);

    $t->write_file("html/$_/index.html", "$_ page\n")
        for qw(hold self ck hx flood floodhold secret);
    $t->write_file('html/secret/data.txt', "TOPSECRET-42\n");
    my $shtml = "<p>before</p>\n<!--# include virtual=\"/secret/data.txt?u=ssiu\" -->\n<p>after</p>\n";
    $t->write_file('html/pub/inc.shtml', $shtml);
    $t->write_file('html/puboff/inc.shtml', $shtml);

    # (N is at most 64 for prompt_limit and 16 for lockout)
    my $limits = '';
    {
        my $l = 'push_approval_prompt_limit 64 1m; push_approval_lockout 16 1m;';
        my ($ok) = $t->nginx_test(PA::Std::conf(http => $l));
        $limits = $l if $ok;
    }

    my $NOTIFY = PA::Std::notify_location();

    my $HX = 'push_approval zone=pa; push_approval_user $http_x_user; '
        . 'push_approval_notify /_pa/notify; push_approval_approver ops;';

    $t->start(<<"EOF");
    $PA::Std::LOG_FORMAT
    access_log %%DIR%%/access.log pa;
    push_approval_zone zone=pa:1m;
    push_approval_zone zone=tiny:32k;
    push_approval_zone zone=tiny2:32k;
    push_approval_secret_file %%SECRET%%;
    push_approval_endpoint_url http://127.0.0.1:%%PORT%%/_pa/approve/;
    push_approval_wait 20s;
    $limits

    large_client_header_buffers 4 16k;
    # nginx itself logs the decoded path of a missing file verbatim
    log_not_found off;
    # 303 Locations as the module sets them
    absolute_redirect off;

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;
        root %%DIR%%/html;

$NOTIFY
        location /_pa/wait/ { push_approval_endpoint wait; }
        location /_pa/approve/ { push_approval_endpoint approve; }
        location /_pa/console/ { push_approval_endpoint console identity=\$arg_who; }
        location = /_pa/metrics { push_approval_metrics; }

        location /hold/ { $PA::Std::STD push_approval_approver ops; }
        location /self/ { $PA::Std::STD }
        location /ck/ { $PA::Std::STD }
        location /hx/ { $HX }
        location ~ ^/hu/(?<pa_u>[^/]*)/ {
            push_approval zone=pa; push_approval_user \$pa_u;
            push_approval_notify /_pa/notify; push_approval_approver ops;
            push_approval_scope /hu/;
        }

        location /flood/ {
            push_approval zone=tiny; push_approval_user \$arg_u;
            push_approval_notify /_pa/notify; push_approval_wait 2s;
        }
        location /floodhold/ {
            push_approval zone=tiny; push_approval_user \$arg_u;
            push_approval_notify /_pa/notify; push_approval_wait 2s;
            push_approval_approver ops;
        }

        location /stream/ {
            push_approval zone=tiny2; push_approval_user \$arg_u;
            push_approval_notify /_pa/notify; push_approval_wait 1s;
        }

        location /secret/ { $PA::Std::STD push_approval_approver ops; }
        location /pub/ { ssi on; default_type text/html; }
        location /puboff/ { default_type text/html; }
    }

    # no server name: the module takes push_approval_server_id, never the Host
    server {
        listen 127.0.0.1:%%PORT1%%;
        server_name "";
        push_approval_server_id hostile-id;
        root %%DIR%%/html;

$NOTIFY
        location /_pa/wait/ { push_approval_endpoint wait; }
        location /hx/ { $HX }
    }
EOF

    return $t;
}

# --- helpers ----------------------------------------------------------------

# the bytes as a printable test name
sub show {
    my ($s) = @_;
    $s = substr($s, 0, 40) . '...' if length $s > 43;
    $s =~ s/([^\x21-\x7e])/sprintf('\\x%02x', ord $1)/ge;
    return $s;
}

# a raw HTTP/1.1 request (no Content-Length is added)
sub raw {
    my ($method, $path, @h) = @_;
    my $body = '';
    $body = pop @h if @h && ref $h[-1] eq 'SCALAR';
    $body = $$body if ref $body;
    my %has = map { lc((split /:/, $_, 2)[0]) => 1 } @h;
    my @l = ("$method $path HTTP/1.1");
    push @l, 'Host: localhost' unless $has{host};
    push @l, 'Connection: close' unless $has{connection};
    push @l, @h;
    return join("\r\n", @l) . "\r\n\r\n" . $body;
}

sub post_form {
    my ($t, $path, $body, @h) = @_;
    return $t->http(method => 'POST', path => $path,
        headers => [$JS, $FORM, @h], body => $body);
}

# a two-step challenge on $path: (401 JSON, push)
sub two_step {
    my ($t, $path, $user, @h) = @_;
    my $res = $t->http(path => $path, headers => [$JS, @h]);
    my $j = json_of($res);
    my $push = $res->{status} == 401 ? push_for($t, $user) : undef;
    return ($res, $j, $push);
}

# approve a two-step challenge and redeem the pending secret: the cookie
# header line, or undef
sub two_step_cookie {
    my ($t, $j, $push) = @_;
    my $d = post_form($t, PA::Std::approve_path($push), "decision=approve&code=$j->{code}");
    return undef unless $d->{status} == 200;
    my $w = $t->http(path => $j->{wait}, headers => [$JS, "Push-Approval-Pending: $j->{pending}"]);
    return undef unless $w->{status} == 200;
    my %c = %{ $t->cookies($w) };
    delete $c{$_} for grep { /^pa_pending_/ } keys %c;
    return %c ? $t->cookie_header(\%c) : undef;
}

# the state of a challenge, seen through its approve page (GET never
# decides): 200 while pending, 410 once decided
sub page_status {
    my ($t, $push) = @_;
    return $t->http(path => PA::Std::approve_path($push))->{status};
}

# every string in a decoded JSON structure
sub strings_of {
    my ($v) = @_;
    return ($v) if !ref $v && defined $v;
    return map { strings_of($_) } @$v if ref $v eq 'ARRAY';
    return map { ($_, strings_of($v->{$_})) } keys %$v if ref $v eq 'HASH';
    return ();
}

# a JSON body: strict UTF-8, no raw control character, and decoded strings
# without control characters either.  Returns the decoded value.
sub json_clean {
    my ($body, $what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $bytes = $body // '';
    ok(eval { Encode::decode('UTF-8', my $c = $bytes, Encode::FB_CROAK); 1 },
        "$what: strict UTF-8");
    unlike($bytes, qr/[\x00-\x1f\x7f]/, "$what: no raw control character");
    my $v = eval { JSON::PP->new->utf8->decode($bytes) };
    ok($v, "$what: valid JSON") or diag($@ // '', show($bytes));
    my @bad = grep { /[\x00-\x1f\x7f-\x9f]/ } strings_of($v);
    ok(!@bad, "$what: no control character in any string")
        or diag(map { show(Encode::encode('UTF-8', $_)) . "\n" } @bad);
    return $v;
}

# tag names and attribute names, in order: what markup a page has
sub skeleton {
    my ($html) = @_;
    my @s;
    (my $h = $html) =~ s/<(script|style)\b([^>]*)>.*?<\/\1>/<$1$2><\/$1>/gs;
    while ($h =~ /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/g) {
        my ($close, $tag, $attrs) = ($1, lc $2, $3);
        my @a;
        while ($attrs =~ /([^\s"'=\/>]+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]*))?/g) {
            push @a, lc $1;
        }
        push @s, "$close$tag(" . join(',', @a) . ')';
    }
    return join ' ', @s;
}

# an HTML page: strict UTF-8, no control characters, every <script> and
# <style> carries the CSP nonce, no element or attribute of the client's
# (the markup is the same as that of a page for harmless input)
sub html_clean {
    my ($t, $res, $what, $baseline) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $body = $res->{body} // '';
    ok(eval { Encode::decode('UTF-8', my $c = $body, Encode::FB_CROAK); 1 },
        "$what: strict UTF-8");
    unlike($body, qr/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/, "$what: no control character");
    my ($nonce) = ($t->hdr($res, 'content-security-policy') // '') =~ /'nonce-([^']+)'/;
    my @scripts = $body =~ /<script\b([^>]*)>/gi;
    my @bad = grep { !defined $nonce || !/\bnonce="\Q$nonce\E"/ } @scripts;
    ok(@scripts && !@bad, "$what: every <script> carries the CSP nonce")
        or diag("scripts: @scripts");
    unlike($body, qr/<script>alert|<img|<svg|<b x=/i, "$what: no markup of the client's");
    is(skeleton($body), skeleton($baseline), "$what: same markup as for harmless input")
        if defined $baseline;
}

# every error-log line is one nginx log line
sub errlog_lines_clean {
    my ($t, $what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my @bad = grep { !m{^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[\w+\] } }
        split /\n/, $t->errlog;
    ok(!@bad, "$what: every error-log line starts with a timestamp")
        or diag(map { show($_) . "\n" } @bad[0 .. ($#bad > 4 ? 4 : $#bad)]);
    unlike($t->errlog, qr/\r/, "$what: no CR in the error log");
}

sub user { PA::Std::user($_[0] // 'u', 'z') }

# $cookie_header sent on /ck/ for $user: the status and the log line
sub ck_req {
    my ($t, $user, @cookie) = @_;
    my $off = $t->log_size('access.log');
    my $res = $t->http(path => "/ck/?u=$user", headers => [$JS, @cookie]);
    return ($res, log_line($t, $off, 'GET', '/ck/'));
}

# a cookie minted by a real two-step approval on /ck/ for user ckv, in
# three tests: (name, value, "Cookie: ..." line, approval id)
sub mint_cookie {
    my ($t) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my ($CK_NAME, $CK_VALUE, $CK_COOKIE, $CK_APPROVAL);
    my ($res, $j, $push) = two_step($t, '/ck/?u=ckv', 'ckv');
    is($res->{status}, 401, 'cookie: two-step challenge for the valid cookie');
    $CK_APPROVAL = $j->{approval_id};
    $CK_COOKIE = $push ? two_step_cookie($t, $j, $push) : undef;
    ok($CK_COOKIE, 'cookie: minted by a real approval');
    ($CK_NAME, $CK_VALUE) = ($CK_COOKIE // '') =~ /^Cookie: (pa_[0-9a-f]{8})=(\S+)$/;
    ok($CK_NAME, 'cookie: default name');
    $CK_NAME //= 'pa_00000000';
    $CK_VALUE //= 'x';
    return ($CK_NAME, $CK_VALUE, $CK_COOKIE, $CK_APPROVAL);
}

1;
