#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
# import-rocketchat.pl - turn a Rocket.Chat MongoDB export into SQL that
# loads mod_invite's schema (conf/schema-sqlite3.sql, conf/schema-pgsql.sql).
# The pipeline, the field mapping and the re-run rules: docs/import.md.
#
# Input is what `mongoexport` writes: one Extended JSON document per line
# (relaxed or canonical).  Output is one transaction of
# INSERT ... ON CONFLICT DO NOTHING, so loading it again, or loading a newer
# export, only adds what is missing.  Two exceptions, both deliberate:
#  * each exported permission document replaces that permission's roles,
#    because the schema seeds create-invite-links and a role that
#    Rocket.Chat no longer grants must not keep the permission here;
#  * --replace empties the user, token and membership tables first, for a
#    sync that also revokes (invites are never deleted).
# Tokens are secrets: nothing here prints a token, a hashed token or an
# invite id, and records are named by file and line only.
use strict;
use warnings;
use Getopt::Long qw(GetOptions);
use Pod::Usage qw(pod2usage);
use JSON::PP ();
use Digest::SHA qw(sha256);
use MIME::Base64 qw(encode_base64);
use Time::Local qw(timegm_posix);
use B ();

my %opt = (engine => 'sqlite3');
GetOptions(\%opt, 'users=s', 'rooms=s', 'subscriptions=s', 'permissions=s',
           'invites=s', 'engine=s', 'replace', 'help|h')
    or pod2usage(2);
pod2usage(-verbose => 1, -exitval => 0) if $opt{help};
for my $need (qw(users rooms subscriptions permissions)) {
    pod2usage("$0: --$need FILE is required") unless defined $opt{$need};
}
pod2usage("$0: --engine must be sqlite3 or pgsql")
    unless $opt{engine} =~ /\A(?:sqlite3|pgsql)\z/;
pod2usage("$0: unexpected arguments: @ARGV") if @ARGV;
# Fail before writing anything rather than leave a half-written transaction.
for my $f (grep { defined } @opt{qw(users rooms subscriptions permissions invites)}) {
    die "$0: $f: cannot read\n" unless -r $f && !-d _;
}

my $json = JSON::PP->new->utf8;          # each line is UTF-8 bytes
binmode STDOUT, ':encoding(UTF-8)' or die "$0: stdout: $!\n";

my @TABLES = qw(users user_roles login_tokens rooms subscriptions
                subscription_roles permission_roles invites);
my (%written, %skipped, @skip_order, $permissions_replaced);
my (%user_imported, %room_imported);     # subscriptions need both (FKs)

# ------------------------------------------------------------ SQL output

