package PA::FakeRedis;

# A Redis that misbehaves on purpose, for the module's client: a forked
# server that reads the commands (RESP arrays) and answers according to a
# mode, or passes everything through to a real Redis.  Core Perl only.
#
#   my $f = PA::FakeRedis->new($t, upstream => $redis->port)->start;
#   $f->mode('extra');      # closes the connections it has; the new ones
#                           # get the mode
#   $f->connections('extra')    -> connections accepted in that mode
#   $f->stop
#
# Modes (the answer to EVAL; AUTH, SELECT and the rest get +OK):
#   proxy      bytes to and from the upstream Redis, untouched
#   ok         {1, the batch's last seq}: a stream that swallows events
#   extra      the ok answer, then an unsolicited +OK
#   garbage    bytes that are not RESP
#   hugebulk   a bulk string of 999999999 bytes, its first 200 KB sent
#   nested     ten thousand arrays in arrays
#   hugearray  an array of 2^31 - 1 elements
#   wrongtype  a string where an array of integers is due
#   wrongint   the array with a string where an integer is due
#   silent     never an answer
#   closemid   half of the ok answer, then the connection closed
#   slowloris  a never ending answer, a byte every 200 ms
#   noauth     AUTH refused (WRONGPASS), the rest as ok

use strict;
use warnings;

use IO::Select;
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(time sleep);

sub new {
    my ($class, $t, %opt) = @_;
    my $self = bless { t => $t, port => $t->release_port(18),
        upstream => $opt{upstream}, pid => undef, owner => $$ }, $class;
    $self->{dir} = $t->dir . '/fake-redis';
    mkdir $self->{dir};
    $self->_write('mode', $opt{mode} // 'proxy');
    return $self;
}

sub port { $_[0]{port} }

sub _write {
    my ($self, $name, $text) = @_;
    my $f = "$self->{dir}/$name";
    open my $fh, '>', "$f.tmp" or die "$f: $!\n";
    print {$fh} $text;
    close $fh;
    rename "$f.tmp", $f or die "$f: $!\n";
}

sub _read {
    my ($self, $name) = @_;
    open my $fh, '<', "$self->{dir}/$name" or return '';
    local $/;
    my $s = <$fh>;
    return $s // '';
}

sub mode {
    my ($self, $mode) = @_;
    $self->_write('mode', $mode);
    # the server takes it within its 50 ms poll
    $self->{t}->wait_for(sub { $self->_read('mode-seen') eq $mode }, 5,
        "the fake redis in mode $mode");
}

sub connections {
    my ($self, $mode) = @_;
    my @l = split /\n/, $self->_read('conns');
    return scalar grep { !defined $mode || $_ eq $mode } @l;
}

sub start {
    my ($self) = @_;
    my $ls = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
        LocalPort => $self->{port}, Listen => 64, ReuseAddr => 1)
        or die "fake redis: listen: $!\n";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        $SIG{PIPE} = 'IGNORE';
        eval { $self->_serve($ls) };
        POSIX::_exit(0);
    }
    close $ls;
    $self->{pid} = $pid;
    $self->{t}->wait_for(sub { $self->_read('mode-seen') ne '' }, 5,
        'the fake redis');
    return $self;
}

sub stop {
    my ($self) = @_;
    return unless $self->{pid} && $$ == $self->{owner};
    kill 'KILL', $self->{pid};
    waitpid $self->{pid}, 0;
    $self->{pid} = undef;
}

sub DESTROY { $_[0]->stop }

# --- the server (in the child) ------------------------------------------

