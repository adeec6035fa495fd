# SPDX-License-Identifier: Apache-2.0
# Rocket.Chat's own REST client, @rocket.chat/api-client, drives the whole
# invite lifecycle against this server (t/client/lifecycle.mjs): create,
# find again, validate, use as a new member, list, remove, remove again,
# and a call without credentials.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use InviteTest;

plan tests => 4;

my $STEPS = 9;   # the steps of t/client/lifecycle.mjs
my $client = Apache::Test::vars('top_dir') . '/t/client';

my $out = `"$client/install.sh" 2>&1`;
is($? >> 8, 0, 't/client/install.sh installs @rocket.chat/api-client') or diag($out);

# A fresh start: the invite must come first in listInvites, and the
# joiner must not be in the room yet (also when this file is run again).
reset_invites();
db_do('DELETE FROM subscriptions WHERE user_id = ?', $USER{joiner});

local $ENV{INVITE_API_URL}      = 'http://127.0.0.1:' . Apache::Test::vars('port');
local $ENV{INVITE_ADMIN_ID}     = $USER{admin};
local $ENV{INVITE_ADMIN_TOKEN}  = $TOKEN{admin};
local $ENV{INVITE_JOINER_ID}    = $USER{joiner};
local $ENV{INVITE_JOINER_TOKEN} = $TOKEN{joiner};
local $ENV{INVITE_RID}          = 'GENERAL';
open my $node, '-|', 'node', "$client/lifecycle.mjs" or die "node: $!";
my @tap = <$node>;
close $node;
my $status = $? >> 8;

my $plan   = (map { /^1\.\.(\d+)$/ ? $1 : () } @tap)[0] // 0;
my $passed = grep { /^ok \d+ - / } @tap;
is($plan, $STEPS, "lifecycle.mjs plans $STEPS steps");
is($passed, $STEPS, "all $STEPS lifecycle steps pass through the client");
is($status, 0, 'lifecycle.mjs exits 0');
if ($passed == $STEPS && $status == 0) { note(join '', @tap) } else { diag(join '', @tap) }
