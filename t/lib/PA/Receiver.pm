package PA::Receiver;

# A small HTTP/1.1 server standing in for a push gateway (ntfy, Gotify, a
# custom webhook): it records every request it gets and answers with a
# configurable status, body and delay, or not at all.
#
# One forked child runs a select() loop on 127.0.0.1, so any number of
# connections are served at once and a delayed answer never blocks another
# connection.  Each complete request is written as one JSON line to a pipe
# that the parent reads (wait_push, count); the answer follows after the
# configured delay.  "POST /_control" with a JSON body changes the
# behaviour at run time and is not reported.
#
# Used through PA::Test ($t->receiver, $t->receiver_set, $t->wait_push, ...);
# usable alone:
#
#   my $r = PA::Receiver->new(status => 200, delay => 0, body => '{}');
#   $r->port; $r->set(status => 500); my $push = $r->wait_push(5);
#   $r->count; $r->no_push(0.5); $r->stop;
#
# Only core Perl modules.

use strict;
use warnings;

use Config;
use Errno qw(EAGAIN EWOULDBLOCK EINTR EINPROGRESS);
use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use POSIX ();
use Time::HiRes qw(time sleep);

my $JSON = JSON::PP->new->ascii->canonical;    # bytes in, \u00XX escapes out

sub new {
    my ($class, %opt) = @_;

    my %cfg = (
        status  => 200,
        delay   => 0,
        close   => 0,
        body    => '{}',
        headers => [],
    );
    for my $k (keys %cfg) {
        $cfg{$k} = $opt{$k} if exists $opt{$k};
    }

    my $listen = IO::Socket::INET->new(
        LocalAddr => '127.0.0.1',
        LocalPort => 0,
        Proto     => 'tcp',
        Listen    => 128,
        ReuseAddr => 1,
    ) or die "receiver: listen: $!\n";
    my $port = $listen->sockport;

    pipe(my $rd, my $wr) or die "receiver: pipe: $!\n";

    my $parent = $$;
    my $pid = fork;
    die "receiver: fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        # child: never run the parent's END blocks, DESTROYs or signal
        # handlers; never write to the parent's STDOUT (the TAP stream).
        close $rd;
        $SIG{$_} = sub { POSIX::_exit(0) } for qw(TERM INT HUP QUIT);
        $SIG{PIPE} = 'IGNORE';
        $SIG{ALRM} = 'DEFAULT';
        $SIG{CHLD} = 'DEFAULT';
        open STDIN,  '<', '/dev/null';
        open STDOUT, '>', '/dev/null';
        my $rc = eval { _child_main($listen, $wr, $parent, \%cfg); 0 };
        unless (defined $rc) {
            print STDERR "PA::Receiver child: $@";
            $rc = 1;
        }
        POSIX::_exit($rc);
    }

    close $wr;
    close $listen;
    $rd->blocking(0);

    return bless {
        pid    => $pid,
        owner  => $$,
        port   => $port,
        rd     => $rd,
        rbuf   => '',
        queue  => [],
        count  => 0,
        eof    => 0,
    }, $class;
}

sub port { $_[0]{port} }
sub pid  { $_[0]{pid} }

# --- parent side --------------------------------------------------------

# read everything the child has written so far, without blocking
sub drain {
    my ($self) = @_;
    return unless $self->{rd};
    while (1) {
        my $n = sysread($self->{rd}, my $chunk, 65536);
        if (!defined $n) {
            last if $! == EAGAIN || $! == EWOULDBLOCK;
            next if $! == EINTR;
            $self->{eof} = 1;
            last;
        }
        if ($n == 0) {
            $self->{eof} = 1;
            last;
        }
        $self->{rbuf} .= $chunk;
    }
    while ((my $i = index($self->{rbuf}, "\n")) >= 0) {
        my $line = substr($self->{rbuf}, 0, $i + 1, '');
        my $rec = eval { $JSON->decode($line) };
        next unless $rec;
        $rec->{json} = undef;
        if (defined $rec->{body} && length $rec->{body}) {
            $rec->{json} = eval { JSON::PP->new->utf8->allow_nonref->decode($rec->{body}) };
        }
        push @{ $self->{queue} }, $rec;
        $self->{count}++;
    }
}

