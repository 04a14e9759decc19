#!/usr/bin/perl

# push-approval-audit (tools/audit/), the auditor's tool: export, verify,
# shipped and follow against synthetic trails built here the way
# docs/audit-format.md says -- canonical lines, SHA-256 chains, checkpoints
# signed with the openssl CLI -- and against a real redis-server.  No nginx.
#
#   prove -I t/lib t/120-audit-cli.t
#
# The tool is $PA_AUDIT_BIN, or push-approval-audit in $PA_BUILD_DIR
# (default build/): make audit-tool.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Digest::SHA qw(sha256_hex);
use File::Path ();
use File::Temp ();
use IO::Select;
use IO::Socket::INET;
use POSIX ();
use Test::More;

use PA::Std qw(b64url_encode);

my $root = "$FindBin::Bin/..";
my $bin = $ENV{PA_AUDIT_BIN}
    // ($ENV{PA_BUILD_DIR} // "$root/build") . '/push-approval-audit';
die "$bin is missing: make audit-tool\n" unless -x $bin;

my $tmp = File::Temp::tempdir('pa-audit-XXXXXXXX', TMPDIR => 1,
    CLEANUP => !$ENV{TEST_KEEP});

# --- running things ---------------------------------------------------------

sub slurp {
    my ($path) = @_;
    open my $fh, '<:raw', $path or die "read $path: $!\n";
    local $/;
    return scalar <$fh>;
}

sub spew {
    my ($path, $content) = @_;
    open my $fh, '>:raw', $path or die "write $path: $!\n";
    print {$fh} $content;
    close $fh or die "write $path: $!\n";
}

# run(@argv) -> (exit status, stdout, stderr)
my $nrun = 0;
sub run {
    my @argv = @_;
    $nrun++;
    my ($o, $e) = ("$tmp/out.$nrun", "$tmp/err.$nrun");
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $o or POSIX::_exit(127);
        open STDERR, '>', $e or POSIX::_exit(127);
        exec @argv or POSIX::_exit(127);
    }
    waitpid $pid, 0;
    my $rc = $? & 127 ? 128 + ($? & 127) : $? >> 8;
    return ($rc, slurp($o), slurp($e));
}

# a build with sanitizers (make audit-tool AUDIT_CFLAGS='-fsanitize=...')
# reports on stderr; any report fails the test at the end
my @sanitizer;
sub audit {
    my @r = run($bin, @_);
    push @sanitizer, "@_:\n$r[2]"
        if $r[2] =~ /Sanitizer|runtime error:|^==\d+== ERROR/m;
    return @r;
}

# --- keys and signatures ------------------------------------------------------

sub openssl {
    my ($rc, $out, $err) = run('openssl', @_);
    die "openssl @_: $err" if $rc != 0;
    return $out;
}

sub keypair {
    my ($name) = @_;
    my $key = "$tmp/$name.key";
    openssl('genpkey', '-algorithm', 'ed25519', '-out', $key);
    openssl('pkey', '-in', $key, '-pubout', '-out', "$key.pub");
    openssl('pkey', '-pubin', '-in', "$key.pub", '-outform', 'DER',
        '-out', "$key.der");
    return { key => $key, pub => "$key.pub",
             id => substr(sha256_hex(slurp("$key.der")), 0, 16) };
}

my $nsig = 0;
sub sign {
    my ($k, $msg) = @_;
    my $m = "$tmp/msg." . ++$nsig;
    spew($m, $msg);
    openssl('pkeyutl', '-sign', '-rawin', '-inkey', $k->{key}, '-in', $m,
        '-out', "$m.sig");
    my $sig = slurp("$m.sig");
    die "signature of " . length($sig) . " bytes\n" if length $sig != 64;
    return b64url_encode($sig);
}

# --- canonical lines ----------------------------------------------------------

my @ORDER = qw(v ts event eid writer seq node prev id user approver client
    agent server scope unlocks method uri reason status bytes request_time
    key heads sig);
my %NUMBER = map { $_ => 1 } qw(v ts seq status bytes request_time);

