#!/usr/bin/perl

# SSI into a protected place (docs/identity.md, Subrequests): an include
# from an unprotected page is refused (403, no push); with `ssi off`
# nothing is included at all; a direct request is gated.

# Each scenario has users of its own, so per-user prompt limits and
# lockouts never interfere; when the build knows those directives they are
# loosened anyway.  The nginx and the helpers: t/lib/PA/Hostile.pm.

use strict;
use warnings;

use lib 't/lib';
use PA::Test;
use PA::Std qw(push_for);
use PA::Hostile qw(:all);
use Test::More;

my $t = PA::Hostile::start();

{
    my $r = $t->http(path => '/pub/inc.shtml');
    is($r->{status}, 200, 'ssi on: the unprotected page');
    unlike($r->{body}, qr/TOPSECRET-42/,
        'ssi on: an include of the protected place is refused');
    like($r->{body}, qr/403 Forbidden/, 'ssi on: the include got 403');
    ok($t->no_push(0.3), 'ssi on: no push');

    $r = $t->http(path => '/puboff/inc.shtml');
    is($r->{status}, 200, 'ssi off: the unprotected page');
    unlike($r->{body}, qr/TOPSECRET/, 'ssi off (the default): nothing is included');
    like($r->{body}, qr/<!--# include/, 'ssi off: the directive is left as it is');

    # the place is protected: a direct request is held
    my $h = $t->http_start(path => '/secret/data.txt?u=ssiu');
    my $push = push_for($t, 'ssiu');
    ok($push, 'ssi: a direct request to the protected place makes a push');
    post_form($t, PA::Std::approve_path($push), 'decision=deny') if $push;
    is($t->http_wait($h, 5)->{status}, 403, 'ssi: and is denied');
}

errlog_lines_clean($t, 'end');
$t->done;
done_testing;
