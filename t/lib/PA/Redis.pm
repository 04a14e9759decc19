package PA::Redis;

# A real redis-server for a test, and a small RESP client.  Core Perl only.
#
#   my $r = PA::Redis->new($t);          # the harness's port 19, a dir
#   $r->start;                           # waits until it answers PING
#   $r->cmd('XLEN', 'push_approval:events')   -> 12
#   $r->cmd('XRANGE', $s, '-', '+')      -> [[id, [k, v, ...]], ...]
#   $r->entries($stream)                 -> [{k => v, ...}, ...] in order
#   $r->kill('KILL')                     # and start() again: empty
#   $r->stop
#
#   PA::Redis->new($t, password => 'pw', unix => 1, db => 2)
#                                        # requirepass, also a unix socket
#                                        # ($r->socket); cmd() authenticates
#                                        # and selects db first
#   $r->select_db(3)                     # cmd() on database 3 from now
#
# Replies: integers and strings as Perl scalars, arrays as array refs, nil
# as undef; an error reply dies with its text.

use strict;
use warnings;

use IO::Socket::INET;
use Time::HiRes qw(time sleep);

sub new {
    my ($class, $t, %opt) = @_;
    my $self = bless { t => $t, port => $t->port(19), pid => undef,
        owner => $$, password => $opt{password}, unix => $opt{unix},
        db => $opt{db} }, $class;
    $self->{dir} = $t->dir . '/redis';
    mkdir $self->{dir};
    return $self;
}

sub socket { "$_[0]{dir}/redis.sock" }

sub select_db {
    my ($self, $db) = @_;
    $self->{db} = $db;
    delete $self->{sock};
}

sub _options {
    my ($self) = @_;
    my @o;
    push @o, '--requirepass', $self->{password} if defined $self->{password};
    push @o, '--unixsocket', $self->socket, '--unixsocketperm', '700'
        if $self->{unix};
    return @o;
}

sub port { $_[0]{port} }

sub start {
    my ($self) = @_;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>>', "$self->{dir}/redis.log";
        open STDERR, '>&', \*STDOUT;
        exec 'redis-server', '--port', $self->{port}, '--bind', '127.0.0.1',
            '--save', '', '--appendonly', 'no', '--dir', $self->{dir},
            $self->_options;
        exit 127;
    }
    $self->{pid} = $pid;
    $self->{t}->wait_for(sub { $self->ping }, 10, "redis on $self->{port}");
    return $self;
}

sub ping {
    my ($self) = @_;
    my $r = eval { $self->cmd('PING') };
    return defined $r && $r eq 'PONG';
}

sub kill {
    my ($self, $sig) = @_;
    return unless $self->{pid} && $$ == $self->{owner};
    kill $sig // 'TERM', $self->{pid};
    waitpid $self->{pid}, 0;
    $self->{pid} = undef;
    delete $self->{sock};
}

sub stop { $_[0]->kill('TERM') }

# only the process that started it stops it (not a forked child)
sub DESTROY { $_[0]->kill('KILL') if $$ == $_[0]{owner} }

sub cmd {
    my ($self, @args) = @_;
    my $s = $self->{sock};
    if (!$s || !$s->connected) {
        $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => $self->{port}, Timeout => 2) or die "redis: $!\n";
        binmode $s;
        $self->{sock} = $s;
        my @first;
        push @first, ['AUTH', $self->{password}] if defined $self->{password};
        push @first, ['SELECT', $self->{db}] if $self->{db};
        for my $c (@first) {
            my $req = '*' . @$c . "\r\n";
            $req .= '$' . length($_) . "\r\n$_\r\n" for @$c;
            print {$s} $req;
            my $r = eval { _reply($s) };
            if ($@) { delete $self->{sock}; die $@ }
        }
    }
    my $req = '*' . @args . "\r\n";
    $req .= '$' . length($_) . "\r\n$_\r\n" for @args;
    print {$s} $req or do { delete $self->{sock}; die "redis: write\n" };
    my $r = eval { _reply($s) };
    if ($@) { delete $self->{sock}; die $@ }
    return $r;
}

sub _line {
    my ($s) = @_;
    my $l = <$s>;
    die "redis: connection closed\n" unless defined $l;
    $l =~ s/\r\n\z//;
    return $l;
}

sub _reply {
    my ($s) = @_;
    my $l = _line($s);
    my ($type, $rest) = (substr($l, 0, 1), substr($l, 1));
    return $rest if $type eq '+';
    return 0 + $rest if $type eq ':';
    die "redis: $rest\n" if $type eq '-';
    if ($type eq '$') {
        return undef if $rest < 0;
        my $buf = '';
        while (length($buf) < $rest + 2) {
            my $n = read($s, $buf, $rest + 2 - length($buf), length($buf));
            die "redis: short read\n" unless $n;
        }
        return substr($buf, 0, $rest);
    }
    if ($type eq '*') {
        return undef if $rest < 0;
        return [ map { _reply($s) } 1 .. $rest ];
    }
    die "redis: bad reply '$l'\n";
}

# every entry of a stream, in order, as [{field => value}, [fields in order]]
sub entries {
    my ($self, $stream) = @_;
    my @out;
    my $from = '-';
    for (;;) {
        my $page = $self->cmd('XRANGE', $stream, $from, '+', 'COUNT', 1000);
        last unless $page && @$page;
        for my $e (@$page) {
            my @kv = @{ $e->[1] };
            my %h = @kv;
            push @out, { id => $e->[0], fields => \%h,
                order => [ @kv[ grep { $_ % 2 == 0 } 0 .. $#kv ] ] };
        }
        last if @$page < 1000;
        my ($ms, $seq) = split /-/, $page->[-1][0];
        $from = "$ms-" . ($seq + 1);
    }
    return \@out;
}

1;
