package PA::Test;

# The project's small test harness, in the style of nginx-tests: one nginx
# per test file, its configuration written by the test, ports allocated on
# the loopback, a push receiver standing in for the push gateway, a raw
# HTTP/1.1 client, and at the end a check that the error log holds no
# [alert], [crit] or [emerg] and no sanitizer report.  Core Perl only.
#
#   use lib 't/lib';
#   use PA::Test;
#   use Test::More;
#
#   my $t = PA::Test->new(workers => 2);
#   $t->write_file('html/index.html', "hello\n");
#   $t->start(<<'EOF');
#   server {
#       listen 127.0.0.1:%%PORT%%;
#       root %%DIR%%/html;
#       location /push { proxy_pass http://127.0.0.1:%%RECEIVER%%; }
#   }
#   EOF
#   my $res = $t->http(path => '/');
#   is($res->{status}, 200);
#   $t->done;
#   done_testing;
#
# Environment: TEST_NGINX_BINARY (default /usr/sbin/nginx),
# TEST_NGINX_MODULE (path of the module .so; no load_module when empty),
# TEST_KEEP (keep the temp dir; it is also kept when a test failed).
#
# API (details with each method below; t/000-harness.t exercises all of it
# against plain nginx):
#
#   new(workers => 2)        dir  port([N])  release_port(N)  binary
#   write_file(rel, content [, mode]) -> path    read_file(rel)
#   secret_file              -> dir/secret (0600, "k1 BASE64\n"), written once
#   start(body, %opt)        opt: workers main events worker_connections
#                            error_level; placeholders %%PORT%% %%PORTn%%
#                            %%RECEIVER%% %%SECRET%% %%DIR%% in body and main
#   nginx_test(body, %opt)   -> (ok, output, conf_path)
#   reload([body], %opt)     may_fail => 1: returns 0 instead of dying
#   stop  signal(SIG)  master_pid  worker_pids  all_worker_pids
#   PA::Test::pid_alive(pid)
#   errlog  access_log(name) -> [lines]  log_size(file)
#   wait_log(file, qr//, timeout = 10, from_offset)   wait_for(sub, timeout, what)
#   receiver(%opt) -> port   receiver_set(%opt)   wait_push(timeout = 5)
#   push_count  no_push(timeout = 0.5)  clear_pushes
#   http(%a)  http_start(%a)  http_send(h, bytes)  http_wait(h [, timeout])
#   http_wait_all([h...] [, timeout])  http_abort(h)
#   hdr(res, name)  cookies(res)  cookie_attrs(res, name)  cookie_header(res)
#   metrics(path, %http_args)  PA::Test::parse_metrics(text)
#   done(ignore => qr//)     stops everything, then one test on the logs
#   quit_clean(what)         QUIT now, then tests: no connection left open,
#                            no worker killed by a signal
#   curl_start(args...)      curl in the background -> handle
#   curl_wait(c [, timeout]) -> { rc, status, headers, body, error }
#
# nginx writes its access-log line after the response left: a test that
# reads the access log right after a response should wait_log for the line.

use strict;
use warnings;

use Cwd ();
use Errno qw(EAGAIN EWOULDBLOCK EINTR EINPROGRESS EPIPE ECONNRESET);
use Fcntl qw(:mode);
use File::Path ();
use File::Temp ();
use IO::Select;
use IO::Socket::INET;
use MIME::Base64 ();
use POSIX ();
use Scalar::Util ();
use Socket qw(SOL_SOCKET SO_REUSEADDR);
use Test::More ();
use Time::HiRes qw(time sleep);

use PA::Receiver;

our $VERSION = '1';

# The client must see a reset connection as an error, not die of SIGPIPE.
$SIG{PIPE} = 'IGNORE';

# Ports handed out by this process (never twice, whatever object asks).
my %PORT_USED;

# Live harness objects, weakly held, for cleanup at exit.
my %LIVE;

# Turn Ctrl-C / TERM into a normal exit, so END blocks stop nginx and the
# receiver (nginx runs as a daemon and would otherwise outlive the test).
for my $sig (qw(INT TERM HUP)) {
    $SIG{$sig} = sub { print STDERR "# caught SIG$sig, cleaning up\n"; exit 1 }
        if !defined $SIG{$sig} || $SIG{$sig} eq '' || $SIG{$sig} eq 'DEFAULT';
}

END {
    local ($?, $!, $@);
    for my $t (values %LIVE) {
        $t->_cleanup if $t;
    }
}

# --- construction, files -------------------------------------------------

# PA::Test->new(workers => 2)
sub new {
    my ($class, %opt) = @_;

    my $dir = File::Temp::tempdir('pa-test-XXXXXXXX', TMPDIR => 1, CLEANUP => 0);
    $dir = Cwd::realpath($dir);

    # nginx built from source logs to PREFIX/logs/ unless told otherwise
    mkdir "$dir/logs";

    my $self = bless {
        owner   => $$,
        dir     => $dir,
        workers => $opt{workers} // 2,
        ports   => {},
        port_socks => {},
        nconf   => 0,
    }, $class;

    $LIVE{"$self"} = $self;
    Scalar::Util::weaken($LIVE{"$self"});
    return $self;
}

sub dir { $_[0]{dir} }