sub wait_push {
    my ($self, $timeout) = @_;
    $timeout //= 5;
    my $deadline = time + $timeout;
    while (1) {
        $self->drain;
        return shift @{ $self->{queue} } if @{ $self->{queue} };
        return undef if $self->{eof};
        my $left = $deadline - time;
        return undef if $left <= 0;
        my $rin = '';
        vec($rin, fileno($self->{rd}), 1) = 1;
        select($rin, undef, undef, $left);
    }
}

sub count {
    my ($self) = @_;
    $self->drain;
    return $self->{count};
}

# pushes received and not yet taken by wait_push
sub pending {
    my ($self) = @_;
    $self->drain;
    return scalar @{ $self->{queue} };
}

sub clear {
    my ($self) = @_;
    $self->drain;
    my @q = @{ $self->{queue} };
    @{ $self->{queue} } = ();
    return @q;
}

# true if, at the end of the wait, no push is waiting to be taken
sub no_push {
    my ($self, $timeout) = @_;
    $timeout //= 0.5;
    my $deadline = time + $timeout;
    while (1) {
        $self->drain;
        return 0 if @{ $self->{queue} };
        my $left = $deadline - time;
        return 1 if $left <= 0 || $self->{eof};
        my $rin = '';
        vec($rin, fileno($self->{rd}), 1) = 1;
        select($rin, undef, undef, $left);
    }
}

# change behaviour; returns the resulting configuration (hashref)
sub set {
    my ($self, %cfg) = @_;
    my $body = $JSON->encode(\%cfg);
    my $sock = IO::Socket::INET->new(
        PeerAddr => '127.0.0.1',
        PeerPort => $self->{port},
        Proto    => 'tcp',
        Timeout  => 5,
    ) or die "receiver control: connect: $!\n";
    my $req = "POST /_control HTTP/1.1\r\nHost: receiver\r\n"
        . "Content-Type: application/json\r\nConnection: close\r\n"
        . "Content-Length: " . length($body) . "\r\n\r\n" . $body;
    local $SIG{PIPE} = 'IGNORE';
    print {$sock} $req or die "receiver control: write: $!\n";
    my $resp = '';
    my $sel = IO::Select->new($sock);
    my $deadline = time + 5;
    while (time < $deadline) {
        last unless $sel->can_read($deadline - time);
        my $n = sysread($sock, my $chunk, 65536);
        last unless $n;
        $resp .= $chunk;
    }
    close $sock;
    die "receiver control: bad answer: $resp\n" unless $resp =~ m{^HTTP/1\.1 200 };
    my ($json) = $resp =~ /\r\n\r\n(.*)\z/s;
    return eval { $JSON->decode($json) };
}

sub stop {
    my ($self) = @_;
    return unless $self->{pid} && $self->{owner} == $$;
    my $pid = delete $self->{pid};
    kill 'TERM', $pid;
    my $deadline = time + 5;
    while (time < $deadline) {
        my $r = waitpid($pid, POSIX::WNOHANG());
        last if $r == $pid || $r == -1;
        sleep 0.01;
    }
    if (kill 0, $pid) {
        kill 'KILL', $pid;
        waitpid($pid, 0);
    }
    $self->drain;
    close $self->{rd} if $self->{rd};
    $self->{rd} = undef;
}

sub DESTROY {
    my ($self) = @_;
    local ($?, $!, $@);
    $self->stop;
}

# --- shared helpers -----------------------------------------------------

# Decodes a chunked body from the start of $data.  Returns (body, bytes
# consumed including trailers) when complete, () when more data is needed,
# and dies on a malformed encoding.
sub dechunk {
    my ($data) = @_;
    my $pos = 0;
    my $body = '';
    while (1) {
        my $eol = index($data, "\r\n", $pos);
        return if $eol < 0;
        my $line = substr($data, $pos, $eol - $pos);
        die "bad chunk size line '$line'\n" unless $line =~ /^\s*([0-9a-fA-F]+)\s*(?:;.*)?$/;
        my $size = hex $1;
        $pos = $eol + 2;
        if ($size == 0) {
            # trailers, up to an empty line
            while (1) {
                my $e = index($data, "\r\n", $pos);
                return if $e < 0;
                my $tl = substr($data, $pos, $e - $pos);
                $pos = $e + 2;
                return ($body, $pos) if $tl eq '';
            }
        }
        return if length($data) < $pos + $size + 2;
        $body .= substr($data, $pos, $size);
        die "missing CRLF after chunk\n" unless substr($data, $pos + $size, 2) eq "\r\n";
        $pos += $size + 2;
    }
}

