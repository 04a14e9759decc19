package PA::Std;

# The configuration most tests share: one protected server with the wait,
# approve and console endpoints, a notify location that posts
# $push_approval_json to the harness's push receiver, and a test log_format
# that shows what the module decided.  Tests pass the protected locations
# (and anything else) they need.
#
#   my $conf = PA::Std::conf(locations => <<'EOF', http => 'extra http text');
#   location /admin/ { push_approval zone=pa; push_approval_user $arg_u; ... }
#   EOF
#
# In location text, %%STD%% expands to the directives every protected place
# needs (zone, user from ?u=, notify), so a test writes
#   location /admin/ { %%STD%% push_approval_approver ops; }

use strict;
use warnings;

use Exporter qw(import);
use MIME::Base64 ();
use Test::More ();
use Time::HiRes ();

our $LOG_FORMAT = q{log_format pa '$pid $status $request_method $uri }
    . q{st=$push_approval_status rs=$push_approval_reason }
    . q{ap=$push_approval_approval';};

# limits loose enough for tests that make many challenges for one user
# (the defaults: 5 challenges per 10m, lockout after 3 failures)
our $LOOSE = 'push_approval_prompt_limit 64 1s; push_approval_lockout 16 1s;';

our $STD = 'push_approval zone=pa; push_approval_user $arg_u; '
    . 'push_approval_notify /_pa/notify;';

sub conf {
    my (%o) = @_;

    my $locations = $o{locations} // '';
    $locations =~ s/%%STD%%/$STD/g;

    my $zone = $o{zone} // 'zone=pa:1m';
    my $http = $o{http} // '';
    my $server = $o{server} // '';
    my $notify = $o{notify} // notify_location();

    return <<"EOF";
    $LOG_FORMAT
    access_log %%DIR%%/access.log pa;
    push_approval_zone $zone;
    push_approval_secret_file %%SECRET%%;
    push_approval_journal %%DIR%%/journal;
    push_approval_endpoint_url http://127.0.0.1:%%PORT%%/_pa/approve/;
    $http

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;
        root %%DIR%%/html;
        $server

$notify
        location /_pa/wait/ { push_approval_endpoint wait; }
        location /_pa/approve/ { push_approval_endpoint approve; }
        location /_pa/console/ {
            push_approval_endpoint console identity=\$arg_who;
        }
        location = /_pa/metrics { push_approval_metrics; }

$locations
    }
EOF
}

# PA::Std::redis_conf($addr, stream => NAME): conf's server, node n1
# shipping its journal to the Redis at $addr (and to the stream NAME), a
# hold-mode /admin/ without a code, and the metrics at /metrics
sub redis_conf {
    my ($addr, %o) = @_;
    my $http = "$LOOSE push_approval_redis $addr; ";
    $http .= "push_approval_stream $o{stream}; " if defined $o{stream};
    return conf(http => $http . 'push_approval_node n1;',
        locations => <<'EOF');
        location /admin/ { %%STD%% push_approval_mode hold;
                           push_approval_code_digits 0; }
        location = /metrics { push_approval_metrics; }
EOF
}

# the notify location every protected place names: it posts
# $push_approval_json to the harness's push receiver and waits
# $read_timeout (3s) for its answer
sub notify_location {
    my ($read_timeout) = @_;
    $read_timeout //= '3s';
    return <<"EOF";
        location = /_pa/notify {
            internal;
            proxy_pass http://127.0.0.1:%%RECEIVER%%/push;
            proxy_method POST;
            proxy_pass_request_headers off;
            proxy_set_header Content-Type application/json;
            proxy_set_body \$push_approval_json;
            proxy_read_timeout $read_timeout;
        }
EOF
}

# the approve URL of a push, as a path on the test server
sub approve_path {
    my ($push) = @_;
    my $url = $push->{json}{approve_url} or return undef;
    $url =~ s{^https?://[^/]+}{};
    return $url;
}

# the port of a push's approve URL (undef when it names none)
sub approve_port {
    my ($push) = @_;
    my $url = $push && $push->{json} && $push->{json}{approve_url} or return undef;
    my ($p) = $url =~ m{^https?://[^/:]+:(\d+)/};
    return $p;
}

# --- Debian's stock http{} directives and a whole server{} ------------------

# what Debian's /etc/nginx/nginx.conf puts in http{} (sendfile, tcp_nopush,
# the mime types, gzip), with keepalive_timeout 65 of older releases
our $STOCK = <<'EOF';
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    keepalive_timeout 65;
    gzip on;
EOF

# http{} text with the stock directives, the test log (with
# $push_approval_status), one zone, the secret and the journal
sub stock_http {
    my (%o) = @_;
    my $extra = $o{http} // '';
    return <<"EOF";
$STOCK
    $LOG_FORMAT
    access_log %%DIR%%/access.log pa;
    push_approval_zone zone=pa:1m;
    push_approval_secret_file %%SECRET%%;
    push_approval_journal %%DIR%%/journal;
    $LOOSE
    $extra
EOF
}

# PA::Std::server(port => '%%PORT1%%', name => 's1.test', server => TEXT,
# locations => TEXT, listen => 'http2', endpoint_url => URL): a server{}
# with its own approve URL (unless endpoint_url names another), the notify
# location, the wait, approve and console endpoints; %%STD%% in the
# locations expands as for conf, but with the user from the X-User header
# (it survives internal redirects, which may drop the query)
sub server {
    my (%o) = @_;
    my $port = $o{port} // '%%PORT%%';
    my $name = $o{name} // 'localhost';
    my $server = $o{server} // '';
    my $locations = $o{locations} // '';
    my $listen = $o{listen} // '';
    my $url = $o{endpoint_url} // "http://127.0.0.1:$port/_pa/approve/";
    my $std = 'push_approval zone=pa; push_approval_user $http_x_user; '
        . 'push_approval_notify /_pa/notify;';
    $locations =~ s/%%STD%%/$std/g;
    chomp(my $notify = notify_location());
    return <<"EOF";
    server {
        listen 127.0.0.1:$port $listen;
        server_name $name;
        root %%DIR%%/html;
        push_approval_endpoint_url $url;
        $server

$notify
        location /_pa/wait/ { push_approval_endpoint wait; }
        location /_pa/approve/ { push_approval_endpoint approve; }
        location /_pa/console/ {
            push_approval_endpoint console identity=\$arg_who;
        }

$locations
    }
EOF
}


# --- flow helpers (take the PA::Test object first) -----------------------
#
# use PA::Std qw(decide json_of ...) imports them by name.

our @EXPORT_OK = qw(approve_path decision_req decide json_of reason_of
    still_held approval approval_cookie user push_for next_push answer_of
    log_line find_event elem unhtml b64url_encode b64url_decode);

# the response body as JSON ({} when it is not)
sub json_of {
    my ($res) = @_;
    require JSON::PP;
    return eval { JSON::PP->new->decode($res->{body}) } || {};
}

# the reason of a JSON answer ('' when it has none)
sub reason_of { json_of($_[0])->{reason} // '' }

# PA::Std::decision_req($push, 'approve', code => DIGITS, path => PATH,
# headers => [MORE], timeout => S): the $t->http arguments that POST the
# decision to the push's approve URL (or PATH) and ask for a JSON answer
sub decision_req {
    my ($push, $decision, %o) = @_;
    my $body = "decision=$decision";
    $body .= "&code=$o{code}" if defined $o{code};
    return (method => 'POST', path => $o{path} // approve_path($push),
        headers => ['Accept: application/json',
            'Content-Type: application/x-www-form-urlencoded',
            @{ $o{headers} // [] }],
        body => $body, timeout => $o{timeout} // 10);
}

# PA::Std::decide($t, $push, 'approve', port => N, and decision_req's
# options): the answer to the decision, sent to the approve URL's port
sub decide {
    my ($t, $push, $decision, %o) = @_;
    return $t->http(decision_req($push, $decision, %o),
        port => $o{port} // approve_port($push) // $t->port);
}

# the request of handle $h has had no answer and its connection is open
# for $secs more seconds (0: is so now)
sub still_held {
    my ($h, $secs) = @_;
    return 0 unless $h->{sock} && !$h->{res};
    my $rin = '';
    vec($rin, fileno($h->{sock}), 1) = 1;
    my $n = select(my $rout = $rin, undef, undef, $secs);
    return $n == 0;
}

# PA::Std::approval($t, $what, %http): the request (http_start's
# arguments) is held, its push approved and the request resumed with 200,
# in three tests; returns (response, push)
sub approval {
    my ($t, $what, %req) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $h = $t->http_start(%req);
    my $push = $t->wait_push(5);
    Test::More::ok($push, "$what: push") or do { $t->http_abort($h); return };
    my $d = decide($t, $push, 'approve');
    Test::More::is($d->{status}, 200, "$what: approved")
        or Test::More::diag($d->{body});
    my $res = $t->http_wait($h, 5);
    Test::More::is($res->{status}, 200, "$what: request resumed");
    return ($res, $push);
}

# the name of the approval cookie a response set (the default names)
sub approval_cookie {
    my ($t, $res) = @_;
    my ($name) = grep { /^pa_[0-9a-f]{8}$/ } keys %{ $t->cookies($res) };
    return $name;
}

# a user name not used before in this test: $prefix, a number, $suffix
my $users = 0;

sub user {
    my ($prefix, $suffix) = @_;
    return $prefix . ++$users . ($suffix // '');
}

# the next push for $user within $timeout (5) seconds; pushes for others
# that arrive meanwhile are dropped
sub push_for {
    my ($t, $user, $timeout) = @_;
    my $deadline = Time::HiRes::time() + ($timeout // 5);
    while ((my $left = $deadline - Time::HiRes::time()) > 0) {
        my $p = $t->wait_push($left) or last;
        return $p if defined $p->{json} && ($p->{json}{user} // '') eq $user;
    }
    return undef;
}

# the next push, once its challenge is listed as pending in the console
# of identity $who (ops): a decision sent now finds it in any worker
sub next_push {
    my ($t, $who) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $p = $t->wait_push(5) or return undef;
    my $id = $p->{json} && $p->{json}{id} or return $p;
    $t->wait_for(sub {
        my $r = $t->http(path => '/_pa/console/?who=' . ($who // 'ops'),
            headers => ['Accept: application/json']);
        $r->{status} == 200 && index($r->{body}, "\"$id\"") >= 0;
    }, 5, "challenge $id pending");
    return $p;
}

# the answer to $h within $secs (10); pushes that arrive meanwhile (for
# requests gated afresh, such as an error page in a protected place) are
# denied, so that $h can end, and returned in the answer's {extra}
sub answer_of {
    my ($t, $h, $secs) = @_;
    my $end = Time::HiRes::time() + ($secs // 10);
    my @extra;
    while (Time::HiRes::time() < $end && still_held($h, 0.1)) {
        while (my $p = $t->wait_push(0.05)) {
            push @extra, $p;
            decide($t, $p, 'deny') if $p->{json} && $p->{json}{id};
        }
    }
    my $left = $end - Time::HiRes::time();
    my $res = $t->http_wait($h, $left > 0.5 ? $left : 0.5);
    $res->{extra} = \@extra;
    return $res;
}

# the access-log line (PA::Std's log format) of the first $method request
# for a URI under $prefix logged after offset $off ('' when none in 5 s)
sub log_line {
    my ($t, $off, $method, $prefix) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    return $t->wait_log('access.log',
        qr{^\d+ \d+ \Q$method\E \Q$prefix\E\S* st=}, 5, $off) // '';
}

# the first journal event in @$events named $name whose fields are %f
sub find_event {
    my ($events, $name, %f) = @_;
    for my $e (@$events) {
        next unless $e->{event} eq $name;
        next if grep { ($e->{$_} // '') ne $f{$_} } keys %f;
        return $e;
    }
    return undef;
}

# the text of the HTML element with id $id
sub elem {
    my ($body, $id) = @_;
    my ($v) = $body =~ /<[a-z0-9]+\b[^>]*\bid="\Q$id\E"[^>]*>([^<]*)</;
    return $v;
}

# an HTML attribute's value, unescaped
sub unhtml {
    my ($s) = @_;
    return undef unless defined $s;
    $s =~ s/&quot;/"/g;
    $s =~ s/&#0*39;|&apos;/'/g;
    $s =~ s/&lt;/</g;
    $s =~ s/&gt;/>/g;
    $s =~ s/&amp;/&/g;
    return $s;
}

# base64url without padding
sub b64url_encode {
    my $b = MIME::Base64::encode_base64($_[0], '');
    $b =~ tr{+/}{-_};
    $b =~ s/=+$//;
    return $b;
}

# base64url without padding, decoded
sub b64url_decode {
    (my $b = $_[0]) =~ tr{-_}{+/};
    $b .= '=' x ((4 - length($b) % 4) % 4);
    return MIME::Base64::decode_base64($b);
}

1;
