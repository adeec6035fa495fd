#!/usr/bin/env perl
# SPDX-License-Identifier: Apache-2.0
# bench/seed.pl - a deterministic, Rocket.Chat-shaped data set for the
# benchmark (make bench), loadable by SQLite and PostgreSQL alike.
#
#   perl bench/seed.pl --out DIR [--users 10000] [--rooms 10000]
#        [--subs 100000] [--invites 100000] [--admins 100] [--seed 42]
#        [--use-pairs 0]
#
# Writes, after conf/schema-*.sql has been loaded:
#   DIR/seed.sql       BEGIN; multi-row INSERTs; COMMIT; ANALYZE;
#                      (sqlite3 db < seed.sql, psql -v ON_ERROR_STOP=1 -f)
#   DIR/workload.lua   request data for bench/wrk/*.lua:
#                      find_targets {uid, token, rid, days, maxUses}: live
#                        invites of admins (200, no insert);
#                      admins {uid, token, rooms = {c/p rids}} (create);
#                      reject {uid, badtoken, rid} (401);
#                      validate {token}: live invites (valid:true);
#                      members {uid, token, invite}: a member of the
#                        room of a live invite (useInviteToken, a read);
#                      use_rooms {rid, invite}: one live maxUses-0 invite
#                        per room; newcomers {uid, token}: users with no
#                        subscription (useInviteToken, a write; see
#                        bench/wrk/use.lua).
#   DIR/static.json    a findOrCreateInvite 200 body (static baseline)
#
# Everything but the clock is a function of --seed: the random draws are
# fixed (srand), times are relative to the moment of generation.
#
# Data:
#   users        u + 16 digits; roles: all `user`, the first --admins also
#                `admin`, about 1% `bot`.
#   login_tokens 1..40 per user (geometric, median 5);
#                hashed_token = base64(SHA-256(token)) as Rocket.Chat.
#   rooms        r + 16 digits; 60% c, 36% p, 3% d, 1% l.
#   subscriptions  each admin in min(200, ...) distinct c/p/l rooms, the
#                rest spread over the other users; 5% carry a
#                subscription_roles row (owner, some moderator).
#   invites      by admins (90%) and room owners (10%) in rooms they are
#                subscribed to; 60% live (slot = 1, at most one per
#                creator/room/days/max_uses), 25% expired, 15% used up.
#   newcomers    with --use-pairs P > 0: ceil(P / rooms in use_rooms)
#                users (at least 20) after the others, role `user`, one
#                login token, no subscription, so that newcomer x use room
#                gives P distinct joins.  Drawn without rand(): every other
#                row and entry is the same as without them.
use strict;
use warnings;
use Digest::SHA qw(sha256);
use MIME::Base64 qw(encode_base64);
use Getopt::Long qw(GetOptions);
use POSIX qw(floor);

my %opt = (users => 10000, rooms => 10000, subs => 100000,
           invites => 100000, admins => 100, seed => 42, 'use-pairs' => 0);
GetOptions(\%opt, 'out=s', 'users=i', 'rooms=i', 'subs=i', 'invites=i',
           'admins=i', 'seed=i', 'use-pairs=i')
    or die "usage: $0 --out DIR [--users N] [--rooms N] [--subs N] "
         . "[--invites N] [--admins N] [--seed N] [--use-pairs N]\n";
defined $opt{out} or die "$0: --out DIR is required\n";
for my $k (qw(users rooms subs invites admins use-pairs)) {
    $opt{$k} >= 0 or die "$0: --$k must not be negative\n";
}
$opt{users} >= 1 && $opt{rooms} >= 1 or die "$0: need at least one user and one room\n";
$opt{admins} = $opt{users} if $opt{admins} > $opt{users};
-d $opt{out} or mkdir $opt{out} or die "$0: mkdir $opt{out}: $!\n";