# --- child side ---------------------------------------------------------

sub _set_pdeathsig {
    # prctl(PR_SET_PDEATHSIG, SIGTERM): the kernel kills us when the test
    # process dies, whatever way it dies.  getppid() polling is the
    # portable fallback below.
    my %nr = ('x86_64' => 157, 'aarch64' => 167);
    my ($arch) = $Config{archname} =~ /^(x86_64|aarch64)-linux/;
    return unless $arch;
    eval { syscall($nr{$arch}, 1, 15) };
}

sub _child_main {
    my ($listen, $pipe, $parent, $cfg) = @_;

    $0 = "pa-test receiver (parent $parent)";
    _set_pdeathsig();
    return if getppid() != $parent;

    $listen->blocking(0);
    $pipe->blocking(0);

    my %conn;          # fileno => state
    my $pout = '';     # lines not yet written to the pipe
    my $seq  = 0;

    while (1) {
        return if getppid() != $parent;

        my $now = time;
        my $timeout = 0.2;
        for my $c (values %conn) {
            next unless $c->{state} eq 'wait';
            my $d = $c->{at} - $now;
            $timeout = $d if $d < $timeout;
        }
        $timeout = 0 if $timeout < 0;

        my ($rin, $win) = ('', '');
        vec($rin, fileno($listen), 1) = 1;
        for my $c (values %conn) {
            vec($rin, $c->{fd}, 1) = 1;    # always: notice the peer closing
            vec($win, $c->{fd}, 1) = 1 if $c->{state} eq 'write';
        }
        vec($win, fileno($pipe), 1) = 1 if length $pout;

        my $n = select(my $rout = $rin, my $wout = $win, undef, $timeout);
        if ($n < 0) {
            next if $! == EINTR;
            die "select: $!\n";
        }

        if ($n > 0 && vec($rout, fileno($listen), 1)) {
            while (my $s = $listen->accept) {
                $s->blocking(0);
                my $fd = fileno $s;
                $conn{$fd} = {
                    sock  => $s,
                    fd    => $fd,
                    buf   => '',
                    out   => '',
                    state => 'read',
                    id    => ++$seq,
                };
            }
        }

        for my $fd (keys %conn) {
            my $c = $conn{$fd} or next;
            next unless $n > 0 && vec($rout, $fd, 1);
            my $r = sysread($c->{sock}, my $chunk, 65536);
            if (!defined $r) {
                next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
                _close(\%conn, $c);
                next;
            }
            if ($r == 0) {
                # peer closed: nothing more to do for this connection
                # (a pending answer has nobody to go to)
                if ($c->{state} eq 'write') {
                    # half-close by the peer; still try to send the answer
                    $c->{peer_eof} = 1;
                    next;
                }
                _close(\%conn, $c);
                next;
            }
            next unless $c->{state} eq 'read';
            $c->{buf} .= $chunk;
            my $req = eval { _parse_request($c) };
            if ($@) {
                _answer($c, 400, '{"error":"bad request"}', []);
                next;
            }
            next unless $req;

            if ($req->{method} eq 'POST' && $req->{uri} =~ m{^/_control(?:\?|$)}) {
                my $set = eval { $JSON->decode($req->{body}) } || {};
                for my $k (qw(status delay close body headers)) {
                    $cfg->{$k} = $set->{$k} if exists $set->{$k};
                }
                _answer($c, 200, $JSON->encode($cfg), []);
                next;
            }

            $req->{conn} = $c->{id};
            $req->{time} = time;
            $pout .= $JSON->encode($req) . "\n";

            # the answer follows the configuration at the time of the request
            $c->{status}  = $cfg->{status};
            $c->{body}    = $cfg->{body};
            $c->{close}   = $cfg->{close};
            $c->{headers} = $cfg->{headers};
            if (defined $cfg->{delay} && $cfg->{delay} eq 'never') {
                $c->{state} = 'never';
            } else {
                $c->{state} = 'wait';
                $c->{at}    = time + ($cfg->{delay} || 0);
            }
        }

        # answers that are due
        $now = time;
        for my $c (values %conn) {
            next unless $c->{state} eq 'wait' && $c->{at} <= $now;
            if ($c->{close}) {
                _close(\%conn, $c);
                next;
            }
            _answer($c, $c->{status}, $c->{body}, $c->{headers});
        }

        # writes
        for my $c (values %conn) {
            next unless $c->{state} eq 'write';
            if (length $c->{out}) {
                my $w = syswrite($c->{sock}, $c->{out});
                if (!defined $w) {
                    next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
                    _close(\%conn, $c);
                    next;
                }
                substr($c->{out}, 0, $w, '');
            }
            _close(\%conn, $c) unless length $c->{out};
        }

        if (length $pout) {
            my $w = syswrite($pipe, $pout);
            if (!defined $w) {
                return unless $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
            } else {
                substr($pout, 0, $w, '');
            }
        }
    }
}

