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

our $LOG_FORMAT = q{log_format pa '$pid $status $request_method $uri }
    . q{st=$push_approval_status rs=$push_approval_reason }
    . q{ap=$push_approval_approval';};

# limits loose enough for tests that make many challenges for one user
# (interface.md §2 defaults: 5 challenges per 10m, lockout after 3 failures)
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
    my $notify = $o{notify} // <<'EOF';
        location = /_pa/notify {
            internal;
            proxy_pass http://127.0.0.1:%%RECEIVER%%/push;
            proxy_method POST;
            proxy_pass_request_headers off;
            proxy_set_header Content-Type application/json;
            proxy_set_body $push_approval_json;
            proxy_read_timeout 3s;
        }
EOF

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
    return <<"EOF";
    server {
        listen 127.0.0.1:$port $listen;
        server_name $name;
        root %%DIR%%/html;
        push_approval_endpoint_url $url;
        $server

        location = /_pa/notify {
            internal;
            proxy_pass http://127.0.0.1:%%RECEIVER%%/push;
            proxy_method POST;
            proxy_pass_request_headers off;
            proxy_set_header Content-Type application/json;
            proxy_set_body \$push_approval_json;
            proxy_read_timeout 3s;
        }
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

# the response body as JSON ({} when it is not)
sub json_of {
    my ($res) = @_;
    require JSON::PP;
    return eval { JSON::PP->new->decode($res->{body}) } || {};
}

# PA::Std::decide($t, $push, 'approve', code => DIGITS, port => N,
# path => PATH): POSTs the decision to the push's approve URL (JSON answer)
sub decide {
    my ($t, $push, $decision, %o) = @_;
    my $body = "decision=$decision";
    $body .= "&code=$o{code}" if defined $o{code};
    return $t->http(method => 'POST',
        path => $o{path} // approve_path($push),
        port => $o{port} // approve_port($push) // $t->port,
        headers => ['Accept: application/json',
            'Content-Type: application/x-www-form-urlencoded'],
        body => $body, timeout => 10);
}

# the request of handle $h has had no answer and its connection is open
# for $secs more seconds
sub still_held {
    my ($h, $secs) = @_;
    return 0 unless $h->{sock} && !$h->{res};
    my $rin = '';
    vec($rin, fileno($h->{sock}), 1) = 1;
    my $n = select(my $rout = $rin, undef, undef, $secs);
    return $n == 0;
}

# the name of the approval cookie a response set (the default names)
sub approval_cookie {
    my ($t, $res) = @_;
    my ($name) = grep { /^pa_[0-9a-f]{8}$/ } keys %{ $t->cookies($res) };
    return $name;
}

1;