sub binary { $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx' }

# $t->port / $t->port(N): a free loopback port, stable per index.  The port
# stays reserved (a bound, non-listening SO_REUSEADDR socket, which nginx
# can still bind and listen on) for the life of the object, so that no
# other test process and no outgoing connection is given it meanwhile.
sub port {
    my ($self, $i) = @_;
    $i //= 0;
    return $self->{ports}{$i} //= $self->_alloc_port;
}

# $t->release_port($i): drops the reservation of port($i) (the number stays
# port($i)), for a server that binds it without SO_REUSEADDR
sub release_port {
    my ($self, $i) = @_;
    my $p = $self->port($i);
    my $s = delete $self->{port_socks}{$p};
    close $s if $s;
    return $p;
}

sub _alloc_port {
    my ($self) = @_;
    for (1 .. 100) {
        my $s = IO::Socket::INET->new(
            LocalAddr => '127.0.0.1',
            LocalPort => 0,
            Proto     => 'tcp',
            ReuseAddr => 1,
        ) or die "cannot allocate a port: $!\n";
        my $p = $s->sockport;
        next if $PORT_USED{$p}++;
        $self->{port_socks}{$p} = $s;
        return $p;
    }
    die "cannot allocate a distinct port\n";
}

sub _path {
    my ($self, $rel) = @_;
    return $rel if $rel =~ m{^/};
    return "$self->{dir}/$rel";
}

# $t->write_file('html/a.html', $content [, $mode]) -> full path
sub write_file {
    my ($self, $rel, $content, $mode) = @_;
    my $path = $self->_path($rel);
    (my $d = $path) =~ s{/[^/]*$}{};
    File::Path::make_path($d) unless -d $d;
    $content //= '';
    utf8::encode($content) if utf8::is_utf8($content);
    open my $fh, '>:raw', $path or die "write $path: $!\n";
    print {$fh} $content;
    close $fh or die "write $path: $!\n";
    chmod $mode, $path if defined $mode;
    return $path;
}

sub read_file {
    my ($self, $rel) = @_;
    my $path = $self->_path($rel);
    open my $fh, '<:raw', $path or return undef;
    local $/;
    my $c = <$fh>;
    return $c // '';
}

# $t->secret_file: dir/secret, mode 0600, "k1 BASE64(32 random bytes)\n"
sub secret_file {
    my ($self) = @_;
    my $path = "$self->{dir}/secret";
    return $path if $self->{secret};
    open my $r, '<:raw', '/dev/urandom' or die "urandom: $!\n";
    read($r, my $key, 32) == 32 or die "urandom: short read\n";
    close $r;
    $self->write_file('secret', 'k1 ' . MIME::Base64::encode_base64($key, '') . "\n", 0600);
    chmod 0600, $path;
    $self->{secret} = 1;
    return $path;
}

# --- push receiver -------------------------------------------------------

# $t->receiver(status => 200, delay => 0, body => '{}', close => 0,
#              headers => ['X-A: b']) -> port.  Started once; options given
# to a later call are applied as with receiver_set.
sub receiver {
    my ($self, %opt) = @_;
    if ($self->{receiver}) {
        $self->receiver_set(%opt) if %opt;
    } else {
        $self->{receiver} = PA::Receiver->new(%opt);
    }
    return $self->{receiver}->port;
}

# $t->receiver_set(status => 500, delay => 0.5 | 'never', close => 1,
#                  body => '...', headers => [...]).  Keys not given keep
# their value.  Applies to requests the receiver gets from now on.
sub receiver_set {
    my ($self, %opt) = @_;
    $self->receiver unless $self->{receiver};
    return $self->{receiver}->set(%opt);
}

sub _rcv {
    my ($self) = @_;
    die "receiver not started\n" unless $self->{receiver};
    return $self->{receiver};
}

# $t->wait_push($timeout = 5) -> {method, uri, version, headers => {lc =>
# value}, body, json, time, conn} or undef on timeout.  Pushes are queued:
# each call returns the oldest one not yet returned.
sub wait_push { my ($self, $to) = @_; $self->_rcv->wait_push($to) }

# total number of pushes received so far (taken or not)
sub push_count { $_[0]->_rcv->count }

# true if, after waiting $timeout (default 0.5 s), no push is queued that
# wait_push has not returned yet (queued pushes make it false at once; it
# takes none of them)
sub no_push { my ($self, $to) = @_; $self->_rcv->no_push($to) }

# discards queued pushes, returns them
sub clear_pushes { $_[0]->_rcv->clear }

# --- configuration -------------------------------------------------------

sub _template {
    my ($self, $text) = @_;
    return '' unless defined $text;
    $text =~ s/%%PORT(\d+)%%/$self->port($1)/ge;
    $text =~ s/%%PORT%%/$self->port(0)/ge;
    $text =~ s/%%RECEIVER%%/$self->receiver/ge;
    $text =~ s/%%SECRET%%/$self->secret_file/ge;
    $text =~ s/%%DIR%%/$self->{dir}/g;
    return $text;
}

# is $directive used at the top level of $text (not inside a block)?
sub _top_level_has {
    my ($text, $directive) = @_;
    my $depth = 0;
    my $stmt_start = 1;
    while ($text =~ /\G(?:(\s+)|(#[^\n]*)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|([{};])|([^\s{};"'#]+))/gcs) {
        if (defined $4) {
            $depth++ if $4 eq '{';
            $depth-- if $4 eq '}';
            $stmt_start = 1;
        } elsif (defined $5 || defined $3) {
            return 1 if $stmt_start && $depth == 0 && defined $5 && $5 eq $directive;
            $stmt_start = 0;
        }
    }
    return 0;
}

sub _conf_text {
    my ($self, $body, %opt) = @_;
    my $dir     = $self->{dir};
    my $workers = $opt{workers} // $self->{workers};
    my $level   = $opt{error_level} // 'info';
    my $err     = $opt{error_log} // "$dir/error.log";
    my $pid     = $opt{pid} // "$dir/nginx.pid";
    my $wc      = $opt{worker_connections} // 1024;
    my $main    = $self->_template($opt{main});
    my $events  = $self->_template($opt{events});
    $body = $self->_template($body);

    my $conf = "# written by PA::Test\n";
    my $module = $ENV{TEST_NGINX_MODULE};
    if (defined $module && length $module) {
        $module = Cwd::realpath($module) // $module;
        $conf .= "load_module $module;\n";
    }
    if ($> == 0 && !_top_level_has($main, 'user')) {
        $conf .= "# run as root: without this the workers would run as 'nobody'\n"
               . "# and could not read the test's temp dir (mode 0700)\n"
               . "user root;\n";
    }
    $conf .= "worker_processes $workers;\n"
           . "daemon on;\n"
           . "master_process on;\n"
           . "pid $pid;\n"
           . "error_log $err $level;\n";
    $conf .= "$main\n" if length $main;
    $conf .= "events {\n    worker_connections $wc;\n";
    $conf .= "$events\n" if length $events;
    $conf .= "}\n";
    $conf .= "http {\n";
    $conf .= "    default_type text/plain;\n"
        unless _top_level_has($body, 'default_type');
    for my $tp (qw(client_body proxy fastcgi uwsgi scgi)) {
        my $d = "${tp}_temp_path";
        $conf .= "    $d $dir/${tp}_temp;\n" unless _top_level_has($body, $d);
    }
    # a journal directory belongs to one nginx (a lock): tests that run at
    # once must not meet in the default one
    $conf .= "    push_approval_journal $dir/journal;\n"
        if $body =~ /\bpush_approval/
           && !_top_level_has($body, 'push_approval_journal');
    $conf .= "$body\n}\n";
    return $conf;
}

sub _asan_env {
    my ($self) = @_;
    my %env;
    for my $v (qw(ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS)) {
        my $cur = $ENV{$v} // '';
        next if $cur =~ /log_path=/;
        (my $name = lc $v) =~ s/_options//;
        $env{$v} = join ':', grep length, $cur, "log_path=$self->{dir}/asan-$name";
    }
    return %env;
}

# runs nginx with @args, stdout+stderr to $out; returns the exit status
sub _run_nginx {
    my ($self, $out, @args) = @_;
    my %env = $self->_asan_env;
    my $pid = fork;
    die "fork: $!\n" unless defined $pid;
    if ($pid == 0) {
        @ENV{ keys %env } = values %env;
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out or POSIX::_exit(126);
        open STDERR, '>&', \*STDOUT or POSIX::_exit(126);
        { no warnings 'exec'; exec { $self->binary } $self->binary, @args; }
        print STDERR "exec " . $self->binary . ": $!\n";
        POSIX::_exit(127);
    }
    my $deadline = time + 30;
    while (1) {
        my $r = waitpid($pid, POSIX::WNOHANG());
        return $? >> 8 | ($? & 127 ? 128 : 0) if $r == $pid;
        return -1 if $r == -1;
        if (time > $deadline) {
            kill 'KILL', $pid;
            waitpid($pid, 0);
            return -1;
        }
        sleep 0.01;
    }
}

# my ($ok, $output, $conf_path) = $t->nginx_test($body, %opt): `nginx -t`
# on a fresh conf file (same templating and options as start); $output is
# nginx's stdout+stderr.  Uses its own pid and error log files, so the running
# nginx and error.log are untouched.
sub nginx_test {
    my ($self, $body, %opt) = @_;
    my $n = ++$self->{nconf};
    my $dir = $self->{dir};
    my $conf = "$dir/nginx-test-$n.conf";
    $self->write_file($conf, $self->_conf_text($body,
        %{ $self->{start_opt} || {} }, %opt,
        pid => "$dir/nginx-test-$n.pid",
        error_log => "$dir/nginx-test-$n.log"));
    my $out = "$dir/nginx-test-$n.out";
    my $rc = $self->_run_nginx($out, '-p', "$dir/", '-c', $conf,
        '-e', "$dir/nginx-test-$n.log", '-t');
    my $output = $self->read_file($out) // '';
    return ($rc == 0 ? 1 : 0, $output, $conf);
}

# $t->start($http_body, workers => N, main => '...', events => '...',
#           error_level => 'debug', worker_connections => N)
sub start {
    my ($self, $body, %opt) = @_;
    die "nginx already running (master $self->{master})\n"
        if $self->{master} && _alive($self->{master});

    my $dir = $self->{dir};
    $self->{start_opt} = { %opt };
    $self->{body} = $body;
    $self->{workers_now} = $opt{workers} // $self->{workers};

    my $conf = "$dir/nginx.conf";
    my $text = $self->_conf_text($body, %opt);
    $self->write_file('nginx.conf', $text);
    unlink "$dir/nginx.pid";
    $self->_guard;

    my $out = "$dir/nginx-start.out";
    my $errpos = -s "$dir/error.log" // 0;
    my $rc = $self->_run_nginx($out, '-p', "$dir/", '-c', $conf, '-e', "$dir/error.log");
    if ($rc != 0) {
        die "nginx failed to start (exit $rc):\n"
            . ($self->read_file($out) // '')
            . "--- error.log:\n" . substr($self->errlog, $errpos) . "\n";
    }

    # wait for port(0) only if the configuration uses it
    my $p0 = $self->{ports}{0};
    my $check_port = defined $p0 && $text =~ /\b$p0\b/;

    my $ok = _poll(sub {
        my $pid = $self->_read_pid or return 0;
        $self->{master} = $pid;
        return 0 unless _alive($pid);
        return 0 if $check_port && !_port_open($self->port(0));
        return scalar($self->worker_pids) >= $self->{workers_now};
    }, 10);

    unless ($ok) {
        my $why = !$self->{master} ? 'no pid file'
            : !_alive($self->{master}) ? "master $self->{master} exited"
            : $check_port && !_port_open($self->port(0)) ? 'port ' . $self->port(0) . ' not accepting'
            : 'workers: ' . join(' ', $self->worker_pids);
        my $log = substr($self->errlog, $errpos);
        $self->_kill_all if $self->{master};
        die "nginx did not come up within 10 s ($why)\n--- error.log:\n$log\n";
    }
    return $self;
}

# nginx runs as a daemon: if the test process is killed outright (SIGKILL,
# no END blocks), a small guard process notices (its parent changes) and
# stops the nginx of dir/nginx.pid.  On a normal exit the guard is killed
# first and does nothing.
sub _guard {
    my ($self) = @_;
    return if $self->{guard};
    my $parent = $$;
    my $pidfile = "$self->{dir}/nginx.pid";
    my $pid = fork;
    die "fork: $!\n" unless defined $pid;
    if ($pid == 0) {
        $SIG{$_} = 'DEFAULT' for qw(INT TERM HUP PIPE ALRM CHLD);
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', '/dev/null';
        $0 = "pa-test guard (parent $parent)";
        POSIX::setsid();    # away from the terminal's Ctrl-C: the parent's END handles that
        while (getppid() == $parent) {
            select(undef, undef, undef, 0.2);
        }
        if (open my $fh, '<', $pidfile) {
            my ($m) = (<$fh> // '') =~ /^(\d+)/;
            if ($m && _cmdline($m) =~ /nginx: master/) {
                my @kids = map { $_->[0] } _children($m);
                kill 'TERM', $m;
                _poll(sub { !_alive($m) }, 5) or kill 'KILL', $m;
                for my $k (@kids) {
                    _poll(sub { !_alive($k) }, 1) or kill 'KILL', $k;
                }
            }
        }
        POSIX::_exit(0);
    }
    $self->{guard} = $pid;
}

sub _read_pid {
    my ($self) = @_;
    my $c = $self->read_file('nginx.pid') // return undef;
    return $c =~ /^(\d+)\s*$/ ? $1 : undef;
}

sub master_pid { $_[0]{master} }

sub _port_open {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(
        PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp', Timeout => 1);
    return 0 unless $s;
    close $s;
    return 1;
}

# --- processes -------------------------------------------------------------

sub _stat {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/stat" or return;
    my $s = <$fh> // return;
    my $i = rindex($s, ')');
    return if $i < 0;
    my @f = split ' ', substr($s, $i + 2);
    return ($f[0], $f[1]);    # state, ppid
}

sub _cmdline {
    my ($pid) = @_;
    open my $fh, '<:raw', "/proc/$pid/cmdline" or return '';
    local $/;
    my $c = <$fh> // '';
    $c =~ s/\0+/ /g;
    $c =~ s/\s+$//;
    return $c;
}

sub _alive {
    my ($pid) = @_;
    return 0 unless $pid && kill(0, $pid);
    my ($state) = _stat($pid);
    return 0 if !defined $state || $state eq 'Z' || $state eq 'X';
    return 1;
}

# PA::Test::pid_alive($pid): running (a zombie counts as gone)
sub pid_alive { _alive($_[-1]) }

sub _children {
    my ($ppid) = @_;
    return () unless $ppid;
    my @kids;
    opendir my $d, '/proc' or return ();
    for my $p (readdir $d) {
        next unless $p =~ /^\d+$/;
        my ($state, $pp) = _stat($p);
        next unless defined $pp && $pp == $ppid;
        next if $state eq 'Z' || $state eq 'X';
        push @kids, [$p, _cmdline($p)];
    }
    return sort { $a->[0] <=> $b->[0] } @kids;
}

# current generation of workers (not shutting down)
sub worker_pids {
    my ($self) = @_;
    return map { $_->[0] }
        grep { $_->[1] =~ /worker process$/ } _children($self->{master});
}

# all workers, including "worker process is shutting down"
sub all_worker_pids {
    my ($self) = @_;
    return map { $_->[0] }
        grep { $_->[1] =~ /worker process/ } _children($self->{master});
}

sub signal {
    my ($self, $sig) = @_;
    die "nginx not running\n" unless $self->{master};
    return kill $sig, $self->{master};
}

# $t->reload([$new_body], %opt): HUP, then waits until a new full set of
# workers runs (no pid of the old set among the non-shutting-down ones).
# Dies with the new error-log lines if nginx rejects the configuration,
# unless may_fail => 1 is given (then returns 0).  Returns 1.
sub reload {
    my ($self, $body, %opt) = @_;
    die "nginx not running\n" unless $self->{master} && _alive($self->{master});
    my $may_fail = delete $opt{may_fail};
    my @prev = ($self->{body}, $self->{start_opt}, $self->{workers_now});
    if (defined $body || %opt) {
        $self->{body} = $body if defined $body;
        $self->{start_opt} = { %{ $self->{start_opt} || {} }, %opt };
        $self->write_file('nginx.conf', $self->_conf_text($self->{body}, %{ $self->{start_opt} }));
        $self->{workers_now} = $self->{start_opt}{workers} // $self->{workers};
    }
    my %old = map { $_ => 1 } $self->all_worker_pids;
    my $errpos = -s "$self->{dir}/error.log" // 0;
    kill 'HUP', $self->{master} or die "HUP: $!\n";

    my $failed;
    my $ok = _poll(sub {
        my $new = substr($self->errlog, $errpos);
        if ($new =~ /\[emerg\]/) {
            $failed = $new;
            return 1;
        }
        my @w = $self->worker_pids;
        return 0 if grep { $old{$_} } @w;
        return @w >= $self->{workers_now};
    }, 15);
    if ($failed) {
        # nginx runs on with the old configuration: so does the harness
        ($self->{body}, $self->{start_opt}, $self->{workers_now}) = @prev;
        $self->write_file('nginx.conf', $self->_conf_text($self->{body}, %{ $self->{start_opt} || {} }));
        return 0 if $may_fail;
        die "reload failed:\n$failed\n";
    }
    die "reload: no new set of workers within 15 s\n--- error.log:\n"
        . substr($self->errlog, $errpos) . "\n" unless $ok;
    return 1;
}

# $t->stop: QUIT, wait for the master to exit (15 s), then TERM (5 s), then
# KILL and a failed test.
sub stop {
    my ($self) = @_;
    my $pid = $self->{master} or return 1;
    return 1 unless $self->{owner} == $$;
    my @kids = map { $_->[0] } _children($pid);
    my $how = 'QUIT';
    kill 'QUIT', $pid;
    my $gone = _poll(sub { !_alive($pid) }, 15);
    unless ($gone) {
        $how = 'TERM';
        kill 'TERM', $pid;
        $gone = _poll(sub { !_alive($pid) }, 5);
    }
    unless ($gone) {
        $how = 'KILL';
        kill 'KILL', $pid;
        _poll(sub { !_alive($pid) }, 5);
    }
    # no orphaned worker may survive its master
    for my $k (@kids) {
        next unless _alive($k);
        _poll(sub { !_alive($k) }, 2) or kill 'KILL', $k;
    }
    delete $self->{master};
    if ($how ne 'QUIT') {
        local $Test::Builder::Level = $Test::Builder::Level + 1;
        Test::More::fail("nginx stopped gracefully (needed $how)");
        return 0;
    }
    return 1;
}

sub _kill_all {
    my ($self) = @_;
    my $pid = delete $self->{master} or return;
    my @kids = map { $_->[0] } _children($pid);
    kill 'TERM', $pid;
    _poll(sub { !_alive($pid) }, 5) or kill 'KILL', $pid;
    for my $k (@kids) {
        _poll(sub { !_alive($k) }, 1) or kill 'KILL', $k;
    }
}

# --- logs --------------------------------------------------------------

sub errlog {
    my ($self) = @_;
    return $self->read_file('error.log') // '';
}

# arrayref of the lines (chomped) of dir/$name
sub access_log {
    my ($self, $name) = @_;
    my $c = $self->read_file($name // 'access.log') // '';
    return [ split /\n/, $c ];
}

sub log_size {
    my ($self, $file) = @_;
    return -s $self->_path($file) // 0;
}

# $t->wait_log($file, qr/.../, $timeout = 10, $from = 0): the first line of
# dir/$file (from byte offset $from, see log_size) that matches; fails the
# test and returns undef on timeout
sub wait_log {
    my ($self, $file, $re, $timeout, $from) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $found;
    $self->wait_for(sub {
        my $c = $self->read_file($file) // return 0;
        $c = substr($c, $from) if $from;
        for my $l (split /\n/, $c) {
            if ($l =~ $re) {
                $found = $l;
                return 1;
            }
        }
        return 0;
    }, $timeout // 10, "a line matching $re in $file");
    return $found;
}

# polls every 10 ms; returns the closure's true value, or () at timeout
sub _poll {
    my ($code, $timeout) = @_;
    my $deadline = time + $timeout;
    while (1) {
        my $v = $code->();
        return $v if $v;
        return if time >= $deadline;
        sleep 0.01;
    }
}

# $t->wait_for(sub { ... }, $timeout = 10, $what): the closure's true value,
# or a failed test ("timed out waiting for $what") and undef
sub wait_for {
    my ($self, $code, $timeout, $what) = @_;
    my $v = _poll($code, $timeout // 10);
    return $v if $v;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    Test::More::fail('timed out waiting for ' . ($what // 'a condition'));
    return undef;
}

# --- HTTP client --------------------------------------------------------

# $t->http(method => 'GET', path => '/', headers => ['Name: value', ...]
#          (or a hashref), body => '...', port => $t->port, host =>
#          'localhost', addr => '127.0.0.1', timeout => 10, keepalive => 0,
#          version => '1.1', raw => "whole request", conn => $res->{conn})
# -> { status, reason, version, headers => {lc name => [values]}, body,
#      raw, chunked, time, error, conn (with keepalive) }
# status is 0 when no complete response head arrived (error says why); a
# response whose body was cut short keeps its status and sets error.
sub http {
    my ($self, %a) = @_;
    my $h = $self->http_start(%a);
    return $self->http_wait($h);
}

sub _build_request {
    my ($self, %a) = @_;
    my $method = uc($a{method} // 'GET');
    my @h = ref $a{headers} eq 'HASH'
        ? map { "$_: $a{headers}{$_}" } sort keys %{ $a{headers} }
        : @{ $a{headers} // [] };
    # tolerate [name => value, ...] pairs: a raw line always has a colon
    if (@h && $h[0] !~ /:/ && @h % 2 == 0) {
        my @p = @h;
        @h = ();
        push @h, shift(@p) . ': ' . shift(@p) while @p;
    }
    my %has = map { lc((split /:/, $_, 2)[0]) => 1 } @h;
    my @lines = ("$method " . ($a{path} // '/') . ' HTTP/' . ($a{version} // '1.1'));
    push @lines, 'Host: ' . ($a{host} // 'localhost')
        unless $has{host} || (exists $a{host} && !defined $a{host});
    push @lines, 'User-Agent: pa-test/1' unless $has{'user-agent'};
    push @lines, 'Connection: close' unless $has{connection} || $a{keepalive};
    push @lines, @h;
    my $body = $a{body};
    if (defined $body) {
        utf8::encode($body) if utf8::is_utf8($body);
        push @lines, 'Content-Length: ' . length($body)
            unless $has{'content-length'} || $has{'transfer-encoding'};
    }
    return join("\r\n", @lines) . "\r\n\r\n" . ($body // '');
}

# connects, sends the request, returns a handle at once
sub http_start {
    my ($self, %a) = @_;
    my $h = {
        method  => uc($a{method} // 'GET'),
        timeout => $a{timeout} // 10,
        keep    => $a{keepalive} ? 1 : 0,
        buf     => '',
        start   => time,
    };
    my $sock = $a{conn};
    unless ($sock) {
        $sock = IO::Socket::INET->new(
            PeerAddr => $a{addr} // '127.0.0.1',
            PeerPort => $a{port} // $self->port,
            Proto    => 'tcp',
            Timeout  => $h->{timeout},
        );
        unless ($sock) {
            $h->{error} = "connect: $!";
            return $h;
        }
    }
    $h->{sock} = $sock;
    $sock->blocking(0);
    my $req = defined $a{raw} ? $a{raw} : $self->_build_request(%a);
    $self->http_send($h, $req);
    return $h;
}

# $t->http_send($h, $bytes): sends more bytes on the handle (e.g. the rest
# of a body given with raw); stops early if the server has already answered
sub http_send {
    my ($self, $h, $data) = @_;
    my $sock = $h->{sock} or return 0;
    my $deadline = time + $h->{timeout};
    while (length $data) {
        my $w = syswrite($sock, $data);
        if (defined $w) {
            substr($data, 0, $w, '');
            next;
        }
        if ($! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR) {
            my ($win, $rin) = ('', '');
            vec($win, fileno($sock), 1) = 1;
            vec($rin, fileno($sock), 1) = 1;
            my $left = $deadline - time;
            if ($left <= 0) {
                $h->{send_error} = 'send timeout';
                return 0;
            }
            my $n = select(my $rout = $rin, my $wout = $win, undef, $left);
            # an early answer (413, 403 ...) ends the upload
            return 0 if $n > 0 && vec($rout, fileno($sock), 1) && !vec($wout, fileno($sock), 1);
            next;
        }
        $h->{send_error} = "send: $!";
        return 0;
    }
    return 1;
}

sub http_wait {
    my ($self, $h, $timeout) = @_;
    my ($res) = $self->http_wait_all([$h], $timeout);
    return $res;
}

# waits for all handles concurrently; responses in the order of the handles
sub http_wait_all {
    my ($self, $hs, $timeout) = @_;
    unless (defined $timeout) {
        $timeout = 0;
        for (@$hs) { $timeout = $_->{timeout} if $_->{timeout} > $timeout }
    }
    my $deadline = time + $timeout;

    for my $h (@$hs) {
        next if $h->{res};
        unless ($h->{sock}) {
            $h->{res} = _error_res($h, $h->{error} // 'aborted');
        }
    }
    while (1) {
        my @pending = grep { !$_->{res} } @$hs;
        last unless @pending;
        my $left = $deadline - time;
        if ($left <= 0) {
            for my $h (@pending) {
                $self->_finish($h, 'timeout');
            }
            last;
        }
        my $rin = '';
        vec($rin, fileno($_->{sock}), 1) = 1 for @pending;
        my $n = select(my $rout = $rin, undef, undef, $left);
        next if $n <= 0;
        for my $h (@pending) {
            next unless vec($rout, fileno($h->{sock}), 1);
            while (1) {
                my $r = sysread($h->{sock}, my $chunk, 65536);
                if (!defined $r) {
                    last if $! == EAGAIN || $! == EWOULDBLOCK;
                    next if $! == EINTR;
                    $self->_finish($h, "read: $!");
                    last;
                }
                if ($r == 0) {
                    $h->{eof} = 1;
                    $self->_finish($h, undef);
                    last;
                }
                $h->{buf} .= $chunk;
                my $res = _parse_response($h->{buf}, 0, $h->{method});
                if ($res) {
                    $self->_done_res($h, $res);
                    last;
                }
            }
        }
    }
    return map { $_->{res} } @$hs;
}

sub _error_res {
    my ($h, $err) = @_;
    return {
        status  => 0,
        reason  => '',
        headers => {},
        body    => '',
        raw     => $h->{buf} // '',
        error   => $err,
        time    => time - ($h->{start} // time),
    };
}

# connection ended (eof, error or timeout): parse what we have
sub _finish {
    my ($self, $h, $err) = @_;
    my $res = _parse_response($h->{buf}, 1, $h->{method});
    if ($res && $res->{status}) {
        # eof ends a read-until-close body; a timeout or error never
        # completes a response
        $res->{error} //= $err if defined $err;
    } else {
        $res = _error_res($h, $err // ($res && $res->{error}) // 'connection closed');
    }
    $h->{keep} = 0;
    $self->_done_res($h, $res);
}

sub _done_res {
    my ($self, $h, $res) = @_;
    $res->{time} = time - $h->{start};
    $res->{raw} //= $h->{buf};
    if ($h->{keep} && !$h->{eof} && ($res->{headers}{connection}[0] // '') !~ /close/i) {
        $res->{conn} = $h->{sock};
    } else {
        close $h->{sock} if $h->{sock};
    }
    $h->{sock} = undef;
    $h->{res} = $res;
}

# Parses one response from the start of $buf.  Returns undef when more data
# is needed (and $eof is false); at eof returns what could be parsed.
sub _parse_response {
    my ($buf, $eof, $method) = @_;
    my $orig = $buf;
    while (1) {
        my $i = index($buf, "\r\n\r\n");
        if ($i < 0) {
            return undef unless $eof;
            return { status => 0, error => length($orig) ? 'incomplete response head' : 'no response' };
        }
        my @lines = split /\r\n/, substr($buf, 0, $i);
        my $sl = shift(@lines) // '';
        my ($ver, $status, $reason) = $sl =~ m{^HTTP/(\d\.\d)\s+(\d{3})(?:\s+(.*))?$}
            or return { status => 0, error => "bad status line '$sl'" };
        my %h;
        for my $l (@lines) {
            my ($k, $v) = $l =~ /^([^:]+):[ \t]*(.*?)[ \t]*$/ or next;
            push @{ $h{ lc $k } }, $v;
        }
        my $rest = substr($buf, $i + 4);
        if ($status >= 100 && $status < 200 && $status != 101) {
            $buf = $rest;    # interim response
            next;
        }
        my $res = {
            status  => $status + 0,
            reason  => $reason // '',
            version => $ver,
            headers => \%h,
            body    => '',
            raw     => $orig,
        };
        if ($method eq 'HEAD' || $status == 204 || $status == 304 || $status == 101) {
            return $res;
        }
        my $te = join(',', @{ $h{'transfer-encoding'} || [] });
        my $cl = $h{'content-length'} ? $h{'content-length'}[0] : undef;
        if ($te =~ /chunked/i) {
            $res->{chunked} = 1;
            my ($body) = eval { PA::Receiver::dechunk($rest) };
            if ($@) {
                return undef unless $eof;
                $res->{error} = "bad chunked encoding: $@";
                $res->{incomplete} = 1;
                $res->{body} = $rest;
                return $res;
            }
            if (!defined $body) {
                return undef unless $eof;
                $res->{error} = 'truncated chunked body';
                $res->{incomplete} = 1;
                $res->{body} = $rest;
                return $res;
            }
            $res->{body} = $body;
            return $res;
        }
        if (defined $cl && $cl =~ /^\d+$/) {
            if (length($rest) < $cl) {
                return undef unless $eof;
                $res->{error} = 'truncated body';
                $res->{incomplete} = 1;
                $res->{body} = $rest;
                return $res;
            }
            $res->{body} = substr($rest, 0, $cl);
            return $res;
        }
        return undef unless $eof;    # read until close
        $res->{body} = $rest;
        return $res;
    }
}

# client disconnects
sub http_abort {
    my ($self, $h) = @_;
    if ($h->{sock}) {
        close $h->{sock};
        $h->{sock} = undef;
    }
    $h->{res} //= _error_res($h, 'aborted');
    return 1;
}

# first value of a response header
sub hdr {
    my ($self, $res, $name) = @_;
    my $v = $res->{headers}{ lc $name } or return undef;
    return $v->[0];
}

# name => value of the response's Set-Cookie headers (the last one of a
# name wins)
sub cookies {
    my ($self, $res) = @_;
    my %c;
    for my $sc (@{ $res->{headers}{'set-cookie'} || [] }) {
        my ($nv) = split /;/, $sc, 2;
        my ($n, $v) = $nv =~ /^\s*([^=]*?)\s*=\s*(.*?)\s*$/ or next;
        $c{$n} = $v;
    }
    return \%c;
}

# attributes of cookie $name: lowercased keys, flags (httponly, secure) as 1
sub cookie_attrs {
    my ($self, $res, $name) = @_;
    my $found;
    for my $sc (@{ $res->{headers}{'set-cookie'} || [] }) {
        my ($nv, @attrs) = split /;/, $sc;
        my ($n) = $nv =~ /^\s*([^=]*?)\s*=/ or next;
        next unless $n eq $name;
        my %a;
        for my $at (@attrs) {
            my ($k, $v) = $at =~ /^\s*([^=]*?)\s*(?:=\s*(.*?)\s*)?$/ or next;
            next unless length $k;
            $a{ lc $k } = defined $v ? $v : 1;
        }
        $found = \%a;
    }
    return $found;
}

# 'Cookie: a=1; b=2' from the cookies a response set (or from a hashref)
sub cookie_header {
    my ($self, $src) = @_;
    my $c = exists $src->{headers} ? $self->cookies($src) : $src;
    return 'Cookie: ' . join('; ', map { "$_=$c->{$_}" } sort keys %$c);
}

# $t->metrics($path, %http_args): Prometheus text -> { 'name{labels}' =>
# value, 'name' => value }; undef (and a diag) if the status is not 200
sub metrics {
    my ($self, $path, %a) = @_;
    my $res = $self->http(path => $path, %a);
    unless ($res->{status} == 200) {
        Test::More::diag("metrics $path: status $res->{status} " . ($res->{error} // ''));
        return undef;
    }
    return parse_metrics($res->{body});
}

sub parse_metrics {
    my ($text) = @_;
    my %m;
    for my $l (split /\n/, $text) {
        next if $l =~ /^\s*(#|$)/;
        my ($name, $labels, $value) =
            $l =~ /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+-?\d+)?\s*$/ or next;
        $value = $value + 0 if $value =~ /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
        $m{ $name . ($labels // '') } = $value;
    }
    return \%m;
}

# --- the end -------------------------------------------------------------

# $t->done(ignore => qr/.../): stops nginx and the receiver, then one test:
# no [alert]/[crit]/[emerg] (lines matching ignore excepted) and no
# sanitizer report in error.log, and no non-empty dir/asan* file
sub done {
    my ($self, %opt) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    $self->stop if $self->{master};
    if ($self->{receiver}) {
        $self->{receiver}->stop;
        delete $self->{receiver};
    }
    my @bad;
    for my $l (split /\n/, $self->errlog) {
        next unless $l =~ /\[(alert|crit|emerg)\]/
            || $l =~ /AddressSanitizer|LeakSanitizer|runtime error:|ThreadSanitizer/;
        next if $opt{ignore} && $l =~ $opt{ignore};
        push @bad, "error.log: $l";
    }
    opendir my $d, $self->{dir};
    for my $f (sort grep { /^asan/ } readdir $d) {
        my $c = $self->read_file($f) // '';
        next unless length $c;
        push @bad, "$f:", map { "  $_" } split /\n/, $c;
    }
    my $ok = Test::More::ok(!@bad, 'no alerts or sanitizer reports in the error log');
    Test::More::diag($_) for @bad;
    $self->{done} = 1;
    return $ok;
}

# $t->quit_clean($what): stops nginx with QUIT now (as done would), then
# two tests on the error log: no "open socket ... left in connection" (a
# request nginx could neither finish nor close) and no worker that
# "exited on signal".  done still checks for [alert]/[crit] afterwards.
sub quit_clean {
    my ($self, $what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    $what = defined $what ? "$what: " : '';
    my $stopped = $self->{master} ? $self->stop : 1;
    my $log = $self->errlog;
    my @left = grep { /open socket #\d+ left in connection/ } split /\n/, $log;
    my @sig = grep { /exited on signal/ } split /\n/, $log;
    Test::More::ok($stopped, "${what}nginx stopped with QUIT");
    Test::More::ok(!@left, "${what}no connection left open at quit")
        or Test::More::diag(join "\n", @left);
    Test::More::ok(!@sig, "${what}no worker exited on a signal")
        or Test::More::diag(join "\n", @sig);
    return !@left && !@sig;
}

# my $c = $t->curl_start('--http2-prior-knowledge', URL, ...): runs curl
# in the background (-s, -i, -m 10 unless a -m is given), its output to a
# file of the test's directory
sub curl_start {
    my ($self, @args) = @_;
    my $n = ++$self->{ncurl};
    my $out = "$self->{dir}/curl-$n.out";
    my @m = (grep { $_ eq '-m' } @args) ? () : ('-m', '10');
    my $pid = fork;
    die "fork: $!\n" unless defined $pid;
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out or POSIX::_exit(126);
        open STDERR, '>', "$out.err";
        { no warnings 'exec'; exec 'curl', '-s', '-i', @m, @args; }
        POSIX::_exit(127);
    }
    return { pid => $pid, out => $out, start => time };
}

# $t->curl_wait($c, $timeout = 15) -> { rc (curl's exit status, -1 when it
# had to be killed), status, headers => {lc => [values]}, body, time }
# (the last response head of -i output wins: interim 1xx heads skipped)
sub curl_wait {
    my ($self, $c, $timeout) = @_;
    my $done = _poll(sub { waitpid($c->{pid}, POSIX::WNOHANG()) == $c->{pid} },
        $timeout // 15);
    my $rc = $done ? $? >> 8 : -1;
    unless ($done) {
        kill 'KILL', $c->{pid};
        waitpid($c->{pid}, 0);
    }
    my $raw = $self->read_file($c->{out}) // '';
    my %res = (rc => $rc, status => 0, headers => {}, body => '', raw => $raw,
        time => time - $c->{start});
    while ($raw =~ s{^HTTP/[\d.]+ (\d{3})[^\n]*\n(.*?)\r?\n\r?\n}{}s) {
        my ($st, $head) = ($1, $2);
        next if $st >= 100 && $st < 200;
        $res{status} = $st + 0;
        my %h;
        for my $l (split /\r?\n/, $head) {
            my ($k, $v) = $l =~ /^([^:]+):[ \t]*(.*?)[ \t]*$/ or next;
            push @{ $h{ lc $k } }, $v;
        }
        $res{headers} = \%h;
        $res{body} = $raw;
        last;
    }
    return \%res;
}

sub _cleanup {
    my ($self) = @_;
    return unless $self->{owner} == $$;
    return if $self->{cleaned}++;
    $self->_kill_all if $self->{master};
    if (my $g = delete $self->{guard}) {
        kill 'KILL', $g;
        waitpid($g, 0);
    }
    if ($self->{receiver}) {
        $self->{receiver}->stop;
        delete $self->{receiver};
    }
    close $_ for values %{ $self->{port_socks} };
    $self->{port_socks} = {};
    my $builder = Test::More->builder;
    my $keep = $ENV{TEST_KEEP} || !$builder->is_passing;
    if ($keep) {
        print STDERR "# PA::Test: kept $self->{dir}\n";
    } else {
        File::Path::remove_tree($self->{dir});
    }
    delete $LIVE{"$self"};
}

sub DESTROY {
    my ($self) = @_;
    local ($?, $!, $@);
    $self->_cleanup;
}

1;