sub _close {
    my ($conn, $c) = @_;
    delete $conn->{ $c->{fd} };
    close $c->{sock};
    $c->{state} = 'closed';
}

my %REASON = (
    200 => 'OK', 201 => 'Created', 202 => 'Accepted', 204 => 'No Content',
    400 => 'Bad Request', 401 => 'Unauthorized', 403 => 'Forbidden',
    404 => 'Not Found', 429 => 'Too Many Requests',
    500 => 'Internal Server Error', 502 => 'Bad Gateway',
    503 => 'Service Unavailable', 504 => 'Gateway Timeout',
);

sub _answer {
    my ($c, $status, $body, $headers) = @_;
    $body //= '';
    $body = "$body";
    utf8::encode($body) if utf8::is_utf8($body);
    my $reason = $REASON{$status} // 'Status';
    my $out = "HTTP/1.1 $status $reason\r\n"
        . "Content-Type: application/json\r\n"
        . "Content-Length: " . length($body) . "\r\n"
        . "Connection: close\r\n";
    $out .= "$_\r\n" for @{ $headers || [] };
    $out .= "\r\n";
    $out .= $body unless $status == 204 || $status == 304;
    $c->{out}   = $out;
    $c->{state} = 'write';
}

sub _parse_request {
    my ($c) = @_;
    my $buf = $c->{buf};
    my $i = index($buf, "\r\n\r\n");
    if ($i < 0) {
        die "header too large\n" if length($buf) > 1 << 20;
        return;
    }
    my @lines = split /\r\n/, substr($buf, 0, $i);
    my ($method, $uri, $version) = split / +/, shift(@lines) // '';
    die "bad request line\n" unless defined $version && $version =~ m{^HTTP/(\d\.\d)$};
    $version = $1;
    my %h;
    for my $l (@lines) {
        my ($k, $v) = $l =~ /^([^:\s]+):[ \t]*(.*?)[ \t]*$/ or die "bad header\n";
        $k = lc $k;
        $h{$k} = exists $h{$k} ? "$h{$k}, $v" : $v;
    }
    my $rest = substr($buf, $i + 4);
    my $body = '';
    if (($h{'transfer-encoding'} // '') =~ /chunked/i) {
        my ($d) = dechunk($rest) or do { _continue($c, \%h); return };
        $body = $d;
    } elsif (defined $h{'content-length'}) {
        my $len = $h{'content-length'};
        die "bad content-length\n" unless $len =~ /^\d+$/;
        if (length($rest) < $len) {
            _continue($c, \%h);
            return;
        }
        $body = substr($rest, 0, $len);
    }
    return {
        method  => $method,
        uri     => $uri,
        version => $version,
        headers => \%h,
        body    => $body,
    };
}

sub _continue {
    my ($c, $h) = @_;
    return if $c->{continued}++;
    return unless ($h->{expect} // '') =~ /100-continue/i;
    syswrite($c->{sock}, "HTTP/1.1 100 Continue\r\n\r\n");
}

1;