# Text literal.  text() has already refused NUL, which neither engine can
# store; doubling the quote is the whole escaping because the header turns
# standard_conforming_strings on for PostgreSQL (SQLite has no escapes).
sub lit {
    my ($v) = @_;
    return 'NULL' unless defined $v;
    return "'" . ($v =~ s/'/''/gr) . "'";
}

sub num {
    my ($v) = @_;
    return 'NULL' unless defined $v;
    die "internal error: '$v' is not an integer\n" unless $v =~ /\A-?\d+\z/;
    return $v;
}

# insert(table, column => literal, ...)
sub insert {
    my ($table, @pairs) = @_;
    my (@cols, @vals);
    while (my ($c, $v) = splice @pairs, 0, 2) { push @cols, $c; push @vals, $v }
    print "INSERT INTO $table (", join(', ', @cols), ") VALUES (",
          join(', ', @vals), ") ON CONFLICT DO NOTHING;\n";
    $written{$table}++;
}

sub skip {
    my ($what, $where, $reason) = @_;
    chomp $reason;
    my $s = $skipped{$what}{$reason} ||= do {
        push @skip_order, [$what, $reason];
        { n => 0, at => [] };
    };
    $s->{n}++;
    push @{ $s->{at} }, $where if @{ $s->{at} } < 3;
    return;
}

# ------------------------------------------------- Extended JSON values
# Each helper returns the value, undef when absent or null, or dies with a
# reason for the summary (never the value itself: it may be a secret).

sub text {
    my ($v, $field) = @_;
    return undef unless defined $v;
    die "$field is not a string\n" if ref $v || _is_json_number($v);
    die "$field contains a NUL character\n" if $v =~ /\0/;
    # Lone surrogates (from \ud800 escapes) are not storable UTF-8.
    die "$field is not valid Unicode\n" if $v =~ /[\x{D800}-\x{DFFF}]/;
    return "$v";
}

# A JSON number (42, 1.5) where Rocket.Chat stores a string is malformed,
# as invite-sync finds it (a BSON int or double is no UTF-8 string): the
# record is skipped, not copied as the number's text.
sub _is_json_number {
    my $f = B::svref_2object(\$_[0])->FLAGS;
    return ($f & (B::SVf_IOK() | B::SVf_NOK())) && !($f & B::SVf_POK());
}

sub required_text {
    my ($v, $field) = @_;
    $v = text($v, $field);
    die "$field is missing\n" unless defined $v && length $v;
    return $v;
}

# A list of strings (roles).  Duplicates collapse: they would only conflict.
sub text_list {
    my ($v, $field) = @_;
    return () unless defined $v;
    die "$field is not an array\n" unless ref $v eq 'ARRAY';
    my %seen;
    return grep { !$seen{$_}++ } map { required_text($_, "$field\[]") } @$v;
}

# Relaxed format writes numbers as JSON numbers, canonical format as
# {"$numberInt": "5"}, {"$numberLong": "5"} or {"$numberDouble": "5.0"}.
# Doubles are accepted when integral: Rocket.Chat stores JavaScript numbers.
sub integer {
    my ($v, $field) = @_;
    return undef unless defined $v;
    if (ref $v eq 'HASH' && keys %$v == 1) {
        my ($type) = keys %$v;
        $v = $v->{$type} if $type =~ /\A\$number(?:Int|Long|Double)\z/;
    }
    # 18 digits always fit a 64-bit integer, on both sides.
    die "$field is not an integer\n"
        if !defined $v || ref $v || $v !~ /\A(-?\d{1,18})(?:\.0*)?\z/;
    return 0 + $1;
}

# Epoch milliseconds of a date.  mongoexport 100.x writes
#   {"$date": "2020-07-21T09:32:09.563Z"}         relaxed, years 1970-9999;
#                                                 Go trims zero fractions
#   {"$date": {"$numberLong": "1595323929563"}}   canonical, or out of range
# and older versions {"$date": 1595323929563}.
sub epoch_ms {
    my ($v, $field) = @_;
    return undef unless defined $v;
    my $d = ref $v eq 'HASH' && keys %$v == 1 ? $v->{'$date'} : undef;
    die "$field is not a date\n" unless defined $d;
    return integer($d, $field) if ref $d || $d =~ /\A-?\d+\z/;
    my ($Y, $M, $D, $h, $m, $s, $frac, $tz) = $d =~
        /\A(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)\z/
        or die "$field is not a date\n";
    # Time::Local validates the fields (month 13, 31 February... die).
    my $sec = eval { timegm_posix($s, $m, $h, $D, $M - 1, $Y - 1900) };
    die "$field is not a date\n" unless defined $sec;
    if ($tz ne 'Z') {
        my ($sign, $oh, $om) = $tz =~ /\A([+-])(\d\d):?(\d\d)\z/;
        $sec -= ($sign eq '+' ? 1 : -1) * ($oh * 3600 + $om * 60);
    }
    return $sec * 1000 + substr(($frac // '') . '000', 0, 3);
}

# Meteor's Accounts._hashLoginToken: base64(SHA-256(UTF-8 token)), padded,
# for the very old resume tokens that were stored in plain text.
sub hash_token {
    my ($token) = @_;
    utf8::encode($token);
    return encode_base64(sha256($token), '');
}

# ------------------------------------------------------------ input

# Calls $handle->($document, "file:line") for each line of a mongoexport file.
sub each_document {
    my ($file, $handle) = @_;
    open my $fh, '<:raw', $file or die "$file: $!\n";
    while (my $line = <$fh>) {
        next unless $line =~ /\S/;
        my $doc = eval { $json->decode($line) };
        if (!defined $doc) {
            # JSON::PP quotes the text after the error: it may hold a token.
            (my $err = $@ || 'null') =~ s/,? at character offset.*//s;
            die "$file:$.: not a JSON document ($err); expected mongoexport "
              . "output, one document per line (no --jsonArray, no --pretty)\n";
        }
        die "$file:$.: not a JSON object; expected mongoexport output, one "
          . "document per line (no --jsonArray)\n" unless ref $doc eq 'HASH';
        $handle->($doc, "$file:$.");
    }
    close $fh or die "$file: $!\n";
}

# ------------------------------------------------------------ collections

sub import_users {
    each_document($opt{users}, sub {
        my ($u, $at) = @_;
        my ($id, $username, @roles);
        eval {
            $id       = required_text($u->{_id}, '_id');
            $username = text($u->{username}, 'username');
            @roles    = text_list($u->{roles}, 'roles');
            1;
        } or return skip(users => $at, $@);
        insert(users => id => lit($id), username => lit($username));
        $user_imported{$id} = 1;
        insert(user_roles => user_id => lit($id), role => lit($_)) for @roles;

        my $services = ref $u->{services} eq 'HASH' ? $u->{services} : {};
        my $resume   = ref $services->{resume} eq 'HASH' ? $services->{resume} : {};
        my $tokens   = $resume->{loginTokens};
        return unless defined $tokens;
        return skip(login_tokens => $at, 'services.resume.loginTokens is not an array')
            unless ref $tokens eq 'ARRAY';
        # Rocket.Chat clears the tokens of a user it deactivates; leftovers
        # must not let the account create invites here.
        if (defined $u->{active} && !$u->{active}) {
            skip(login_tokens => $at, 'user is deactivated (active: false)') for @$tokens;
            return;
        }
        my %seen;
        for my $t (@$tokens) {
            my ($hashed, $created);
            eval {
                die "entry is not an object\n" unless ref $t eq 'HASH';
                if (defined $t->{hashedToken}) {
                    $hashed = required_text($t->{hashedToken}, 'hashedToken');
                }
                elsif (defined $t->{token}) {
                    $hashed = hash_token(required_text($t->{token}, 'token'));
                }
                else {
                    die "neither hashedToken nor token\n";
                }
                # Login tokens carry "when" and expire after
                # InviteLoginExpiration days, as Rocket.Chat's do.  Personal
                # access tokens carry "createdAt" and never expire: stored
                # without created_at.
                $created = defined $t->{when} ? epoch_ms($t->{when}, 'when') : undef;
                epoch_ms($t->{createdAt}, 'createdAt') unless defined $created;
                1;
            } or do { skip(login_tokens => $at, $@); next };
            next if $seen{$hashed}++;
            insert(login_tokens => user_id => lit($id), hashed_token => lit($hashed),
                   created_at => num($created));
        }
    });
}

sub import_rooms {
    each_document($opt{rooms}, sub {
        my ($r, $at) = @_;
        my ($id, $t, $name, $fname, $prid);
        eval {
            $id    = required_text($r->{_id}, '_id');
            $t     = required_text($r->{t}, 't');
            $name  = text($r->{name}, 'name');
            $fname = text($r->{fname}, 'fname');
            $prid  = text($r->{prid}, 'prid');
            1;
        } or return skip(rooms => $at, $@);
        insert(rooms => id => lit($id), t => lit($t), name => lit($name),
               fname => lit($fname), prid => lit($prid));
        $room_imported{$id} = 1;
    });
}

sub import_subscriptions {
    each_document($opt{subscriptions}, sub {
        my ($s, $at) = @_;
        my ($uid, $rid, @roles);
        eval {
            my $u = ref $s->{u} eq 'HASH' ? $s->{u} : {};
            $uid   = required_text($u->{_id}, 'u._id');
            $rid   = required_text($s->{rid}, 'rid');
            @roles = text_list($s->{roles}, 'roles');
            1;
        } or return skip(subscriptions => $at, $@);
        return skip(subscriptions => $at, 'its user was not imported')
            unless $user_imported{$uid};
        return skip(subscriptions => $at, 'its room was not imported')
            unless $room_imported{$rid};
        # Rocket.Chat 8.4 and later mark a banned member's subscription
        # status 'BANNED' (useInviteToken refuses them); anything else is
        # no ban.
        insert(subscriptions => user_id => lit($uid), rid => lit($rid),
               status => (($s->{status} // '') eq 'BANNED' ? lit('BANNED')
                                                          : 'NULL'));
        insert(subscription_roles => user_id => lit($uid), rid => lit($rid),
               role => lit($_)) for @roles;
    });
}

sub import_permissions {
    each_document($opt{permissions}, sub {
        my ($p, $at) = @_;
        my ($name, @roles);
        eval {
            $name = required_text($p->{_id}, '_id');
            die "roles is missing\n" unless defined $p->{roles};
            @roles = text_list($p->{roles}, 'roles');
            1;
        } or return skip(permissions => $at, $@);
        # Replace, not merge: see the top of this file.
        print 'DELETE FROM permission_roles WHERE permission = ', lit($name), ";\n";
        $permissions_replaced++;
        insert(permission_roles => permission => lit($name), role => lit($_))
            for @roles;
    });
}

sub import_invites {
    each_document($opt{invites}, sub {
        my ($i, $at) = @_;
        my @row = eval {
            my $created = epoch_ms($i->{createdAt}, 'createdAt');
            die "createdAt is missing\n" unless defined $created;
            my $days     = integer($i->{days}, 'days');
            my $max_uses = integer($i->{maxUses}, 'maxUses');
            die "days is missing\n"    unless defined $days;
            die "maxUses is missing\n" unless defined $max_uses;
            (id         => lit(required_text($i->{_id}, '_id')),
             days       => num($days),
             max_uses   => num($max_uses),
             rid        => lit(required_text($i->{rid}, 'rid')),
             user_id    => lit(required_text($i->{userId}, 'userId')),
             created_at => num($created),
             expires    => num(epoch_ms($i->{expires}, 'expires')),
             uses       => num(integer($i->{uses}, 'uses') // 0),
             updated_at => num(epoch_ms($i->{_updatedAt}, '_updatedAt') // $created),
             # Only invites mod_invite creates hold the creation slot; its
             # find query reuses live imported ones all the same.
             slot       => 'NULL');
        } or return skip(invites => $at, $@);
        insert(invites => @row);
    });
}

# ------------------------------------------------------------ main

my $began;
my $ok = eval {
    if ($opt{engine} eq 'pgsql') {
        # The literals are UTF-8 and rely on standard (backslash-free) strings.
        print "SET client_encoding = 'UTF8';\n",
              "SET standard_conforming_strings = on;\n",
              "BEGIN;\n";
    }
    else {
        # foreign_keys is per connection and ignored inside a transaction;
        # IMMEDIATE takes the write lock up front, waiting up to busy_timeout
        # for mod_invite's own writes instead of failing half-way.
        print "PRAGMA foreign_keys = ON;\n",
              "PRAGMA busy_timeout = 10000;\n",
              "BEGIN IMMEDIATE;\n";
    }
    $began = 1;
    if ($opt{replace}) {
        # Children first; invites stay (mod_invite creates them), and
        # permission_roles are replaced per exported permission anyway.
        print "DELETE FROM $_;\n"
            for qw(subscription_roles subscriptions login_tokens user_roles users rooms);
    }
    import_users();
    import_rooms();
    import_subscriptions();
    import_permissions();
    import_invites() if defined $opt{invites};
    print "COMMIT;\n";
    close STDOUT or die "stdout: $!\n";
    1;
};
if (!$ok) {
    my $err = $@;
    print "ROLLBACK;\n" if $began;
    close STDOUT;
    die "$0: $err";
}

print STDERR "import-rocketchat: rows written (rows already in the database are kept)\n";
printf STDERR "  %-19s %d\n", $_, $written{$_} // 0 for @TABLES;
printf STDERR "  (the roles of %d permission(s) were replaced)\n", $permissions_replaced
    if $permissions_replaced;
print STDERR "  (--replace: users, rooms, tokens and memberships were emptied first)\n"
    if $opt{replace};
if (@skip_order) {
    print STDERR "skipped:\n";
    for (@skip_order) {
        my ($what, $reason) = @$_;
        my $s = $skipped{$what}{$reason};
        printf STDERR "  %-19s %d  %s (%s%s)\n", $what, $s->{n}, $reason,
            join(', ', @{ $s->{at} }), $s->{n} > @{ $s->{at} } ? ', ...' : '';
    }
}
else {
    print STDERR "skipped: nothing\n";
}
exit 0;

__END__

=head1 NAME

import-rocketchat.pl - SQL for mod_invite from a Rocket.Chat mongoexport

=head1 SYNOPSIS

  import-rocketchat.pl --users users.json --rooms rocketchat_room.json
      --subscriptions rocketchat_subscription.json
      --permissions rocketchat_permissions.json
      [--invites rocketchat_invites.json] [--engine sqlite3|pgsql]
      [--replace] > import.sql

=head1 OPTIONS

=over

=item B<--users>, B<--rooms>, B<--subscriptions>, B<--permissions> FILE

mongoexport output of the collections users, rocketchat_room,
rocketchat_subscription and rocketchat_permissions (required).

=item B<--invites> FILE

mongoexport output of rocketchat_invites (optional).

=item B<--engine> sqlite3|pgsql

The database the SQL is for (default sqlite3).  Only the lines before
BEGIN differ.

=item B<--replace>

Empty users, user_roles, login_tokens, rooms, subscriptions and
subscription_roles in the same transaction before loading, so that tokens,
roles and memberships removed in Rocket.Chat are removed here too.

=back

The SQL goes to stdout, a summary (rows per table, skipped records and why)
to stderr.  See docs/import.md.

=cut