sub jesc {
    my ($s) = @_;
    $s =~ s/(["\\])/\\$1/g;
    $s =~ s/([\x00-\x1f\x7f<>&'])/sprintf('\\u%04x', ord $1)/ge;
    $s =~ s/\xe2\x80\xa8/\\u2028/g;
    $s =~ s/\xe2\x80\xa9/\\u2029/g;
    return $s;
}

# the line of [name, value] pairs in canonical order (values are bytes)
sub line_of {
    my (@pairs) = @_;
    return '{' . join(',', map {
        my ($k, $v) = @$_;
        $NUMBER{$k} ? qq{"$k":$v} : qq{"$k":"} . jesc($v) . '"'
    } @pairs) . '}';
}

my $key = keypair('audit');
my $other = keypair('other');

# A writer (a worker): its chain, its lines, and the fields of each line.
sub writer {
    my ($node, $pid, $ms) = @_;
    return { node => $node, pid => $pid, ms => $ms,
             writer => "$node:$pid:$ms", seq => 0, prev => '0' x 64,
             lines => [], fields => [] };
}

sub emit {
    my ($w, $ts, $event, %f) = @_;
    my $seq = $w->{seq} + 1;
    my @pairs = ([v => 1], [ts => $ts], [event => $event],
        [eid => "$w->{writer}/$seq"], [writer => $w->{writer}],
        [seq => $seq], [node => $w->{node}], [prev => $w->{prev}]);
    for my $k (@ORDER[8 .. $#ORDER]) {
        push @pairs, [$k => $f{$k}] if defined $f{$k} && $f{$k} ne '';
    }
    my $line = line_of(@pairs);
    if ($event eq 'checkpoint') {
        my $k = $f{signer} // $key;
        my $msg = substr($line, 0, -1);
        my $sig = sign($k, $msg);
        $line = $msg . qq{,"sig":"$sig"\}};
        push @pairs, [sig => $sig];
    }
    $w->{seq} = $seq;
    $w->{prev} = sha256_hex($line);
    push @{ $w->{lines} }, $line;
    push @{ $w->{fields} }, \@pairs;
    return $line;
}

sub checkpoint {
    my ($w, $ts, @others) = @_;
    my @heads = map { "$_->{writer}/$_->{seq} "
                      . sha256_hex($_->{lines}[-1]) }
                sort { $a->{writer} cmp $b->{writer} }
                grep { $_->{seq} > 0 } @others;
    return emit($w, $ts, 'checkpoint', key => $key->{id},
        heads => join(',', @heads));
}

# --- the synthetic trail --------------------------------------------------------
#
# web1 runs writers A (pid 100, its file rotated once) and B (101), which
# both stop; C (102) starts later and is still running: an unsigned tail.

my $T0 = 1795970400000;
my $A = writer('web1', 100, $T0);
my $B = writer('web1', 101, $T0);
my $C = writer('web1', 102, $T0 + 5000);

my %chal = (id => 'SaiPozlZh3HjLuFM28wY1A', user => 'alice',
    approver => 'ops', client => '192.0.2.10', agent => 'Mozilla/5.0',
    server => 'vault.example.com', scope => '/ui/',
    unlocks => 'all methods on vault.example.com under /ui/',
    method => 'GET', uri => '/ui/secrets/db');
my %req = (client => '192.0.2.66',
    agent => "Evil <script>\"'& \x01\xe2\x80\xa8 caf\xc3\xa9 \\",
    server => 'vault.example.com', method => 'GET');

emit($A, $T0 + 1, 'writer_start');                              # A1
emit($B, $T0 + 1, 'writer_start');                              # B1
checkpoint($A, $T0 + 2, $B);                                    # A2
checkpoint($B, $T0 + 2, $A);                                    # B2
emit($A, $T0 + 10, 'challenge_created', %chal);                 # A3
emit($A, $T0 + 12, 'notified', %chal);                          # A4
my $a_rotated = $A->{seq};
emit($B, $T0 + 20, 'approved', %chal);                          # B3
emit($B, $T0 + 21, 'cookie_issued', %chal);                     # B4
emit($B, $T0 + 21, 'access', (map { $_ => $chal{$_} }
    qw(id user approver client agent server method uri)),
    status => 200, bytes => 538, request_time => '0.008');      # B5
emit($A, $T0 + 30, 'limited', %req, user => '=cmd()',
    uri => '/ui/a,b"c');                                        # A5
emit($A, $T0 + 31, 'cookie_rejected', %req, user => 'bob',
    uri => '/ui/x', reason => 'revoked');                       # A6
emit($B, $T0 + 40, 'writer_stop');                              # B6
checkpoint($B, $T0 + 40, $A);                                   # B7
emit($A, $T0 + 50, 'access', (map { $_ => $chal{$_} }
    qw(id user approver client agent server method)),
    uri => '/ui/', status => 200, bytes => 232,
    request_time => '0.000');                                   # A7
emit($A, $T0 + 60, 'writer_stop');                              # A8
checkpoint($A, $T0 + 60, $B);                                   # A9
emit($C, $T0 + 5001, 'writer_start');                           # C1
checkpoint($C, $T0 + 5001, $A, $B);                             # C2
emit($C, $T0 + 5010, 'rejected', %req, uri => '/_pa/approve/x',
    reason => 'bad_token');                                     # C3
emit($C, $T0 + 5011, 'rejected', %req, uri => '/_pa/wait/y',
    reason => 'bad_pending');                                   # C4

my %FILE = (
    A1 => "journal-100-$T0.ndjson.1",
    A  => "journal-100-$T0.ndjson",
    B  => "journal-101-$T0.ndjson",
    C  => 'journal-102-' . ($T0 + 5000) . '.ndjson',
);

# the files: name => [lines]
sub files {
    my @a = @{ $A->{lines} };
    return (
        $FILE{A1} => [ @a[0 .. $a_rotated - 1] ],
        $FILE{A}  => [ @a[$a_rotated .. $#a] ],
        $FILE{B}  => [ @{ $B->{lines} } ],
        $FILE{C}  => [ @{ $C->{lines} } ],
    );
}

# journal(NAME, sub { my $files = shift; ... }) -> a directory with the
# files, after the sub changed them ($files->{name} = [lines] or undef)
sub journal {
    my ($name, $change, $raw) = @_;
    my $dir = "$tmp/$name";
    File::Path::make_path($dir);
    my %f = files();
    $change->(\%f) if $change;
    for my $n (sort keys %f) {
        next unless defined $f{$n};
        spew("$dir/$n", join('', map { "$_\n" } @{ $f{$n} })
            . ($raw && $raw->{$n} // ''));
    }
    return $dir;
}

sub verify_dir {
    my ($dir, $pub) = @_;
    return audit('verify', '--pubkey', $pub // $key->{pub}, $dir);
}

my $Aw = quotemeta $A->{writer};
my $Bw = quotemeta $B->{writer};
my $Cw = quotemeta $C->{writer};
my $Ff = sub { quotemeta $FILE{$_[0]} };

# --- verify: an untouched trail ------------------------------------------------

my $good = journal('good');
my ($rc, $out, $err) = verify_dir($good);
is($rc, 0, 'untouched trail: exit 0') or diag($out, $err);
like($out, qr/^3 writer\(s\), 20 line\(s\), 5 checkpoint\(s\), 5 verified with key \Q$key->{id}\E; 0 break\(s\), 1 note\(s\)$/m,
    'untouched trail: summary') or diag($out);
like($out, qr/^note: writer $Cw: no checkpoint after writer_stop .*2 line\(s\) after its last checkpoint are unsigned/m,
    'unsigned tail: a note naming the writer') or diag($out);
unlike($out, qr/^BREAK/m, 'untouched trail: no break');
like($out, qr/^OK$/m, 'untouched trail: OK');

# one file, given by name, and files in any order
($rc, $out) = audit('verify', '--pubkey', $key->{pub}, "$good/$FILE{B}",
    "$good/$FILE{A}", "$good/$FILE{A1}");
is($rc, 0, 'files given by name, newest segment first: exit 0')
    or diag($out);

# --- verify: tampering ------------------------------------------------------------

sub tampered {
    my ($name, $change, $want, $what, %opt) = @_;
    my $dir = journal($name, $change, $opt{raw});
    my ($rc, $out, $err) = verify_dir($dir, $opt{pub});
    is($rc, 1, "$what: exit 1") or diag($out, $err);
    like($out, $_, "$what: names it") or diag($out) for @$want;
    like($out, qr/^FAILED$/m, "$what: FAILED");
    return $out;
}

tampered('removed', sub { splice @{ $_[0]{$FILE{A}} }, 1, 1 },
    [ qr/^BREAK .*${\ $Ff->('A')}:2: writer $Aw seq 7: a gap: seq 6 to 6 missing$/m,
      qr/^BREAK .*${\ $Ff->('A')}:2: writer $Aw seq 7: prev is not the hash of the line before/m ],
    'removed line');

tampered('altered', sub { $_[0]{$FILE{B}}[4] =~ s/"status":200/"status":404/
                          or die },
    [ qr/^BREAK .*${\ $Ff->('B')}:6: writer $Bw seq 6: prev is not the hash of the line before \(.*${\ $Ff->('B')}:5\)$/m ],
    'altered line');

tampered('swapped', sub { @{ $_[0]{$FILE{B}} }[2, 3]
                              = @{ $_[0]{$FILE{B}} }[3, 2] },
    [ qr/^BREAK .*${\ $Ff->('B')}:3: writer $Bw seq 4: out of order/m ],
    'swapped lines');

tampered('inserted', sub {
        my $l = $_[0]{$FILE{B}}[3];
        $l =~ s/"event":"cookie_issued"/"event":"access"/ or die;
        splice @{ $_[0]{$FILE{B}} }, 4, 0, $l;
    },
    [ qr/^BREAK .*${\ $Ff->('B')}:5: writer $Bw seq 4: seq repeated/m ],
    'inserted line');

tampered('cut', sub { splice @{ $_[0]{$FILE{B}} }, 5 },
    [ qr/^BREAK .*${\ $Ff->('A')}:\d+: writer $Aw seq 9: a chain cut: heads vouch for $Bw\/7, and that chain ends at seq 5$/m ],
    'chain cut before its last checkpoint');

tampered('missing', sub { $_[0]{$FILE{B}} = undef },
    [ qr/^BREAK .*: writer $Aw seq 2: a missing chain: heads vouch for $Bw\/1/m,
      qr/^BREAK .*: writer $Cw seq 2: a missing chain: heads vouch for $Bw\/7/m ],
    'a whole chain missing');

tampered('forged', sub { $_[0]{$FILE{A}}[-1] =~ s/"sig":"(.)/'"sig":"'
                             . ($1 eq 'A' ? 'B' : 'A')/e or die },
    [ qr/^BREAK .*${\ $Ff->('A')}:5: writer $Aw seq 9: the checkpoint's signature does not verify$/m ],
    'forged signature');

tampered('wrongkey', undef,
    [ qr/^BREAK .*: writer $Aw seq 2: checkpoint made with key \Q$key->{id}\E, not with the given key \Q$other->{id}\E$/m ],
    'wrong public key', pub => $other->{pub});

# a chain rewritten with new hashes after an altered line: the signature
# of the next checkpoint does not hold (the attacker has no key)
{
    my $W = writer('web1', 101, $T0);
    for my $f (@{ $B->{fields} }) {
        my %f = map { @$_ } @$f;
        my $ev = $f{event};
        delete @f{qw(v ts event eid writer seq node prev sig)};
        $f{status} = 404 if $ev eq 'access';
        $f{signer} = $other if $ev eq 'checkpoint';
        $f{key} = $key->{id} if $ev eq 'checkpoint';
        emit($W, (map { $_->[1] } grep { $_->[0] eq 'ts' } @$f)[0], $ev, %f);
    }
    tampered('rewritten', sub { $_[0]{$FILE{B}} = [ @{ $W->{lines} } ] },
        [ qr/^BREAK .*${\ $Ff->('B')}:2: writer $Bw seq 2: the checkpoint's signature does not verify$/m,
          qr/^BREAK .*: writer $Aw seq 9: heads vouch for $Bw\/7 with another hash/m ],
        'chain rewritten with new hashes');
}

tampered('spaced', sub { $_[0]{$FILE{B}}[2] =~ s/,"seq"/, "seq"/ or die },
    [ qr/^BREAK .*${\ $Ff->('B')}:3: not canonical: bytes differ from the canonical form .*\(writer $Bw seq 3\)$/m ],
    'non-canonical line: extra space');

tampered('reordered', sub {
        $_[0]{$FILE{B}}[2] =~ s/("id":"[^"]*"),("user":"[^"]*")/$2,$1/
            or die },
    [ qr/^BREAK .*${\ $Ff->('B')}:3: not canonical: field id repeated or out of order/m ],
    'non-canonical line: reordered fields');

tampered('escaped', sub { $_[0]{$FILE{A}}[0] =~ s/\\u003c/\\u003C/ or die },
    [ qr/^BREAK .*${\ $Ff->('A')}:1: not canonical: agent is not escaped as the format says/m ],
    'non-canonical line: an escape in upper case');

tampered('number', sub { $_[0]{$FILE{B}}[4] =~ s/"bytes":538/"bytes":538.0/
                         or die },
    [ qr/^BREAK .*${\ $Ff->('B')}:5: not canonical/m ],
    'non-canonical line: a number as a double');

tampered('long', sub { splice @{ $_[0]{$FILE{B}} }, 2, 0, 'x' x 70000 },
    [ qr/^BREAK .*${\ $Ff->('B')}:3: line longer than 64 KiB \(70000 bytes\)$/m ],
    'a line longer than 64 KiB');

tampered('huge', sub { splice @{ $_[0]{$FILE{B}} }, 2, 0, 'y' x 300000, '' },
    [ qr/^BREAK .*${\ $Ff->('B')}:3: line longer than 64 KiB$/m,
      qr/^BREAK .*${\ $Ff->('B')}:4: not canonical: an empty line$/m ],
    'a line of 300 KB, then an empty line');

tampered('tornmid', undef,
    [ qr/^BREAK .*${\ $Ff->('A1')}:5: a torn line \(20 bytes without \\n\) that is not the end of its chain$/m ],
    'a torn line at the end of a rotated (older) segment',
    raw => { $FILE{A1} => '{"v":1,"ts":17959704' });

# --- verify: notes ------------------------------------------------------------------

{
    my $dir = journal('torn', undef,
        { $FILE{C} => '{"v":1,"ts":1795970405012,"event":"rej' });
    my ($rc, $out, $err) = verify_dir($dir);
    is($rc, 0, 'torn final line: exit 0') or diag($out, $err);
    like($out, qr/^note: .*${\ $Ff->('C')}:5: a torn final line \(38 bytes without \\n\)/m,
        'torn final line: a note') or diag($out);
}

{
    # a whole last line without its \n
    my $dir = journal('nonl', sub { pop @{ $_[0]{$FILE{C}} } },
        { $FILE{C} => $C->{lines}[-1] });
    my ($rc, $out, $err) = verify_dir($dir);
    is($rc, 0, 'a last line without \n: exit 0') or diag($out, $err);
    like($out, qr/^note: .*${\ $Ff->('C')}:4: the last line has no \\n/m,
        'a last line without \n: a note') or diag($out);
    unlike($out, qr/torn/, 'a last line without \n: not torn');
}

{
    # a file compressed by logrotate is skipped, with a note
    my $dir = journal('packed');
    spew("$dir/$FILE{A1}.gz", "\x1f\x8b\x08\x00");
    spew("$dir/audit.key.pub", slurp($key->{pub}));
    my ($rc, $out, $err) = audit('export', $dir);
    is($rc, 0, 'export of a directory with a .gz file: exit 0');
    like($err, qr/skipped .*\Q$FILE{A1}\E\.gz: compressed/,
        '.gz file: skipped with a note on stderr');
}

# --- usage and I/O errors --------------------------------------------------------------

($rc, $out, $err) = audit('verify', $good);
is($rc, 2, 'verify without --pubkey: exit 2');
like($err, qr/--pubkey/, 'verify without --pubkey: says so');
($rc) = audit('verify', '--pubkey', $key->{pub}, "$tmp/nonexistent");
is($rc, 2, 'verify of a path that does not exist: exit 2');
mkdir "$tmp/empty";
($rc, $out, $err) = audit('verify', '--pubkey', $key->{pub}, "$tmp/empty");
is($rc, 2, 'verify of a directory without journal files: exit 2');
like($err, qr/no lines found/, 'verify of nothing: says so');
($rc) = audit('verify', '--pubkey', "$good/$FILE{B}", $good);
is($rc, 2, 'verify with a file that is no public key: exit 2');
($rc) = audit('export', '--bogus', $good);
is($rc, 2, 'unknown option: exit 2');
($rc) = audit('export', '--since', 'yesterday', $good);
is($rc, 2, 'a time that cannot be read: exit 2');
($rc, $out) = audit('--help');
is($rc, 0, '--help: exit 0');
like($out, qr/export.*verify.*shipped.*follow/s, '--help lists the commands');
for my $c (qw(export verify shipped follow)) {
    ($rc, $out) = audit($c, '--help');
    ok($rc == 0 && $out =~ /^usage: push-approval-audit $c/, "$c --help");
}

# --- export --------------------------------------------------------------------------------

my @all = sort { $a->[0] <=> $b->[0] || $a->[1] cmp $b->[1]
                 || $a->[2] <=> $b->[2] }
          map { my $w = $_; map { [ ($w->{lines}[$_] =~ /"ts":(\d+)/),
                                    $w->{writer}, $_ + 1,
                                    $w->{lines}[$_] ] }
                            0 .. $#{ $w->{lines} } } $A, $B, $C;
my $expect = join '', map { "$_->[3]\n" } @all;

($rc, $out, $err) = audit('export', $good);
is($rc, 0, 'export: exit 0') or diag($err);
is($out, $expect, 'export: every line, ordered by ts, writer, seq');

sub exported {
    my ($rc, $out, $err) = audit('export', @_, $good);
    is($rc, 0, "export @_: exit 0") or diag($err);
    return [ map { /"eid":"([^"]+)"/ ? $1 : '?' } split /\n/, $out ];
}

is_deeply(exported('--id', $chal{id}),
    [ "$A->{writer}/3", "$A->{writer}/4", "$B->{writer}/3",
      "$B->{writer}/4", "$B->{writer}/5", "$A->{writer}/7" ],
    'export --id: the events of one approval, in time order');
is_deeply(exported('--user', 'bob', '--user', '=cmd()'),
    [ "$A->{writer}/5", "$A->{writer}/6" ], 'export --user (twice)');
is_deeply(exported('--event', 'access', '--user', 'alice'),
    [ "$B->{writer}/5", "$A->{writer}/7" ], 'export --event and --user');
is_deeply(exported('--since', $T0 + 30, '--until', $T0 + 40),
    [ "$A->{writer}/5", "$A->{writer}/6", "$B->{writer}/6",
      "$B->{writer}/7" ], 'export --since --until (ms, both inclusive)');
is_deeply(exported('--since', '2026-11-29T16:40:05Z', '--event', 'rejected'),
    [ "$C->{writer}/3", "$C->{writer}/4" ],
    'export --since ISO 8601 UTC');
is_deeply(exported('--until', '2026-11-29T16:40:00.010Z'),
    [ "$A->{writer}/1", "$B->{writer}/1", "$A->{writer}/2",
      "$B->{writer}/2", "$A->{writer}/3" ],
    'export --until ISO 8601 with milliseconds');

($rc, $out, $err) = audit('export', '--format', 'csv', '--user', '=cmd()',
    $good);
is($rc, 0, 'export --format csv: exit 0') or diag($err);
my @csv = split /\r\n/, $out;
is($csv[0], join(',', @ORDER), 'csv: the header has all fields in order');
is(scalar @csv, 2, 'csv: one row');
like($csv[1], qr/,'=cmd\(\),/, 'csv: "=cmd()" comes out as "\'=cmd()"');
like($csv[1], qr/,"\/ui\/a,b""c",/, 'csv: RFC 4180 quoting');
like($csv[1], qr/,"Evil <script>""'& \x01\xe2\x80\xa8 caf\xc3\xa9 \\",/,
    'csv: values unescaped');

# --- Redis ------------------------------------------------------------------------------------

my $redis_server = (grep { -x "$_/redis-server" } split /:/, $ENV{PATH} // '')[0];

SKIP: {
    if (!$redis_server) {
        fail('redis-server present under CI (make deps)') if $ENV{CI};
        skip 'missing redis-server (make deps)', 1;
    }
    redis_tests("$redis_server/redis-server");
}

is(scalar @sanitizer, 0, 'no sanitizer report') or diag(@sanitizer);

done_testing;

# --- a minimal RESP client -------------------------------------------------------------------

sub resp_read {
    my ($s) = @_;
    my $l = <$s> // die "redis closed the connection\n";
    $l =~ s/\r\n\z//;
    my ($t, $v) = (substr($l, 0, 1), substr($l, 1));
    return $v if $t eq '+' || $t eq ':';
    die "redis: $v\n" if $t eq '-';
    if ($t eq '$') {
        return undef if $v < 0;
        my $buf = '';
        while (length $buf < $v + 2) {
            read($s, $buf, $v + 2 - length $buf, length $buf)
                or die "redis: short read\n";
        }
        return substr($buf, 0, $v);
    }
    if ($t eq '*') {
        return undef if $v < 0;
        return [ map { resp_read($s) } 1 .. $v ];
    }
    die "redis: unexpected reply $l\n";
}

sub r {
    my ($s, @cmd) = @_;
    print {$s} '*' . @cmd . "\r\n"
        . join('', map { '$' . length($_) . "\r\n$_\r\n" } @cmd);
    return resp_read($s);
}

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
        Proto => 'tcp', ReuseAddr => 1) or die "no port: $!\n";
    my $p = $s->sockport;
    close $s;
    return $p;
}

sub start_redis {
    my ($server) = @_;
    my $dir = "$tmp/redis";
    mkdir $dir;
    for (1 .. 5) {
        my $port = free_port();
        my $pid = fork // die "fork: $!\n";
        if ($pid == 0) {
            open STDOUT, '>', "$dir/log" or POSIX::_exit(127);
            open STDERR, '>&', \*STDOUT;
            exec $server, '--port', $port, '--bind', '127.0.0.1',
                '--save', '', '--appendonly', 'no', '--dir', $dir
                or POSIX::_exit(127);
        }
        # poll until it answers PING, or has exited (port taken)
        my $deadline = time + 10;
        while (time < $deadline) {
            last if waitpid($pid, POSIX::WNOHANG()) == $pid;
            my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                Proto => 'tcp');
            if ($s) {
                $s->autoflush(1);
                my $pong = eval { r($s, 'PING') };
                return ($pid, $port, $s) if ($pong // '') eq 'PONG';
            }
            select undef, undef, undef, 0.02;
        }
        kill 'TERM', $pid;
        waitpid $pid, 0;
    }
    die "redis-server did not start, see $dir/log\n";
}

sub load_stream {
    my ($s, $stream, @writers) = @_;
    # ship in time order, as the workers would
    my @ev;
    for my $w (@writers) {
        push @ev, map { [ $w, $_ ] } @{ $w->{fields} };
    }
    my %id;
    for my $e (sort { $a->[1][1][1] <=> $b->[1][1][1] } @ev) {
        my ($w, $pairs) = @$e;
        my ($seq) = map { $_->[1] } grep { $_->[0] eq 'seq' } @$pairs;
        $id{"$w->{writer}/$seq"} = r($s, 'XADD', $stream, '*',
            map { @$_ } @$pairs);
    }
    my $tagged = $stream =~ /\{[^}]+\}/;
    for my $w (@writers) {
        my $k = ($tagged ? $stream : "{$stream}") . ":shipped:$w->{writer}";
        r($s, 'SET', $k, $w->{seq});
    }
    return \%id;
}

sub redis_tests {
    my ($server) = @_;
    my ($pid, $port, $s) = start_redis($server);
    my @R = ('--redis', "127.0.0.1:$port");
    my $ok;

    eval {
        my $ids = load_stream($s, 'push_approval:events', $A, $B, $C);

        my ($rc, $out, $err) = audit('verify', '--pubkey', $key->{pub}, @R);
        is($rc, 0, 'redis: verify of the stream: exit 0') or diag($out, $err);
        like($out, qr/^3 writer\(s\), 20 line\(s\), 5 checkpoint\(s\), 5 verified/m,
            'redis: verify summary') or diag($out);
        my $c4 = quotemeta $ids->{"$C->{writer}/4"};
        like($out, qr/^note: writer $Cw: .*2 line\(s\) after its last checkpoint are unsigned, up to stream entry $c4$/m,
            'redis: unsigned tail named by stream entry') or diag($out);

        ($rc, $out, $err) = audit('export', @R);
        is($rc, 0, 'redis: export: exit 0') or diag($err);
        is($out, $expect, 'redis: export equals the export of the journal');

        ($rc, $out) = audit('export', '--format', 'csv', @R);
        my ($rc2, $out2) = audit('export', '--format', 'csv', $good);
        is($out, $out2, 'redis: csv export equals the journal\'s');

        ($rc, $out, $err) = audit('shipped', @R, $good);
        is($rc, 0, 'shipped: all shipped: exit 0') or diag($out, $err);
        like($out, qr/^yes  .*${\ $Ff->('A1')}  writer $Aw  seq 1-4  shipped up to 9$/m,
            'shipped: names segment, writer, seqs, checkpoint') or diag($out);
        like($out, qr/^4 segment\(s\): 4 fully shipped, 0 not$/m,
            'shipped: summary');

        r($s, 'SET', "{push_approval:events}:shipped:$A->{writer}", 4);
        r($s, 'DEL', "{push_approval:events}:shipped:$C->{writer}");
        ($rc, $out, $err) = audit('shipped', @R, $good);
        is($rc, 1, 'shipped: not all shipped: exit 1') or diag($out, $err);
        like($out, qr/^yes  .*${\ $Ff->('A1')}  writer $Aw  seq 1-4  shipped up to 4$/m,
            'shipped: the rotated segment is shipped');
        like($out, qr/^no   .*${\ $Ff->('A')}  writer $Aw  seq 5-9  shipped up to 4$/m,
            'shipped: the current segment is not');
        like($out, qr/^no   .*${\ $Ff->('C')}  writer $Cw  seq 1-4  nothing shipped$/m,
            'shipped: a writer without checkpoint') or diag($out);

        # a checkpoint vouching for lines not shipped yet is a note
        my $cut = "{push_approval:events}:shipped:$B->{writer}";
        r($s, 'SET', $cut, 5);
        r($s, 'XDEL', 'push_approval:events', $ids->{"$B->{writer}/6"},
            $ids->{"$B->{writer}/7"});
        ($rc, $out) = audit('verify', '--pubkey', $key->{pub}, @R);
        like($out, qr/^note: .*vouches for $Bw\/7, not shipped yet: not checked$/m,
            'redis: a head beyond the shipping checkpoint is a note')
            or diag($out);
        r($s, 'SET', $cut, 7);
        ($rc, $out) = audit('verify', '--pubkey', $key->{pub}, @R);
        is($rc, 1, 'redis: shipped but gone from the stream: exit 1');
        like($out, qr/^BREAK stream entry \S+: writer $Aw seq 9: a chain cut: heads vouch for $Bw\/7/m,
            'redis: the chain cut is named') or diag($out);

        # XDEL of one entry inside a chain
        my $st = 'pa:x';
        my $ids2 = load_stream($s, $st, $A, $B, $C);
        ($rc, $out) = audit('verify', '--pubkey', $key->{pub}, @R,
            '--stream', $st);
        is($rc, 0, 'redis: second stream passes') or diag($out);
        r($s, 'XDEL', $st, $ids2->{"$B->{writer}/4"});
        ($rc, $out) = audit('verify', '--pubkey', $key->{pub}, @R,
            '--stream', $st);
        is($rc, 1, 'redis: after XDEL of one entry: exit 1');
        my $gap = quotemeta $ids2->{"$B->{writer}/5"};
        like($out, qr/^BREAK stream entry $gap: writer $Bw seq 5: a gap: seq 4 to 4 missing$/m,
            'redis: the gap is named by stream entry id') or diag($out);

        # an entry altered in Redis
        my $st3 = '{pa}:ev';
        my $ids3 = load_stream($s, $st3, $A, $B, $C);
        ($rc, $out) = audit('shipped', @R, '--stream', $st3, $good);
        is($rc, 0, 'shipped: key of a stream name with a hash tag')
            or diag($out);
        r($s, 'XADD', $st3, '*', v => 1, ts => 5, event => 'x y');
        ($rc, $out) = audit('verify', '--pubkey', $key->{pub}, @R,
            '--stream', $st3);
        is($rc, 1, 'redis: an entry that is no event: exit 1');
        like($out, qr/^BREAK stream entry \d+-\d+: not canonical: a chain field is missing$/m,
            'redis: the entry is named') or diag($out);

        # hostile entries: each is a break of its own, not a crash
        my $bad = 'pa:bad';
        my @f = map { @$_ } @{ $B->{fields}[2] };
        my %bad = (
            utf8  => [ map { $_ eq 'alice' ? "al\xffice" : $_ } @f ],
            zero  => [ map { $_ eq '3' ? '03' : $_ } @f ],
            many  => [ @f, map { ("x$_" => 1) } 1 .. 40 ],
            empty => [ map { $_ eq 'alice' ? '' : $_ } @f ],
            big   => [ map { $_ eq 'alice' ? 'a' x 70000 : $_ } @f ],
        );
        my %bid = map { $_ => r($s, 'XADD', $bad, '*', @{ $bad{$_} }) }
                  sort keys %bad;
        ($rc, $out) = audit('verify', '--pubkey', $key->{pub}, @R,
            '--stream', $bad);
        is($rc, 1, 'redis: hostile entries: exit 1');
        like($out, qr/^BREAK stream entry \Q$bid{$_}\E: (not canonical|line longer)/m,
            "redis: hostile entry ($_) is a break") or diag($out)
            for sort keys %bad;
        ($rc, $out, $err) = audit('export', @R, '--stream', $bad);
        ok($rc == 0 && $out eq '' && $err =~ /5 line\(s\) were no canonical/,
            'redis: export leaves hostile entries out, with a note')
            or diag($rc, $out, $err);

        # trimmed by MAXLEN: the chains start later; a note, not a break
        my $st4 = 'pa:trim';
        load_stream($s, $st4, $A, $B, $C);
        r($s, 'XTRIM', $st4, 'MAXLEN', 8);
        ($rc, $out) = audit('verify', '--pubkey', $key->{pub}, @R,
            '--stream', $st4);
        is($rc, 0, 'redis: a stream trimmed by MAXLEN: exit 0') or diag($out);
        like($out, qr/^note: writer $Aw: the stream's chain starts at seq \d+ .*trimmed \(MAXLEN\)/m,
            'redis: trimming is a note') or diag($out);

        follow_tests($s, @R);

        ($rc, $out, $err) = audit('verify', '--pubkey', $key->{pub},
            '--redis', '127.0.0.1:1');
        is($rc, 2, 'redis: cannot connect: exit 2');
        $ok = 1;
    };
    fail("redis tests: $@") unless $ok;

    kill 'TERM', $pid;
    waitpid $pid, 0;
}

sub follow_tests {
    my ($s, @R) = @_;
    my $st = 'pa:follow';
    load_stream($s, $st, $A);

    my $out = "$tmp/follow.out";
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        open STDOUT, '>', $out or POSIX::_exit(127);
        exec $bin, 'follow', @R, '--stream', $st, '--from', '0',
            '--event', 'access' or POSIX::_exit(127);
    }

    my $wait = sub {
        my ($n) = @_;
        my $deadline = time + 10;
        my @l;
        while (time < $deadline) {
            @l = split /\n/, (-e $out ? slurp($out) : '');
            last if @l >= $n;
            select undef, undef, undef, 0.02;
        }
        return \@l;
    };

    my $l = $wait->(1);
    is_deeply($l, [ $A->{lines}[6] ], 'follow --from 0 --event access: '
        . 'the existing access event');
    r($s, 'XADD', $st, '*', map { @$_ } @{ $B->{fields}[4] });
    $l = $wait->(2);
    is($l->[1], $B->{lines}[4], 'follow: a new entry arrives');

    kill 'TERM', $pid;
    waitpid $pid, 0;
}