sub _serve {
    my ($self, $ls) = @_;
    my $sel = IO::Select->new($ls);
    my %conn;       # fileno => {sock, mode, in, up, drip, next}
    my $mode = '';

    my $drop = sub {
        my ($c) = @_;
        delete $conn{ fileno $c->{sock} };
        $sel->remove($c->{sock});
        close $c->{sock};
        if ($c->{up}) {
            delete $conn{ 'up' . fileno $c->{up} };
            $sel->remove($c->{up});
            close $c->{up};
        }
    };

    for (;;) {
        my $m = $self->_read('mode');
        if ($m ne $mode) {
            $drop->($_) for grep { !$_->{is_up} } values %conn;
            $mode = $m;
            $self->_write('mode-seen', $mode);
        }

        for my $s ($sel->can_read(0.05)) {
            if ($s == $ls) {
                my $cs = $ls->accept or next;
                binmode $cs;
                my $c = { sock => $cs, mode => $mode, in => '' };
                open my $fh, '>>', "$self->{dir}/conns";
                print {$fh} "$mode\n";
                close $fh;
                if ($mode eq 'proxy') {
                    my $up = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                        PeerPort => $self->{upstream});
                    if (!$up) { close $cs; next; }
                    binmode $up;
                    $c->{up} = $up;
                    $conn{ 'up' . fileno $up } = { is_up => 1, peer => $c,
                        sock => $up };
                    $sel->add($up);
                }
                $conn{ fileno $cs } = $c;
                $sel->add($cs);
                next;
            }

            my $c = $conn{ fileno $s } // $conn{ 'up' . fileno $s } or next;
            my $n = sysread($s, my $buf, 65536);
            if (!$n) {
                $drop->($c->{is_up} ? $c->{peer} : $c);
                next;
            }
            if ($c->{is_up}) {
                _send($c->{peer}{sock}, $buf);
                next;
            }
            if ($c->{up}) {
                _send($c->{up}, $buf);
                next;
            }
            $c->{in} .= $buf;
            while (my $cmd = _command(\$c->{in})) {
                last unless $self->_answer($c, $cmd);
            }
            $drop->($c) if $c->{close};
        }

        for my $c (values %conn) {
            next unless $c->{drip} && length $c->{drip} && time >= $c->{next};
            _send($c->{sock}, substr($c->{drip}, 0, 1, ''));
            $c->{next} = time + 0.2;
        }
    }
}

sub _send {
    my ($s, $data) = @_;
    while (length $data) {
        my $n = syswrite($s, $data);
        return unless defined $n;
        substr($data, 0, $n, '');
    }
}

# one complete command off the front of the buffer, or undef
sub _command {
    my ($buf) = @_;
    pos($$buf) = 0;
    return undef unless $$buf =~ /\G\*(\d+)\r\n/gc;
    my $n = $1;
    my @a;
    for (1 .. $n) {
        return undef unless $$buf =~ /\G\$(\d+)\r\n/gc;
        my ($l, $at) = ($1, pos($$buf));
        return undef if length($$buf) < $at + $l + 2;
        push @a, substr($$buf, $at, $l);
        pos($$buf) = $at + $l + 2;
    }
    substr($$buf, 0, pos($$buf), '');
    return \@a;
}

# 1: go on reading commands
sub _answer {
    my ($self, $c, $cmd) = @_;
    my $s = $c->{sock};
    if (uc $cmd->[0] ne 'EVAL' && uc $cmd->[0] ne 'EVALSHA') {
        _send($s, $c->{mode} eq 'noauth' && uc $cmd->[0] eq 'AUTH'
            ? "-WRONGPASS invalid username-password pair\r\n" : "+OK\r\n");
        return 1;
    }
    my $ok = "*2\r\n:1\r\n:" . ($cmd->[7] // 0) . "\r\n";
    my $m = $c->{mode};
    if ($m eq 'ok' || $m eq 'noauth') { _send($s, $ok); }
    elsif ($m eq 'extra') { _send($s, "$ok+OK\r\n"); }
    elsif ($m eq 'garbage') { _send($s, "?\x00\xffnot resp\r\n"); }
    elsif ($m eq 'hugebulk') {
        _send($s, "\$999999999\r\n" . ('x' x 200_000));
    }
    elsif ($m eq 'nested') { _send($s, ("*1\r\n" x 10_000) . ":1\r\n"); }
    elsif ($m eq 'hugearray') { _send($s, "*2147483647\r\n"); }
    elsif ($m eq 'wrongtype') { _send($s, "\$5\r\nhello\r\n"); }
    elsif ($m eq 'wrongint') { _send($s, "*2\r\n\$1\r\n1\r\n:5\r\n"); }
    elsif ($m eq 'closemid') { _send($s, "*2\r\n:1\r\n"); $c->{close} = 1; }
    elsif ($m eq 'slowloris') {
        $c->{drip} = "*2\r\n:1\r\n\$100\r\n" . ('x' x 100) . "\r\n";
        $c->{next} = time;
    }
    return 0 if $m ne 'ok' && $m ne 'extra' && $m ne 'noauth';
    return 1;
}

1;