srand($opt{seed});
my $DAY_MS = 86_400_000;
my $now = int(time() * 1000);
my @DAYS = (0, 1, 7, 15, 30);
my @USES = (0, 1, 5, 10, 25, 50, 100);
my @ID_ALPHABET = split //, '23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz';
my $ADMIN_ROOMS = 200;          # subscriptions per admin (at full scale)
my $FIND_TARGETS = 5000;
my $REJECTS = 1000;
my $VALIDATE = 5000;            # validate tokens
my $MEMBERS = 5000;             # member x invite entries (use-member)
my $MIN_NEWCOMERS = 20;

sub pick { return $_[int(rand(scalar @_))] }
sub randhex { return join '', map { sprintf '%04x', int(rand(65536)) } 1 .. $_[0] / 4 }
sub uid { return sprintf 'u%016d', $_[0] }
sub rid { return sprintf 'r%016d', $_[0] }
sub shuffle_in_place {          # Fisher-Yates on an array ref
    my $a = shift;
    for (my $i = $#$a; $i > 0; $i--) {
        my $j = int(rand($i + 1));
        @$a[$i, $j] = @$a[$j, $i];
    }
}

# ------------------------------------------------------------ SQL output
open my $sql, '>', "$opt{out}/seed.sql" or die "$0: $opt{out}/seed.sql: $!\n";
my %rows;                       # table -> rows written
{
    my ($table, $cols, @pending);
    sub flush_rows {
        return unless @pending;
        print {$sql} "INSERT INTO $table ($cols) VALUES\n",
                     join(",\n", @pending), ";\n";
        @pending = ();
    }
    sub row {                   # row(table, "cols", values...)
        my ($t, $c, @v) = @_;
        if (!defined $table || $t ne $table) {
            flush_rows();
            ($table, $cols) = ($t, $c);
        }
        push @pending, '(' . join(', ', map {
            !defined $_ ? 'NULL' : /^-?\d+\z/ ? $_ : do { (my $s = $_) =~ s/'/''/g; "'$s'" }
        } @v) . ')';
        $rows{$t}++;
        flush_rows() if @pending >= 500;
    }
}
print {$sql} "-- Generated by bench/seed.pl --users $opt{users} --rooms $opt{rooms}"
    . " --subs $opt{subs} --invites $opt{invites} --admins $opt{admins}"
    . " --seed $opt{seed}\n-- Load after conf/schema-sqlite3.sql or conf/schema-pgsql.sql.\n"
    . "BEGIN;\n";

# ------------------------------------------------------------ users, roles
my $N = $opt{users};
my $A = $opt{admins};
for my $i (1 .. $N) {
    row('users', 'id, username', uid($i), sprintf('user.%d', $i));
}
for my $i (1 .. $N) {
    row('user_roles', 'user_id, role', uid($i), 'user');
    row('user_roles', 'user_id, role', uid($i), 'admin') if $i <= $A;
    row('user_roles', 'user_id, role', uid($i), 'bot') if $i > $A && rand() < 0.01;
}

# ------------------------------------------------------------ login tokens
my %tokens;                     # user index -> [tokens] (clear text)
for my $i (1 .. $N) {
    my $n = 1;
    $n++ while $n < 40 && rand() >= 0.14;    # geometric, median 5
    for my $k (1 .. $n) {
        my $token = sprintf 'tok-%s-%d-%s', uid($i), $k, randhex(16);
        my $created = $now - $DAY_MS - int(rand(6 * $DAY_MS));
        row('login_tokens', 'user_id, hashed_token, created_at', uid($i),
            encode_base64(sha256($token), ''), $created);
        push @{$tokens{$i}}, $token;
    }
}

# ------------------------------------------------------------ rooms
my $R = $opt{rooms};
my (@type, @inviteable, @cp);
for my $j (1 .. $R) {
    my $x = rand();
    my $t = $x < 0.03 ? 'd' : $x < 0.04 ? 'l' : $x < 0.64 ? 'c' : 'p';
    $type[$j] = $t;
    push @inviteable, $j if $t ne 'd';
    push @cp, $j if $t eq 'c' || $t eq 'p';
    row('rooms', 'id, t, name, fname', rid($j), $t, "room-$j", "Room $j");
}

# ------------------------------------------------------------ subscriptions
my $S = $opt{subs};
my $per_admin = $A ? $S / 2 / $A : 0;  # admins take at most half at small scale
$per_admin = $ADMIN_ROOMS if $per_admin > $ADMIN_ROOMS;
$per_admin = @inviteable if $per_admin > @inviteable;
$per_admin = floor($per_admin);
my (%admin_rooms, @subs, %subscribed);
for my $i (1 .. $A) {
    my @pool = @inviteable;
    for my $k (0 .. $per_admin - 1) {    # partial Fisher-Yates: distinct rooms
        my $j = $k + int(rand(@pool - $k));
        @pool[$k, $j] = @pool[$j, $k];
    }
    $admin_rooms{$i} = [sort { $a <=> $b } @pool[0 .. $per_admin - 1]];
    for my $j (@{$admin_rooms{$i}}) {
        push @subs, [$i, $j];
        $subscribed{"$i,$j"} = 1;
    }
}
if ($N > $A) {
    my $want = $S - @subs;
    my $capacity = ($N - $A) * $R;
    $want = $capacity if $want > $capacity;
    my $tries = 0;
    while ($want > 0 && $tries++ < 50 * $S + 1000) {
        my $i = $A + 1 + int(rand($N - $A));
        my $j = 1 + int(rand($R));
        next if $subscribed{"$i,$j"}++;
        push @subs, [$i, $j];
        $want--;
    }
}
for my $s (sort { $a->[0] <=> $b->[0] || $a->[1] <=> $b->[1] } @subs) {
    row('subscriptions', 'user_id, rid', uid($s->[0]), rid($s->[1]));
}
my @owners;                     # [user, room]: owners of c/p/l rooms, not admins
for my $s (@subs) {
    next unless rand() < 0.05;
    my $role = rand() < 0.75 ? 'owner' : 'moderator';
    row('subscription_roles', 'user_id, rid, role', uid($s->[0]), rid($s->[1]), $role);
    push @owners, $s if $role eq 'owner' && $s->[0] > $A && $type[$s->[1]] ne 'd';
}

# ------------------------------------------------------------ invites
my $I = $opt{invites};
my @state = (('live') x int($I * 0.60 + 0.5), ('expired') x int($I * 0.25 + 0.5));
push @state, ('used') x ($I - @state) if @state < $I;
splice @state, $I;
shuffle_in_place(\@state);
my (%invite_ids, %live_key, @live_admin, @live);
my $have_creators = $A > 0 && $per_admin > 0 || @owners;
for my $st ($have_creators ? @state : ()) {
    my ($u, $j, $days, $max, $key);
    for my $try (1 .. 100) {
        if (@owners && (rand() < 0.10 || !($A && $per_admin))) {
            ($u, $j) = @{pick(@owners)};
        } else {
            $u = 1 + int(rand($A));
            $j = pick(@{$admin_rooms{$u}});
        }
        $days = $st eq 'expired' ? pick(@DAYS[1 .. $#DAYS]) : pick(@DAYS);
        $max = $st eq 'used' ? pick(@USES[1 .. $#USES]) : pick(@USES);
        $key = "$u,$j,$days,$max";
        last unless $st eq 'live' && $live_key{$key};
        $key = undef;
    }
    next if !defined $key;      # no free live key left (tiny data sets)
    my ($created, $uses);
    if ($st eq 'live') {        # at least half of its lifetime left
        $created = $now - 1000 - int(rand($days ? $days * $DAY_MS / 2 : 60 * $DAY_MS));
        $uses = $max ? int(rand($max)) : int(rand(20));
        $live_key{$key} = 1;
    } elsif ($st eq 'expired') {
        $created = $now - $days * $DAY_MS - 1000 - int(rand(60 * $DAY_MS));
        $uses = $max ? int(rand($max)) : int(rand(20));
    } else {
        $created = $now - 1000 - int(rand(($days || 60) * $DAY_MS));
        $uses = $max;
    }
    my $id;
    do { $id = join '', map { pick(@ID_ALPHABET) } 1 .. 6 } while $invite_ids{$id}++;
    my $expires = $days ? $created + $days * $DAY_MS : undef;
    my $updated = $uses ? $created + int(rand($now - $created)) : $created;
    row('invites', 'id, days, max_uses, rid, user_id, created_at, expires, uses, updated_at, slot',
        $id, $days, $max, rid($j), uid($u), $created, $expires, $uses, $updated,
        $st eq 'live' ? 1 : undef);
    push @live_admin, [$id, $u, $j, $days, $max, $created, $expires, $uses, $updated]
        if $st eq 'live' && $u <= $A;
    push @live, [$id, $j, $max] if $st eq 'live';
}

# ------------------------------------------------------------ newcomers
# One live maxUses-0 invite per room (the first drawn), and enough users
# with no subscription that newcomer x room covers --use-pairs joins.
my (%use_invite, @use_rooms, @newcomers);
for my $l (@live) {
    my ($id, $j, $max) = @$l;
    next if $max || $use_invite{$j};
    $use_invite{$j} = $id;
    push @use_rooms, $j;
}
if ($opt{'use-pairs'} > 0 && @use_rooms) {
    my $k = int(($opt{'use-pairs'} + @use_rooms - 1) / @use_rooms);
    $k = $MIN_NEWCOMERS if $k < $MIN_NEWCOMERS;
    # No rand(): the draws of everything else stay as they were.
    @newcomers = map { [uid($_), sprintf('tok-%s-1-%s', uid($_),
        substr(unpack('H*', sha256("$opt{seed} newcomer $_")), 0, 16))] } $N + 1 .. $N + $k;
    row('users', 'id, username', $newcomers[$_][0], 'user.' . ($N + 1 + $_)) for 0 .. $#newcomers;
    row('user_roles', 'user_id, role', $_->[0], 'user') for @newcomers;
    row('login_tokens', 'user_id, hashed_token, created_at', $_->[0],
        encode_base64(sha256($_->[1]), ''), $now - $DAY_MS) for @newcomers;
}
flush_rows();
print {$sql} "COMMIT;\nANALYZE;\n";
close $sql or die "$0: seed.sql: $!\n";

# ------------------------------------------------------------ workload.lua
shuffle_in_place(\@live_admin);
my @targets = @live_admin > $FIND_TARGETS ? @live_admin[0 .. $FIND_TARGETS - 1] : @live_admin;
my @rejects = map {
    my $i = 1 + int(rand($N));
    [uid($i), sprintf('tok-%s-0-%s', uid($i), randhex(16)), rid(1 + int(rand($R)))]
} 1 .. ($N < $REJECTS ? $N : $REJECTS);

open my $lua, '>', "$opt{out}/workload.lua" or die "$0: workload.lua: $!\n";
print {$lua} <<"LUA";
-- Generated by bench/seed.pl (--seed $opt{seed}); data for bench/wrk/*.lua:
--   local W = dofile(os.getenv("BENCH_WORKLOAD"))
-- Entries come in chunks, one function each: LuaJIT limits the constants
-- of a single function.
local W = { find_targets = {}, admins = {}, reject = {}, validate = {},
            members = {}, use_rooms = {}, newcomers = {} }
local function add(list, rows)
  rows = rows()
  for i = 1, #rows do list[#list + 1] = rows[i] end
end
LUA
sub lua_chunks {                # name, chunk size, formatted entries
    my ($name, $size, @entries) = @_;
    while (my @chunk = splice @entries, 0, $size) {
        print {$lua} "add(W.$name, function() return {\n", map({ " $_,\n" } @chunk), "} end)\n";
    }
}
lua_chunks('find_targets', 500, map {
    my ($id, $u, $j, $days, $max) = @$_;
    sprintf '{uid="%s",token="%s",rid="%s",days=%d,maxUses=%d}',
        uid($u), pick(@{$tokens{$u}}), rid($j), $days, $max;
} @targets);
lua_chunks('admins', 10, map {
    my $i = $_;
    sprintf '{uid="%s",token="%s",rooms={%s}}', uid($i), pick(@{$tokens{$i}}),
        join(',', map { '"' . rid($_) . '"' } grep { $type[$_] ne 'l' } @{$admin_rooms{$i}});
} grep { grep { $type[$_] ne 'l' } @{$admin_rooms{$_}} } 1 .. $A);
lua_chunks('reject', 500, map { sprintf '{uid="%s",badtoken="%s",rid="%s"}', @$_ } @rejects);
# Drawn after the entries above (their picks happen as they are written), so that those stay as they were.
my @validate = map { $_->[0] } @live;
shuffle_in_place(\@validate);
splice @validate, $VALIDATE if @validate > $VALIDATE;
my (%live_in_room, @members);
push @{$live_in_room{$_->[1]}}, $_->[0] for @live;
my @member_subs = grep { $live_in_room{$_->[1]} } @subs;
shuffle_in_place(\@member_subs);
splice @member_subs, $MEMBERS if @member_subs > $MEMBERS;
@members = map { [uid($_->[0]), pick(@{$tokens{$_->[0]}}), pick(@{$live_in_room{$_->[1]}})] }
           @member_subs;

lua_chunks('validate', 500, map { sprintf '{token="%s"}', $_ } @validate);
lua_chunks('members', 500, map { sprintf '{uid="%s",token="%s",invite="%s"}', @$_ } @members);
lua_chunks('use_rooms', 500, map { sprintf '{rid="%s",invite="%s"}', rid($_), $use_invite{$_} } @use_rooms);
lua_chunks('newcomers', 500, map { sprintf '{uid="%s",token="%s"}', @$_ } @newcomers);
print {$lua} "return W\n";
close $lua or die "$0: workload.lua: $!\n";

# ------------------------------------------------------------ static.json
# The module's 200 body for one find target (same fields, order, sizes).
sub iso {
    my $ms = shift;
    my @t = gmtime(int($ms / 1000));
    return sprintf '%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', $t[5] + 1900, $t[4] + 1,
        @t[3, 2, 1, 0], $ms % 1000;
}
my ($t) = (grep({ $_->[3] } @targets), @targets);
$t ||= ['AbC234', 1, 1, 7, 0, $now, $now + 7 * $DAY_MS, 0, $now];
my ($id, $u, $j, $days, $max, $created, $expires, $uses, $updated) = @$t;
open my $json, '>', "$opt{out}/static.json" or die "$0: static.json: $!\n";
printf {$json} '{"_id":"%s","days":%d,"maxUses":%d,"rid":"%s","userId":"%s",'
    . '"createdAt":"%s","expires":%s,'
    . '"url":"https://go.rocket.chat/invite?host=chat.example.com&path=invite%%2F%s",'
    . '"uses":%d,"_updatedAt":"%s","success":true}',
    $id, $days, $max, rid($j), uid($u), iso($created),
    defined $expires ? '"' . iso($expires) . '"' : 'null', $id, $uses, iso($updated);
close $json or die "$0: static.json: $!\n";

printf STDERR "seed.pl: %s; %d find targets, %d admins, %d reject entries, "
    . "%d validate tokens, %d member entries, %d use rooms x %d newcomers\n",
    join(', ', map { "$_ $rows{$_}" } grep { $rows{$_} }
         qw(users user_roles login_tokens rooms subscriptions subscription_roles invites)),
    scalar @targets, $A, scalar @rejects, scalar @validate, scalar @members,
    scalar @use_rooms, scalar @newcomers;
