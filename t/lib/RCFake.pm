# SPDX-License-Identifier: Apache-2.0
package RCFake;
# A simulated MongoDB replica-set member (one primary of set rs0) on
# loopback, for invite-sync's tests: it speaks the wire protocol libmongoc
# 1.23 and pymongo use (OP_QUERY/OP_REPLY for the first handshake, then
# OP_MSG with kind-0 and kind-1 sections), keeps documents per database and
# collection, logs its own writes as change events in one ordered oplog,
# and serves change streams (aggregate with a first $changeStream stage,
# getMore honouring maxAwaitTimeMS) and find cursors.  It is not mongod:
# event shapes follow MongoDB's documented format, timing is its own.
#
#   my $fake = RCFake->start("$dir/mongo");          # rcfake.pl, forked
#   $fake->url;            # mongodb://127.0.0.1:PORT/rocketchat?replicaSet=rs0
#   my $c = $fake->client; # RCFake::Client, writes as Rocket.Chat does
#   $fake->kill; $fake->restart;   # outage; state (documents, oplog) kept
#   $fake->stop;
#
# Test controls (commands on any database):
#   {rcfakeTruncate: 1}          history before now is lost: resuming from
#                                an older token or time gives error 286
#   {rcfakeInvalidate: 1}        an invalidate event for the database
#   {rcfakeDrop: COLL}           drop the collection: a drop event (and an
#                                invalidate for streams on that collection,
#                                or for all with invalidate: true)
#   {rcfakeStatus: 1}            sequence, truncation point, counts, cursors
#   {rcfakeReset: 1}             forget all documents and history
#   {configureFailPoint: "failCommand", mode: {times: N}|"alwaysOn"|"off",
#    data: {failCommands: [...], errorCode: N, closeConnection: bool}}
#                                as mongod's test command
use strict;
use warnings;
use BSON ();
use BSON::Types qw(bson_int64 bson_int32 bson_time bson_timestamp bson_oid bson_doc bson_bool);
use IO::Socket::INET;
use IO::Select;
use Errno qw(EAGAIN EWOULDBLOCK EINTR);
use POSIX ();
use Time::HiRes qw(time sleep);
use Scalar::Util qw(blessed looks_like_number reftype);
use Tie::IxHash;
use File::Basename qw(dirname);
use File::Path qw(make_path);

my $BIN = dirname(__FILE__) . '/rcfake.pl';

# ---------------------------------------------------------------- control

# Starts rcfake.pl in its own process.  Options: port (default: a free
# one), set_name (rs0), db (rocketchat, for url), wire (17).
sub start {
    my ($class, $dir, %opt) = @_;
    make_path($dir);
    my $self = bless { dir => $dir, set_name => $opt{set_name} // 'rs0',
                       db => $opt{db} // 'rocketchat', wire => $opt{wire} // 17,
                       port => $opt{port}, creator => $$, auth => $opt{auth} }, $class;
    $self->_spawn;
    return $self;
}

sub _spawn {
    my ($self) = @_;
    my $dir = $self->{dir};
    unlink "$dir/port";
    my @args = ('--state', "$dir/state.bson", '--port-file', "$dir/port",
                '--set-name', $self->{set_name}, '--wire', $self->{wire});
    push @args, '--port', $self->{port} if $self->{port};
    push @args, '--auth', $self->{auth} if $self->{auth};
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$dir/rcfake.log" or POSIX::_exit(127);
        open STDERR, '>&', \*STDOUT or POSIX::_exit(127);
        exec $^X, $BIN, @args or POSIX::_exit(127);
    }
    $self->{pid} = $pid;
    my $deadline = time + 20;
    while (time < $deadline) {
        if (open my $fh, '<', "$dir/port") {
            my ($p) = (<$fh> // '') =~ /^(\d+)\n/;
            if ($p) { $self->{port} = $p; return $self }
        }
        if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
            delete $self->{pid};
            die "rcfake.pl exited: " . $self->log_text;
        }
        sleep 0.02;
    }
    $self->stop;
    die "rcfake.pl did not start in 20 s: " . $self->log_text;
}

sub port { $_[0]{port} }
sub host { "127.0.0.1:$_[0]{port}" }
sub pid  { $_[0]{pid} }
sub url {
    my ($self, %o) = @_;
    my $q = "replicaSet=$self->{set_name}";
    $q .= "&authSource=admin" if $self->{auth};
    $q .= "&$o{query}" if $o{query};
    my $cred = $self->{auth} ? "$self->{auth}@" : '';
    return "mongodb://${cred}127.0.0.1:$self->{port}/" . ($o{db} // $self->{db}) . "?$q";
}
sub log_text { my $f = "$_[0]{dir}/rcfake.log"; open my $fh, '<', $f or return ''; local $/; <$fh> // '' }
sub running { my ($self) = @_; $self->{pid} && CORE::kill(0, $self->{pid}) }

sub client {
    my ($self, %o) = @_;
    my ($u, $p) = $self->{auth} ? split(/:/, $self->{auth}, 2) : ();
    return RCFake::Client->new(host => '127.0.0.1', port => $self->{port},
                               db => $o{db} // $self->{db}, user => $u, password => $p, auth_db => 'admin');
}

# Ends the process: TERM (it saves its state), or KILL with kill().
sub stop {
    my ($self, $sig) = @_;
    my $pid = delete $self->{pid} or return;
    CORE::kill($sig // 'TERM', $pid);
    for (1 .. 200) {
        return if waitpid($pid, POSIX::WNOHANG()) == $pid;
        sleep 0.025;
    }
    CORE::kill('KILL', $pid);
    waitpid $pid, 0;
}
sub kill { $_[0]->stop('KILL') }

# Starts again on the same port with the saved documents and history.
sub restart {
    my ($self) = @_;
    $self->stop if $self->{pid};
    my $deadline = time + 10;
    while (1) {
        my $ok = eval { $self->_spawn; 1 };
        return $self if $ok;
        die $@ if time > $deadline || $@ !~ /Address already in use|bind/;
        sleep 0.1;
    }
}

sub DESTROY { local ($@, $?); $_[0]->stop if $_[0]{pid} && $_[0]{creator} == $$ }

# ---------------------------------------------------------------- helpers

# An ordered hash ref from key/value pairs.
sub odoc {
    tie my %h, 'Tie::IxHash', @_;
    return \%h;
}

my $CODEC = BSON->new(ordered => 1);
sub codec { $CODEC }

sub enc { $CODEC->encode_one($_[0]) }
sub dec { $CODEC->decode_one($_[0]) }
sub clone { return defined $_[0] && ref $_[0] eq 'HASH' ? dec(enc($_[0])) : _clone_val($_[0]) }
sub _clone_val {
    my ($v) = @_;
    return $v unless ref $v;
    return [ map { _clone_val($_) } @$v ] if ref $v eq 'ARRAY';
    return dec(enc($v)) if ref $v eq 'HASH';
    return $v;   # BSON type objects are immutable enough
}

sub is_doc { my $r = ref $_[0]; return $r && ($r eq 'HASH' || $r eq 'BSON::Doc' || $r eq 'Tie::IxHash') }

# ---------------------------------------------------------------- matching

sub _is_bool { blessed($_[0]) && ($_[0]->isa('boolean') || $_[0]->isa('BSON::Bool')) }
sub _is_num {
    my ($v) = @_;
    return 0 if !defined $v || ref $v && !(blessed($v) && ($v->isa('BSON::Int64') || $v->isa('BSON::Int32') || $v->isa('BSON::Double')));
    return 1 if ref $v;
    my $f = B::svref_2object(\$v)->FLAGS;
    return ($f & (B::SVf_IOK() | B::SVf_NOK())) && !($f & B::SVf_POK()) ? 1 : 0;
}
sub _num { my $c = $_[0]; return 0 + (ref $c ? $c->value : $c) }
sub _type_rank {
    my ($v) = @_;
    return 0 unless defined $v;
    return 1 if _is_num($v);
    return 8 if _is_bool($v);
    return 9 if blessed($v) && $v->isa('BSON::Time');
    return 10 if blessed($v) && $v->isa('BSON::Timestamp');
    return 7 if blessed($v) && ($v->isa('BSON::OID') || $v->isa('BSON::ObjectId'));
    return 4 if ref $v eq 'ARRAY';
    return 3 if is_doc($v);
    return 2;   # string
}

# Compares two values as MongoDB orders them (types first); no numeric
# context ever touches the stored scalars (BSON would encode them as
# numbers afterwards).
sub cmp_values {
    my ($a, $b) = @_;
    my ($ra, $rb) = (_type_rank($a), _type_rank($b));
    return $ra <=> $rb if $ra != $rb;
    return 0 if $ra == 0;
    return _num($a) <=> _num($b) if $ra == 1;
    return "$a" cmp "$b" if $ra == 2;
    return ($a ? 1 : 0) <=> ($b ? 1 : 0) if $ra == 8;
    if ($ra == 9) { my ($x, $y) = ($a->value, $b->value); return $x <=> $y }
    if ($ra == 10) { return $a->seconds <=> $b->seconds || $a->increment <=> $b->increment }
    if ($ra == 7) { return $a->hex cmp $b->hex }
    if ($ra == 4) {
        for my $i (0 .. ($#$a < $#$b ? $#$a : $#$b)) {
            my $c = cmp_values($a->[$i], $b->[$i]);
            return $c if $c;
        }
        return @$a <=> @$b;
    }
    my @ka = keys %$a; my @kb = keys %$b;
    for my $i (0 .. ($#ka < $#kb ? $#ka : $#kb)) {
        return $ka[$i] cmp $kb[$i] if $ka[$i] ne $kb[$i];
        my $c = cmp_values($a->{$ka[$i]}, $b->{$kb[$i]});
        return $c if $c;
    }
    return @ka <=> @kb;
}
sub eq_values { cmp_values($_[0], $_[1]) == 0 }

# The values at a dotted path, through arrays as MongoDB does; the second
# return value says whether the path exists at all.
sub path_values {
    my ($v, $path) = @_;
    my @parts = ref $path ? @$path : split /\./, $path;
    return _pv($v, \@parts);
}
sub _pv {
    my ($v, $parts) = @_;
    return ([$v]) unless @$parts;
    my ($k, @rest) = @$parts;
    if (is_doc($v)) {
        return ([]) unless exists $v->{$k};
        return _pv($v->{$k}, \@rest);
    }
    if (ref $v eq 'ARRAY') {
        my @out;
        if ($k =~ /^\d+$/) {
            return _pv($v->[$k], \@rest) if $k < @$v;
            return ([]);
        }
        for my $e (@$v) {
            next unless is_doc($e);
            my ($vals) = _pv($e, $parts);
            push @out, @$vals;
        }
        return (\@out);
    }
    return ([]);
}

# Does $doc match the query $q?
sub matches {
    my ($doc, $q) = @_;
    return 1 unless $q;
    for my $k (keys %$q) {
        my $c = $q->{$k};
        if ($k eq '$and') { matches($doc, $_) or return 0 for @$c; next }
        if ($k eq '$or')  { (grep { matches($doc, $_) } @$c) or return 0; next }
        if ($k eq '$nor') { (grep { matches($doc, $_) } @$c) and return 0; next }
        if ($k eq '$expr' || $k eq '$comment') { next }   # not evaluated
        my ($vals) = path_values($doc, $k);
        return 0 unless field_matches($vals, $c);
    }
    return 1;
}

sub _is_op_doc { my ($c) = @_; is_doc($c) && %$c && !grep { !/^\$/ } keys %$c }

# $vals: the values found at the path (none: missing).
sub field_matches {
    my ($vals, $c) = @_;
    if (_is_op_doc($c)) {
        for my $op (keys %$c) {
            my $arg = $c->{$op};
            my $ok;
            if ($op eq '$exists') { $ok = (@$vals ? 1 : 0) == ($arg ? 1 : 0) }
            elsif ($op eq '$eq')  { $ok = _any_eq($vals, $arg) }
            elsif ($op eq '$ne')  { $ok = !_any_eq($vals, $arg) }
            elsif ($op eq '$in')  { $ok = grep({ _any_eq($vals, $_) } @$arg) ? 1 : 0 }
            elsif ($op eq '$nin') { $ok = !grep({ _any_eq($vals, $_) } @$arg) }
            elsif ($op =~ /^\$(gt|gte|lt|lte)$/) {
                my $w = $1;
                $ok = grep {
                    my $v = $_;
                    _type_rank($v) == _type_rank($arg) && do {
                        my $r = cmp_values($v, $arg);
                        $w eq 'gt' ? $r > 0 : $w eq 'gte' ? $r >= 0 : $w eq 'lt' ? $r < 0 : $r <= 0;
                    }
                } _expand($vals);
            }
            elsif ($op eq '$not') { $ok = !field_matches($vals, $arg) }
            elsif ($op eq '$elemMatch') {
                $ok = grep { ref $_ eq 'ARRAY' && grep { elem_matches($_, $arg) } @$_ } @$vals;
            }
            elsif ($op eq '$size') { $ok = grep { ref $_ eq 'ARRAY' && @$_ == _num($arg) } @$vals }
            elsif ($op eq '$type') { $ok = grep { _type_name($_) eq $arg } _expand($vals) }
            elsif ($op eq '$regex') {
                my $re = ref $arg ? $arg->pattern : $arg;
                my $flags = $c->{'$options'} // (ref $arg ? $arg->flags : '');
                $re = "(?$flags)$re" if $flags =~ /^[imsx]+$/;
                $ok = grep { defined && !ref && /$re/ } _expand($vals);
            }
            elsif ($op eq '$options') { $ok = 1 }
            else { die { code => 2, codeName => 'BadValue', errmsg => "unknown operator: $op" } }
            return 0 unless $ok;
        }
        return 1;
    }
    if (blessed($c) && $c->isa('BSON::Regex')) {
        return field_matches($vals, { '$regex' => $c });
    }
    return _any_eq($vals, $c);
}
sub _type_name {
    my $r = _type_rank($_[0]);
    return { 0 => 'null', 1 => 'number', 2 => 'string', 3 => 'object', 4 => 'array',
             7 => 'objectId', 8 => 'bool', 9 => 'date', 10 => 'timestamp' }->{$r};
}
sub _expand { map { ref $_ eq 'ARRAY' ? ($_, @$_) : ($_) } @{ $_[0] } }
sub _any_eq {
    my ($vals, $x) = @_;
    return 1 if !@$vals && !defined $x;   # {f: null} matches a missing field
    return scalar grep { eq_values($_, $x) } _expand($vals);
}
# An array element against a $pull / $elemMatch condition.
sub elem_matches {
    my ($e, $c) = @_;
    if (_is_op_doc($c) && !grep { /^\$(and|or|nor)$/ } keys %$c) {
        return field_matches([$e], $c);
    }
    if (is_doc($c)) {
        return is_doc($e) && matches($e, $c);
    }
    return eq_values($e, $c);
}

# ---------------------------------------------------------------- projection

sub project {
    my ($doc, $spec) = @_;
    return clone($doc) unless $spec && %$spec;
    my @keys = grep { $_ ne '_id' } keys %$spec;
    my $incl = grep { my $v = $spec->{$_}; ref $v || ($v && $v ne '0') } @keys;
    my $out;
    if ($incl) {
        $out = odoc();
        my $keep_id = !exists $spec->{_id} || $spec->{_id};
        $out->{_id} = _clone_val($doc->{_id}) if $keep_id && exists $doc->{_id};
        _include($doc, $out, [split /\./]) for grep { my $v = $spec->{$_}; ref $v || ($v && $v ne '0') } @keys;
    }
    else {
        $out = clone($doc);
        for my $k (keys %$spec) {
            _exclude($out, [split /\./, $k]);
        }
    }
    return $out;
}
sub _include {
    my ($src, $dst, $parts) = @_;
    my ($k, @rest) = @$parts;
    return unless is_doc($src) && exists $src->{$k};
    my $v = $src->{$k};
    if (!@rest) { $dst->{$k} = _clone_val($v); return }
    if (is_doc($v)) {
        $dst->{$k} = odoc() unless is_doc($dst->{$k});
        _include($v, $dst->{$k}, \@rest);
    }
    elsif (ref $v eq 'ARRAY') {
        $dst->{$k} = [ map { odoc() } grep { is_doc($_) } @$v ] unless ref $dst->{$k} eq 'ARRAY';
        my $i = 0;
        for my $e (grep { is_doc($_) } @$v) { _include($e, $dst->{$k}[$i++], \@rest) }
    }
}
sub _exclude {
    my ($d, $parts) = @_;
    my ($k, @rest) = @$parts;
    if (ref $d eq 'ARRAY') { _exclude($_, $parts) for @$d; return }
    return unless is_doc($d) && exists $d->{$k};
    if (!@rest) { delete $d->{$k}; return }
    _exclude($d->{$k}, \@rest);
}

# ---------------------------------------------------------------- updates

# Applies an update document to $doc (in place); returns the top-level
# paths written and removed, for the event's updateDescription.
sub apply_update {
    my ($doc, $u, $inserting) = @_;
    my (%set, %unset);
    for my $op (keys %$u) {
        my $args = $u->{$op};
        die { code => 9, codeName => 'FailedToParse', errmsg => "Modifiers operate on fields but we found type " . ref($args) . " instead" }
            unless is_doc($args);
        for my $path (keys %$args) {
            my $a = $args->{$path};
            die { code => 66, codeName => 'ImmutableField', errmsg => "Performing an update on the path '_id' would modify the immutable field '_id'" }
                if $path eq '_id' && !$inserting && $op ne '$setOnInsert';
            if ($op eq '$set') { _set($doc, $path, _clone_val($a)); $set{$path} = 1 }
            elsif ($op eq '$setOnInsert') { if ($inserting) { _set($doc, $path, _clone_val($a)); $set{$path} = 1 } }
            elsif ($op eq '$unset') { _unset($doc, $path) and $unset{$path} = 1 }
            elsif ($op eq '$inc') {
                my ($cur) = _get($doc, $path);
                _set($doc, $path, (defined $cur ? _num($cur) : 0) + _num($a)); $set{$path} = 1;
            }
            elsif ($op eq '$currentDate') { _set($doc, $path, bson_time()); $set{$path} = 1 }
            elsif ($op eq '$addToSet' || $op eq '$push') {
                my ($cur) = _get($doc, $path);
                $cur //= do { my $n = []; _set($doc, $path, $n); $n };
                die { code => 2, codeName => 'BadValue', errmsg => "Cannot apply $op to a non-array field" }
                    unless ref $cur eq 'ARRAY';
                my @each = is_doc($a) && exists $a->{'$each'} ? @{ $a->{'$each'} } : ($a);
                for my $e (@each) {
                    next if $op eq '$addToSet' && grep { eq_values($_, $e) } @$cur;
                    push @$cur, _clone_val($e);
                }
                $set{$path} = 1;
            }
            elsif ($op eq '$pull') {
                my ($cur) = _get($doc, $path);
                next unless ref $cur eq 'ARRAY';
                my $n = @$cur;
                @$cur = grep { !elem_matches($_, $a) } @$cur;
                $set{$path} = 1 if @$cur != $n;
            }
            elsif ($op eq '$pullAll') {
                my ($cur) = _get($doc, $path);
                next unless ref $cur eq 'ARRAY';
                @$cur = grep { my $e = $_; !grep { eq_values($e, $_) } @$a } @$cur;
                $set{$path} = 1;
            }
            elsif ($op eq '$pop') {
                my ($cur) = _get($doc, $path);
                next unless ref $cur eq 'ARRAY';
                _num($a) < 0 ? shift @$cur : pop @$cur;
                $set{$path} = 1;
            }
            else { die { code => 9, codeName => 'FailedToParse', errmsg => "Unknown modifier: $op" } }
        }
    }
    return ([sort keys %set], [sort keys %unset]);
}
sub _get {
    my ($d, $path) = @_;
    for my $k (split /\./, $path) {
        if (is_doc($d)) { return unless exists $d->{$k}; $d = $d->{$k} }
        elsif (ref $d eq 'ARRAY' && $k =~ /^\d+$/) { return unless $k < @$d; $d = $d->[$k] }
        else { return }
    }
    return ($d);
}
sub _set {
    my ($d, $path, $v) = @_;
    my @p = split /\./, $path;
    my $last = pop @p;
    for my $k (@p) {
        if (ref $d eq 'ARRAY' && $k =~ /^\d+$/) {
            $d->[$k] = odoc() unless is_doc($d->[$k]) || ref $d->[$k] eq 'ARRAY';
            $d = $d->[$k];
        }
        elsif (is_doc($d)) {
            $d->{$k} = odoc() unless is_doc($d->{$k}) || ref $d->{$k} eq 'ARRAY';
            $d = $d->{$k};
        }
        else {
            die { code => 28, codeName => 'PathNotViable', errmsg => "Cannot create field '$k' in element" };
        }
    }
    if (ref $d eq 'ARRAY' && $last =~ /^\d+$/) { $d->[$last] = $v }
    elsif (is_doc($d)) { $d->{$last} = $v }
    else { die { code => 28, codeName => 'PathNotViable', errmsg => "Cannot create field '$last'" } }
}
sub _unset {
    my ($d, $path) = @_;
    my @p = split /\./, $path;
    my $last = pop @p;
    for my $k (@p) {
        if (is_doc($d)) { return 0 unless exists $d->{$k}; $d = $d->{$k} }
        elsif (ref $d eq 'ARRAY' && $k =~ /^\d+$/) { $d = $d->[$k] }
        else { return 0 }
    }
    if (is_doc($d) && exists $d->{$last}) { delete $d->{$last}; return 1 }
    if (ref $d eq 'ARRAY' && $last =~ /^\d+$/ && $last < @$d) { $d->[$last] = undef; return 1 }
    return 0;
}

# ================================================================ server
package RCFake::Server;
use strict;
use warnings;
use Digest::SHA ();
use MIME::Base64 ();
use BSON::Types qw(bson_int64 bson_int32 bson_time bson_timestamp bson_oid bson_bool);
use IO::Socket::INET;
use IO::Select;
use Errno qw(EAGAIN EWOULDBLOCK EINTR);
use Time::HiRes qw(time);
use Scalar::Util qw(blessed);

use constant { OP_REPLY => 1, OP_QUERY => 2004, OP_MSG => 2013, OP_COMPRESSED => 2012 };

BEGIN { *odoc = \&RCFake::odoc; *is_doc = \&RCFake::is_doc; *enc = \&RCFake::enc;
        *dec = \&RCFake::dec; *clone = \&RCFake::clone }

sub new {
    my ($class, %o) = @_;
    my $self = bless {
        set_name => $o{set_name} // 'rs0', wire => $o{wire} // 17,
        state => $o{state}, port => $o{port} // 0, port_file => $o{port_file},
        auth => $o{auth},   # "user:password": SCRAM-SHA-256 required
        colls => {},        # "db.coll" => { order => [ids], docs => { idkey => doc } }
        oplog => [],        # events: { seq, db, coll, ts (BSON::Timestamp), ev (doc without lookup) }
        seq => 0, trunc => 0, election => 0,
        cursors => {}, next_cursor => 0x5eed0000 + int(rand(1 << 16)),
        pending => [], conns => {}, failpoint => undef, req_id => 1,
    }, $class;
    $self->load if $self->{state};
    $self->{election}++;
    $self->journal({ op => 'election', n => $self->{election} });
    return $self;
}

sub log { my $self = shift; printf STDERR "%s rcfake: %s\n", scalar(gmtime), join('', @_) }

# ---- state: an append-only journal of BSON records, replayed at start

sub load {
    my ($self) = @_;
    my $f = $self->{state};
    if (open my $fh, '<:raw', $f) {
        local $/;
        my $buf = <$fh> // '';
        my $pos = 0;
        while ($pos + 4 <= length $buf) {
            my $len = unpack 'l<', substr($buf, $pos, 4);
            last if $len < 5 || $pos + $len > length $buf;   # a torn last record
            my $r = dec(substr($buf, $pos, $len));
            $pos += $len;
            $self->replay($r);
        }
    }
    $self->compact;
}
sub replay {
    my ($self, $r) = @_;
    my $op = $r->{op};
    if ($op eq 'put') { $self->_put($r->{ns}, $r->{doc}) }
    elsif ($op eq 'del') { $self->_del($r->{ns}, $r->{id}) }
    elsif ($op eq 'drop') { delete $self->{colls}{$r->{ns}} }
    elsif ($op eq 'event') {
        push @{ $self->{oplog} }, { seq => $r->{seq}, db => $r->{db}, coll => $r->{coll}, ts => $r->{ts}, ev => $r->{ev} };
        $self->{seq} = $r->{seq} if $r->{seq} > $self->{seq};
    }
    elsif ($op eq 'trunc') { $self->{trunc} = $r->{seq}; $self->{seq} = $r->{seq} if $r->{seq} > $self->{seq};
                             @{ $self->{oplog} } = grep { $_->{seq} > $r->{seq} } @{ $self->{oplog} } }
    elsif ($op eq 'reset') { $self->{colls} = {}; $self->{oplog} = []; $self->{trunc} = $self->{seq} }
    elsif ($op eq 'election') { $self->{election} = $r->{n} }
}
sub compact {
    my ($self) = @_;
    my $f = $self->{state} or return;
    open my $fh, '>:raw', "$f.new" or die "$f.new: $!";
    print $fh enc(RCFake::odoc(op => 'election', n => $self->{election}));
    print $fh enc(RCFake::odoc(op => 'trunc', seq => $self->{trunc}));
    for my $e (@{ $self->{oplog} }) {
        print $fh enc(RCFake::odoc(op => 'event', seq => $e->{seq}, db => $e->{db}, coll => $e->{coll}, ts => $e->{ts}, ev => $e->{ev}));
    }
    for my $ns (sort keys %{ $self->{colls} }) {
        my $c = $self->{colls}{$ns};
        print $fh enc(RCFake::odoc(op => 'put', ns => $ns, doc => $c->{docs}{$_})) for @{ $c->{order} };
    }
    close $fh or die $!;
    rename "$f.new", $f or die $!;
    open $self->{jfh}, '>>:raw', $f or die "$f: $!";
}
sub journal {
    my ($self, $r) = @_;
    my $fh = $self->{jfh} or return;
    my $o = RCFake::odoc(map { ($_ => $r->{$_}) } sort keys %$r);
    syswrite $fh, enc($o);
}

# ---- documents

sub _idkey { my $id = shift; return ref $id ? RCFake::_type_rank($id) . ':' . unpack('H*', enc({ v => $id })) : "s:$id" }
sub _coll { my ($self, $ns) = @_; $self->{colls}{$ns} //= { order => [], docs => {} } }
sub _put {
    my ($self, $ns, $doc) = @_;
    my $c = $self->_coll($ns);
    my $k = _idkey($doc->{_id});
    push @{ $c->{order} }, $k unless exists $c->{docs}{$k};
    $c->{docs}{$k} = $doc;
}
sub _del {
    my ($self, $ns, $id) = @_;
    my $c = $self->{colls}{$ns} or return;
    my $k = _idkey($id);
    return unless delete $c->{docs}{$k};
    @{ $c->{order} } = grep { $_ ne $k } @{ $c->{order} };
}
sub docs {
    my ($self, $ns) = @_;
    my $c = $self->{colls}{$ns} or return ();
    return map { $c->{docs}{$_} } @{ $c->{order} };
}
sub doc_by_id {
    my ($self, $ns, $id) = @_;
    my $c = $self->{colls}{$ns} or return;
    return $c->{docs}{ _idkey($id) };
}

# ---- the oplog

sub token { my ($seq, $inv) = @_; return RCFake::odoc(_data => sprintf('82%016X%s', $seq, $inv ? '5A' : '04')) }
sub token_seq {
    my ($t) = @_;
    return unless RCFake::is_doc($t) && defined $t->{_data} && $t->{_data} =~ /^82([0-9A-F]{16})(04|5A)$/;
    return (hex($1), $2 eq '5A');
}
sub _ts { my ($self, $seq) = @_; return bson_timestamp(int(time), $seq) }
sub op_time { my ($self) = @_; return bson_timestamp(int(time), $self->{seq}) }

sub log_event {
    my ($self, $db, $coll, %f) = @_;
    my $seq = ++$self->{seq};
    my $ts = $self->_ts($seq);
    my $inv = $f{operationType} eq 'invalidate';
    my $ev = RCFake::odoc(_id => token($seq, $inv), operationType => $f{operationType},
                          clusterTime => $ts, wallTime => bson_time());
    $ev->{fullDocument} = $f{fullDocument} if exists $f{fullDocument};
    $ev->{ns} = RCFake::odoc(db => $db, defined $coll ? (coll => $coll) : ()) unless $inv;
    $ev->{to} = $f{to} if $f{to};
    $ev->{documentKey} = $f{documentKey} if $f{documentKey};
    $ev->{updateDescription} = $f{updateDescription} if $f{updateDescription};
    my $e = { seq => $seq, db => $db, coll => $coll, ts => $ts, ev => $ev, only_coll => $f{only_coll} };
    push @{ $self->{oplog} }, $e;
    $self->journal({ op => 'event', seq => $seq, db => $db, coll => $coll, ts => $ts, ev => $ev });
    $self->{woke} = 1;
    return $e;
}

# ---- the loop

sub run {
    my ($self) = @_;
    my $l = IO::Socket::INET->new(Listen => 64, LocalAddr => '127.0.0.1', LocalPort => $self->{port},
                                  ReuseAddr => 1, Proto => 'tcp')
        or die "listen 127.0.0.1:$self->{port}: $!\n";
    $l->blocking(0);
    $self->{port} = $l->sockport;
    $self->{me} = "127.0.0.1:$self->{port}";
    if (my $pf = $self->{port_file}) {
        open my $fh, '>', "$pf.tmp" or die $!; print $fh "$self->{port}\n"; close $fh; rename "$pf.tmp", $pf;
    }
    $self->log("listening on $self->{me}, set $self->{set_name}, seq $self->{seq}, truncated at $self->{trunc}");
    my $stop = 0;
    local $SIG{TERM} = sub { $stop = 1 };
    local $SIG{INT} = sub { $stop = 1 };
    local $SIG{PIPE} = 'IGNORE';
    my $rsel = IO::Select->new($l);
    while (!$stop) {
        my $wsel = IO::Select->new(map { $_->{sock} } grep { length $_->{out} } values %{ $self->{conns} });
        my $timeout = 0.25;
        for my $p (@{ $self->{pending} }) {
            my $d = $p->{deadline} - time;
            $timeout = $d if $d < $timeout;
        }
        $timeout = 0 if $timeout < 0;
        my ($r, $w) = IO::Select::select($rsel, $wsel, undef, $timeout);
        for my $s (@{ $r || [] }) {
            if ($s == $l) {
                while (my $c = $l->accept) {
                    $c->blocking(0);
                    $self->{conns}{ fileno $c } = { sock => $c, in => '', out => '', id => fileno $c };
                    $rsel->add($c);
                }
                next;
            }
            my $conn = $self->{conns}{ fileno $s } or next;
            my $n = sysread $s, my $buf, 1 << 20;
            if (!defined $n) { next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR; }
            if (!$n) { $self->close_conn($conn, $rsel); next }
            $conn->{in} .= $buf;
            while (length $conn->{in} >= 16) {
                my $len = unpack 'l<', $conn->{in};
                if ($len < 16 || $len > 48_000_000) { $self->close_conn($conn, $rsel); last }
                last if length $conn->{in} < $len;
                my $msg = substr $conn->{in}, 0, $len, '';
                my $ok = eval { $self->handle($conn, $msg); 1 };
                if (!$ok) { $self->log("error: ", ref $@ ? $@->{errmsg} : $@); }
                if ($conn->{close}) { $self->close_conn($conn, $rsel); last }
            }
        }
        for my $s (@{ $w || [] }) {
            my $conn = $self->{conns}{ fileno $s } or next;
            $self->flush($conn, $rsel);
        }
        $self->run_pending;
        # try to write what the handlers queued right away
        for my $conn (values %{ $self->{conns} }) { $self->flush($conn, $rsel) if length $conn->{out} }
    }
    $self->log("stopping");
    close $l;
    $_->{sock}->close for values %{ $self->{conns} };
}

sub flush {
    my ($self, $conn, $rsel) = @_;
    my $n = syswrite $conn->{sock}, $conn->{out};
    if (!defined $n) {
        return if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
        $self->close_conn($conn, $rsel);
        return;
    }
    substr($conn->{out}, 0, $n, '');
}

sub close_conn {
    my ($self, $conn, $rsel) = @_;
    $rsel->remove($conn->{sock});
    delete $self->{conns}{ $conn->{id} };
    @{ $self->{pending} } = grep { $_->{conn} != $conn } @{ $self->{pending} };
    $conn->{sock}->close;
}

sub send_reply {
    my ($self, $conn, $req, $doc) = @_;
    my $body = enc($doc);
    my $id = $self->{req_id}++;
    if ($req->{op} == OP_QUERY) {
        my $msg = pack('l< l< l< l< l< q< l< l<', 36 + length $body, $id, $req->{id}, OP_REPLY, 8, 0, 0, 1) . $body;
        $conn->{out} .= $msg;
    }
    else {
        my $msg = pack('l< l< l< l< L< C', 21 + length $body, $id, $req->{id}, OP_MSG, 0, 0) . $body;
        $conn->{out} .= $msg;
    }
}

sub handle {
    my ($self, $conn, $msg) = @_;
    my ($len, $id, $to, $op) = unpack 'l< l< l< l<', $msg;
    my $req = { op => $op, id => $id };
    my $cmd;
    if ($op == OP_QUERY) {
        my ($flags, $rest) = unpack 'l< a*', substr($msg, 16);
        my ($name) = $rest =~ /^([^\0]*)\0/;
        $rest = substr($rest, length($name) + 1 + 8);
        my $dlen = unpack 'l<', $rest;
        $cmd = dec(substr($rest, 0, $dlen));
        # a $query wrapper (read preference)
        if (exists $cmd->{'$query'}) { $cmd = $cmd->{'$query'} }
        my ($db) = $name =~ /^([^.]*)\./;
        $cmd->{'$db'} //= $db;
    }
    elsif ($op == OP_MSG) {
        my $flags = unpack 'L<', substr($msg, 16, 4);
        my $end = $len - (($flags & 1) ? 4 : 0);
        my $pos = 20;
        my %seq;
        while ($pos < $end) {
            my $kind = ord substr($msg, $pos++, 1);
            if ($kind == 0) {
                my $dlen = unpack 'l<', substr($msg, $pos, 4);
                $cmd = dec(substr($msg, $pos, $dlen));
                $pos += $dlen;
            }
            elsif ($kind == 1) {
                my $slen = unpack 'l<', substr($msg, $pos, 4);
                my $sec = substr($msg, $pos + 4, $slen - 4);
                $pos += $slen;
                my ($ident) = $sec =~ /^([^\0]*)\0/;
                my $p = length($ident) + 1;
                my @docs;
                while ($p < length $sec) {
                    my $dlen = unpack 'l<', substr($sec, $p, 4);
                    push @docs, dec(substr($sec, $p, $dlen));
                    $p += $dlen;
                }
                push @{ $seq{$ident} }, @docs;
            }
            else { die "OP_MSG section kind $kind\n" }
        }
        $cmd->{$_} = [ @{ $cmd->{$_} || [] }, @{ $seq{$_} } ] for keys %seq;
        $req->{no_reply} = $flags & 2;
    }
    else {
        $self->log("unsupported opcode $op; closing");
        $conn->{close} = 1;
        return;
    }
    my $reply = $self->command($conn, $req, $cmd);
    return unless $reply;   # deferred (getMore waiting) or closed
    $self->send_reply($conn, $req, $reply) unless $req->{no_reply};
}

sub error_doc {
    my ($self, $e) = @_;
    $e = { code => 1, codeName => 'InternalError', errmsg => "$e" } unless ref $e eq 'HASH';
    return RCFake::odoc(ok => 0.0, errmsg => $e->{errmsg}, code => $e->{code}, codeName => $e->{codeName},
                        ($e->{labels} ? (errorLabels => $e->{labels}) : ()),
                        operationTime => $self->op_time);
}

sub command {
    my ($self, $conn, $req, $cmd) = @_;
    my ($name) = keys %$cmd;
    my $db = $cmd->{'$db'} // 'admin';
    my $lname = lc $name;
    if (my $fp = $self->{failpoint}) {
        if (grep { lc $_ eq $lname } @{ $fp->{data}{failCommands} || [] }) {
            my $fire = $fp->{mode} eq 'alwaysOn' || ($fp->{times} // 0) > 0;
            if ($fire) {
                $fp->{times}-- if defined $fp->{times};
                $self->{failpoint} = undef if defined $fp->{times} && $fp->{times} <= 0;
                if ($fp->{data}{closeConnection}) { $conn->{close} = 1; return }
                return $self->error_doc({ code => $fp->{data}{errorCode} // 1, codeName => 'FailPoint',
                                          errmsg => "Failing command $name via 'failCommand' failpoint",
                                          labels => $fp->{data}{errorLabels} });
            }
        }
    }
    my $m = {
        ismaster => 'cmd_hello', hello => 'cmd_hello', ping => 'cmd_ping', buildinfo => 'cmd_buildinfo',
        endsessions => 'cmd_ok', killcursors => 'cmd_killcursors', getmore => 'cmd_getmore',
        aggregate => 'cmd_aggregate', find => 'cmd_find', insert => 'cmd_insert', update => 'cmd_update',
        delete => 'cmd_delete', configurefailpoint => 'cmd_failpoint', rcfaketruncate => 'cmd_truncate',
        rcfakeinvalidate => 'cmd_invalidate', rcfakedrop => 'cmd_drop', rcfakestatus => 'cmd_status',
        rcfakereset => 'cmd_reset', drop => 'cmd_drop', dropdatabase => 'cmd_dropdatabase',
        listcollections => 'cmd_listcollections', count => 'cmd_count', getlasterror => 'cmd_ok',
        hostinfo => 'cmd_ok', whatsmyuri => 'cmd_ok', getparameter => 'cmd_ok',
        saslstart => 'cmd_saslstart', saslcontinue => 'cmd_saslcontinue',
    }->{$lname};
    if ($self->{auth} && !$conn->{authed} && $m && $lname !~ /^(ismaster|hello|saslstart|saslcontinue|ping|buildinfo|endsessions)$/) {
        return $self->error_doc({ code => 13, codeName => 'Unauthorized', errmsg => "command $name requires authentication" });
    }
    my $reply;
    if (!$m) {
        $reply = $self->error_doc({ code => 59, codeName => 'CommandNotFound', errmsg => "no such command: '$name'" });
    }
    else {
        $reply = eval { $self->$m($conn, $req, $cmd, $db) };
        $reply = $self->error_doc($@) if !$reply && $@;
    }
    return $reply unless $reply && ref $reply eq 'HASH';
    $reply->{ok} = 1.0 unless exists $reply->{ok};
    $reply->{operationTime} //= $self->op_time;
    if ($lname ne 'ismaster' && $lname ne 'hello') {
        $reply->{'$clusterTime'} //= RCFake::odoc(clusterTime => $self->op_time,
            signature => RCFake::odoc(hash => BSON::Types::bson_bytes("\0" x 20), keyId => bson_int64(0)));
    }
    return $reply;
}

sub cmd_ok { return RCFake::odoc(ok => 1.0) }

sub cmd_hello {
    my ($self, $conn, $req, $cmd) = @_;
    my $hello = exists $cmd->{hello};
    my $d = RCFake::odoc(
        ($hello ? (isWritablePrimary => bson_bool(1)) : (ismaster => bson_bool(1))),
        helloOk => bson_bool(1),
        hosts => [ $self->{me} ], setName => $self->{set_name}, setVersion => bson_int32(1),
        secondary => bson_bool(0), primary => $self->{me}, me => $self->{me},
        electionId => BSON::OID->new(oid => pack('NNN', 0x7fffffff, 0, $self->{election})),
        lastWrite => RCFake::odoc(opTime => RCFake::odoc(ts => $self->op_time, t => bson_int64(1)),
                                  lastWriteDate => bson_time()),
        maxBsonObjectSize => bson_int32(16 * 1024 * 1024), maxMessageSizeBytes => bson_int32(48_000_000),
        maxWriteBatchSize => bson_int32(100_000), localTime => bson_time(),
        logicalSessionTimeoutMinutes => bson_int32(30), connectionId => bson_int32($conn->{id}),
        minWireVersion => bson_int32(0), maxWireVersion => bson_int32($self->{wire}),
        readOnly => bson_bool(0), ok => 1.0,
    );
    $d->{saslSupportedMechs} = ['SCRAM-SHA-256'] if $self->{auth} && $cmd->{saslSupportedMechs};
    return $d;
}

sub cmd_ping { return RCFake::odoc(ok => 1.0) }

# SCRAM-SHA-256, the server's side (RFC 5802 / 7677), for --auth.
sub _bytes { my $v = shift; return ref $v ? $v->data : $v }
sub cmd_saslstart {
    my ($self, $conn, $req, $cmd) = @_;
    my $auth_fail = { code => 18, codeName => 'AuthenticationFailed', errmsg => 'Authentication failed.' };
    die $auth_fail unless $self->{auth} && ($cmd->{mechanism} // '') eq 'SCRAM-SHA-256';
    my ($user, $pw) = split /:/, $self->{auth}, 2;
    my $first = _bytes($cmd->{payload});
    my ($bare) = $first =~ /^[ny],[^,]*,(.*)$/ or die $auth_fail;
    my %f = map { /^(\w)=(.*)$/ ? ($1 => $2) : () } split /,/, $bare;
    (my $name = $f{n} // '') =~ s/=2C/,/g;
    $name =~ s/=3D/=/g;
    die $auth_fail unless $name eq $user;
    my $salt = join "", map { chr int rand 256 } 1 .. 28;   # as mongod (libmongoc checks)
    my $nonce = $f{r} . MIME::Base64::encode_base64(join('', map { chr int rand 256 } 1 .. 18), '');
    my $server_first = "r=$nonce,s=" . MIME::Base64::encode_base64($salt, '') . ',i=4096';
    $conn->{scram} = { bare => $bare, server_first => $server_first, nonce => $nonce,
                       salted => RCFake::Client::_pbkdf2($pw, $salt, 4096),
                       skip => RCFake::is_doc($cmd->{options}) && $cmd->{options}{skipEmptyExchange} };
    return RCFake::odoc(conversationId => bson_int32(1), done => bson_bool(0),
                        payload => BSON::Types::bson_bytes($server_first), ok => 1.0);
}
sub cmd_saslcontinue {
    my ($self, $conn, $req, $cmd) = @_;
    my $auth_fail = { code => 18, codeName => 'AuthenticationFailed', errmsg => 'Authentication failed.' };
    my $sc = $conn->{scram} or die $auth_fail;
    if ($sc->{verified}) {   # the empty last round
        delete $conn->{scram};
        $conn->{authed} = 1;
        return RCFake::odoc(conversationId => bson_int32(1), done => bson_bool(1),
                            payload => BSON::Types::bson_bytes(''), ok => 1.0);
    }
    my $final = _bytes($cmd->{payload});
    my ($without_proof, $proof) = $final =~ /^(.*),p=([^,]+)$/ or die $auth_fail;
    my %f = map { /^(\w)=(.*)$/ ? ($1 => $2) : () } split /,/, $without_proof;
    die $auth_fail unless ($f{r} // '') eq $sc->{nonce};
    my $auth_msg = "$sc->{bare},$sc->{server_first},$without_proof";
    my $stored = Digest::SHA::sha256(Digest::SHA::hmac_sha256('Client Key', $sc->{salted}));
    my $client_key = MIME::Base64::decode_base64($proof) ^ Digest::SHA::hmac_sha256($auth_msg, $stored);
    die $auth_fail unless Digest::SHA::sha256($client_key) eq $stored;
    my $v = 'v=' . MIME::Base64::encode_base64(Digest::SHA::hmac_sha256($auth_msg,
                Digest::SHA::hmac_sha256('Server Key', $sc->{salted})), '');
    $sc->{verified} = 1;
    if ($sc->{skip}) { delete $conn->{scram}; $conn->{authed} = 1 }
    return RCFake::odoc(conversationId => bson_int32(1), done => bson_bool($sc->{skip} ? 1 : 0),
                        payload => BSON::Types::bson_bytes($v), ok => 1.0);
}

sub cmd_buildinfo {
    my ($self) = @_;
    my %v = (17 => '6.0.12', 21 => '7.0.5', 25 => '8.0.4');
    my $v = $v{ $self->{wire} } // '6.0.12';
    return RCFake::odoc(version => $v, gitVersion => 'rcfake', versionArray => [ map { bson_int32($_) } split(/\./, $v), 0 ],
                        bits => bson_int32(64), maxBsonObjectSize => bson_int32(16 * 1024 * 1024), ok => 1.0);
}

sub cmd_status {
    my ($self, $conn, $req, $cmd, $db) = @_;
    my %counts = map { ($_ => scalar @{ $self->{colls}{$_}{order} }) } keys %{ $self->{colls} };
    return RCFake::odoc(seq => bson_int64($self->{seq}), truncatedAt => bson_int64($self->{trunc}),
                        oplog => bson_int64(scalar @{ $self->{oplog} }), counts => \%counts,
                        cursors => bson_int64(scalar keys %{ $self->{cursors} }),
                        connections => bson_int64(scalar keys %{ $self->{conns} }),
                        election => bson_int64($self->{election}), ok => 1.0);
}

sub cmd_reset {
    my ($self) = @_;
    $self->{colls} = {};
    $self->{oplog} = [];
    $self->{trunc} = $self->{seq};
    $self->journal({ op => 'reset' });
    $self->compact;
    return RCFake::odoc(ok => 1.0);
}

sub cmd_truncate {
    my ($self) = @_;
    my $seq = ++$self->{seq};    # a no-op entry: every earlier token is lost
    $self->{trunc} = $seq;
    @{ $self->{oplog} } = ();
    $self->journal({ op => 'trunc', seq => $seq });
    $self->log("history truncated at $seq");
    return RCFake::odoc(truncatedAt => bson_int64($seq), ok => 1.0);
}

sub cmd_invalidate {
    my ($self, $conn, $req, $cmd, $db) = @_;
    $self->log_event($db, undef, operationType => 'invalidate');
    return RCFake::odoc(ok => 1.0);
}

sub cmd_drop {
    my ($self, $conn, $req, $cmd, $db) = @_;
    my ($name) = keys %$cmd;
    my $coll = $cmd->{$name};
    my $ns = "$db.$coll";
    delete $self->{colls}{$ns};
    $self->journal({ op => 'drop', ns => $ns });
    $self->log_event($db, $coll, operationType => 'drop');
    my $e = $self->log_event($db, $coll, operationType => 'invalidate',
                             only_coll => $cmd->{invalidate} ? undef : $coll);
    $e->{only_coll} = $cmd->{invalidate} ? undef : $coll;
    $self->log("dropped $ns");
    return RCFake::odoc(ns => $ns, ok => 1.0);
}

sub cmd_dropdatabase {
    my ($self, $conn, $req, $cmd, $db) = @_;
    for my $ns (grep { /^\Q$db\E\./ } keys %{ $self->{colls} }) {
        delete $self->{colls}{$ns};
        $self->journal({ op => 'drop', ns => $ns });
        $self->log_event($db, substr($ns, length($db) + 1), operationType => 'drop');
    }
    $self->log_event($db, undef, operationType => 'dropDatabase');
    $self->log_event($db, undef, operationType => 'invalidate');
    return RCFake::odoc(dropped => $db, ok => 1.0);
}

sub cmd_listcollections {
    my ($self, $conn, $req, $cmd, $db) = @_;
    my @c = map { RCFake::odoc(name => substr($_, length($db) + 1), type => 'collection') }
            sort grep { /^\Q$db\E\./ } keys %{ $self->{colls} };
    return RCFake::odoc(cursor => RCFake::odoc(id => bson_int64(0), ns => "$db.\$cmd.listCollections", firstBatch => \@c), ok => 1.0);
}

sub cmd_count {
    my ($self, $conn, $req, $cmd, $db) = @_;
    my $n = grep { RCFake::matches($_, $cmd->{query}) } $self->docs("$db.$cmd->{count}");
    return RCFake::odoc(n => bson_int32($n), ok => 1.0);
}

sub cmd_failpoint {
    my ($self, $conn, $req, $cmd) = @_;
    my $mode = $cmd->{mode};
    if (!ref $mode && $mode eq 'off') { $self->{failpoint} = undef }
    else {
        $self->{failpoint} = { mode => ref $mode ? 'times' : $mode, times => ref $mode ? $mode->{times} : undef,
                               data => $cmd->{data} || {} };
    }
    return RCFake::odoc(ok => 1.0);
}

# ---- writes

sub _write_reply {
    my ($self, $n, $errors, %extra) = @_;
    my $d = RCFake::odoc(n => bson_int32($n), %extra);
    $d->{writeErrors} = $errors if @$errors;
    $d->{ok} = 1.0;
    return $d;
}

sub cmd_insert {
    my ($self, $conn, $req, $cmd, $db) = @_;
    my $ns = "$db.$cmd->{insert}";
    my ($n, @err) = (0);
    my $i = 0;
    for my $doc (@{ $cmd->{documents} || [] }) {
        my $d = RCFake::clone($doc);
        if (!exists $d->{_id}) {
            my $o = RCFake::odoc(_id => BSON::OID->new);
            $o->{$_} = $d->{$_} for keys %$d;
            $d = $o;
        }
        if ($self->doc_by_id($ns, $d->{_id})) {
            push @err, RCFake::odoc(index => bson_int32($i), code => bson_int32(11000),
                                    errmsg => "E11000 duplicate key error collection: $ns index: _id_");
            last if !exists $cmd->{ordered} || $cmd->{ordered};
        }
        else {
            $self->_put($ns, $d);
            $self->journal({ op => 'put', ns => $ns, doc => $d });
            $self->log_event($db, $cmd->{insert}, operationType => 'insert', fullDocument => RCFake::clone($d),
                             documentKey => RCFake::odoc(_id => $d->{_id}));
            $n++;
        }
        $i++;
    }
    return $self->_write_reply($n, \@err);
}

sub cmd_update {
    my ($self, $conn, $req, $cmd, $db) = @_;
    my $coll = $cmd->{update};
    my $ns = "$db.$coll";
    my ($n, $nmod, @err, @upserted) = (0, 0);
    my $i = 0;
    for my $u (@{ $cmd->{updates} || [] }) {
        my $ok = eval {
            my $spec = $u->{u};
            die { code => 9, codeName => 'FailedToParse', errmsg => 'pipeline updates are not supported' } if ref $spec eq 'ARRAY';
            my $is_mod = grep { /^\$/ } keys %$spec;
            my @targets = grep { RCFake::matches($_, $u->{q}) } $self->docs($ns);
            @targets = ($targets[0]) if @targets > 1 && !$u->{multi};
            if (!@targets && $u->{upsert}) {
                my $d = RCFake::odoc();
                for my $k (keys %{ $u->{q} || {} }) {
                    my $v = $u->{q}{$k};
                    next if $k =~ /^\$/ || (RCFake::is_doc($v) && grep { /^\$/ } keys %$v);
                    RCFake::_set($d, $k, RCFake::_clone_val($v));
                }
                if ($is_mod) { RCFake::apply_update($d, $spec, 1) }
                else { my $id = $d->{_id}; $d = RCFake::clone($spec); $d->{_id} //= $id }
                $d->{_id} //= BSON::OID->new;
                $self->_put($ns, $d);
                $self->journal({ op => 'put', ns => $ns, doc => $d });
                $self->log_event($db, $coll, operationType => 'insert', fullDocument => RCFake::clone($d),
                                 documentKey => RCFake::odoc(_id => $d->{_id}));
                push @upserted, RCFake::odoc(index => bson_int32($i), _id => $d->{_id});
                $n++;
            }
            for my $t (@targets) {
                $n++;
                my $before = RCFake::enc($t);
                my $new = RCFake::clone($t);
                if ($is_mod) {
                    my ($set, $unset) = RCFake::apply_update($new, $spec, 0);
                    next if RCFake::enc($new) eq $before;
                    $self->_put($ns, $new);
                    $self->journal({ op => 'put', ns => $ns, doc => $new });
                    my %uf;
                    for my $p (@$set) {
                        my ($v) = RCFake::_get($new, $p);
                        $uf{$p} = RCFake::_clone_val($v);
                    }
                    $self->log_event($db, $coll, operationType => 'update',
                                     documentKey => RCFake::odoc(_id => $new->{_id}),
                                     updateDescription => RCFake::odoc(updatedFields => \%uf, removedFields => $unset,
                                                                       truncatedArrays => []));
                }
                else {
                    my $r = RCFake::odoc(_id => $t->{_id});
                    for my $k (keys %$spec) { $r->{$k} = RCFake::_clone_val($spec->{$k}) unless $k eq '_id' }
                    next if RCFake::enc($r) eq $before;
                    $self->_put($ns, $r);
                    $self->journal({ op => 'put', ns => $ns, doc => $r });
                    $self->log_event($db, $coll, operationType => 'replace', fullDocument => RCFake::clone($r),
                                     documentKey => RCFake::odoc(_id => $r->{_id}));
                }
                $nmod++;
            }
            1;
        };
        if (!$ok) {
            my $e = ref $@ eq 'HASH' ? $@ : { code => 1, errmsg => "$@" };
            push @err, RCFake::odoc(index => bson_int32($i), code => bson_int32($e->{code}), errmsg => $e->{errmsg});
            last if !exists $cmd->{ordered} || $cmd->{ordered};
        }
        $i++;
    }
    return $self->_write_reply($n, \@err, nModified => bson_int32($nmod), (@upserted ? (upserted => \@upserted) : ()));
}

sub cmd_delete {
    my ($self, $conn, $req, $cmd, $db) = @_;
    my $coll = $cmd->{delete};
    my $ns = "$db.$coll";
    my $n = 0;
    for my $d (@{ $cmd->{deletes} || [] }) {
        my @t = grep { RCFake::matches($_, $d->{q}) } $self->docs($ns);
        @t = ($t[0]) if @t && $d->{limit};
        for my $t (@t) {
            $self->_del($ns, $t->{_id});
            $self->journal({ op => 'del', ns => $ns, id => $t->{_id} });
            $self->log_event($db, $coll, operationType => 'delete', documentKey => RCFake::odoc(_id => $t->{_id}));
            $n++;
        }
    }
    return $self->_write_reply($n, []);
}

# ---- find cursors

sub new_cursor_id { my ($self) = @_; return ++$self->{next_cursor} }

sub cmd_find {
    my ($self, $conn, $req, $cmd, $db) = @_;
    my $coll = $cmd->{find};
    my $ns = "$db.$coll";
    my @docs = grep { RCFake::matches($_, $cmd->{filter}) } $self->docs($ns);
    if (my $sort = $cmd->{sort}) {
        my @k = keys %$sort;
        @docs = sort {
            my $r = 0;
            for my $k (@k) {
                my ($va) = RCFake::_get($a, $k); my ($vb) = RCFake::_get($b, $k);
                $r = RCFake::cmp_values($va, $vb) * ($sort->{$k} < 0 ? -1 : 1) and last;
            }
            $r;
        } @docs;
    }
    splice @docs, 0, $cmd->{skip} if $cmd->{skip};
    splice @docs, $cmd->{limit} if $cmd->{limit} && $cmd->{limit} < @docs;
    @docs = map { RCFake::project($_, $cmd->{projection}) } @docs;
    my $bs = $cmd->{batchSize} // 101;
    $bs = 1 if $cmd->{singleBatch} && 0;
    my @first = splice @docs, 0, $bs;
    my $id = 0;
    if (@docs && !$cmd->{singleBatch}) {
        $id = $self->new_cursor_id;
        $self->{cursors}{$id} = { kind => 'find', ns => $ns, docs => \@docs };
    }
    return RCFake::odoc(cursor => RCFake::odoc(firstBatch => \@first, id => bson_int64($id), ns => $ns), ok => 1.0);
}

sub cmd_killcursors {
    my ($self, $conn, $req, $cmd) = @_;
    my @k;
    for my $id (@{ $cmd->{cursors} || [] }) {
        push @k, bson_int64(0 + "$id") if delete $self->{cursors}{ 0 + "$id" };
    }
    return RCFake::odoc(cursorsKilled => \@k, cursorsNotFound => [], cursorsAlive => [], cursorsUnknown => [], ok => 1.0);
}

sub cmd_getmore {
    my ($self, $conn, $req, $cmd, $db) = @_;
    my $id = 0 + "$cmd->{getMore}";
    my $c = $self->{cursors}{$id}
        or die { code => 43, codeName => 'CursorNotFound', errmsg => "cursor id $id not found" };
    if ($c->{kind} eq 'find') {
        my $bs = $cmd->{batchSize} || 1000;
        my @b = splice @{ $c->{docs} }, 0, $bs;
        my $next = $id;
        if (!@{ $c->{docs} }) { delete $self->{cursors}{$id}; $next = 0 }
        return RCFake::odoc(cursor => RCFake::odoc(nextBatch => \@b, id => bson_int64($next), ns => $c->{ns}), ok => 1.0);
    }
    # a change stream
    my $wait = defined $cmd->{maxTimeMS} ? $cmd->{maxTimeMS} / 1000 : 1;
    my $p = { conn => $conn, req => $req, cursor => $id, deadline => time + $wait,
              batch => $cmd->{batchSize} };
    return $self->stream_reply($p, 0) || do { push @{ $self->{pending} }, $p; undef };
}

sub run_pending {
    my ($self) = @_;
    my @keep;
    for my $p (@{ $self->{pending} }) {
        my $r = $self->stream_reply($p, time >= $p->{deadline});
        if ($r) { $self->send_reply($p->{conn}, $p->{req}, $self->finish_reply($r)) }
        else { push @keep, $p }
    }
    $self->{pending} = \@keep;
}
sub finish_reply {
    my ($self, $r) = @_;
    $r->{operationTime} = $self->op_time;
    $r->{'$clusterTime'} = RCFake::odoc(clusterTime => $self->op_time,
        signature => RCFake::odoc(hash => BSON::Types::bson_bytes("\0" x 20), keyId => bson_int64(0)));
    return $r;
}

# ---- change streams

sub cmd_aggregate {
    my ($self, $conn, $req, $cmd, $db) = @_;
    my $coll = $cmd->{aggregate};
    my $pipeline = $cmd->{pipeline} || [];
    my $first = $pipeline->[0];
    die { code => 40324, codeName => 'Location40324', errmsg => 'only $changeStream pipelines are supported by this server' }
        unless RCFake::is_doc($first) && exists $first->{'$changeStream'};
    my $cs = $first->{'$changeStream'};
    my @stages = @$pipeline[1 .. $#$pipeline];
    for my $s (@stages) {
        my ($st) = keys %$s;
        die { code => 40324, codeName => 'Location40324', errmsg => "Unrecognized pipeline stage name: '$st'" }
            unless $st =~ /^\$(match|project|unset|addFields|set)$/;
    }
    my $all = ref $coll || "$coll" eq '1';
    my $start;   # the seq after which events are delivered
    my $tok = $cs->{startAfter} // $cs->{resumeAfter};
    if ($tok) {
        my ($seq, $inv) = token_seq($tok);
        die { code => 9, codeName => 'FailedToParse', errmsg => 'Invalid resume token: unrecognised format' }
            unless defined $seq;
        die { code => 260, codeName => 'InvalidResumeToken',
              errmsg => "Attempting to resume a change stream using 'resumeAfter' is not allowed from an invalidate notification." }
            if $inv && !$cs->{startAfter};
        die { code => 286, codeName => 'ChangeStreamHistoryLost',
              errmsg => 'Resume of change stream was not possible, as the resume point may no longer be in the oplog.' }
            if $seq < $self->{trunc};
        $start = $seq;
    }
    elsif (my $ts = $cs->{startAtOperationTime}) {
        my $inc = $ts->increment;
        die { code => 286, codeName => 'ChangeStreamHistoryLost',
              errmsg => 'Resume of change stream was not possible, as the resume point may no longer be in the oplog.' }
            if $inc - 1 < $self->{trunc};
        $start = $inc - 1;   # events at that time are included
    }
    else { $start = $self->{seq} }
    my $id = $self->new_cursor_id;
    my $ns = $all ? "$db.\$cmd.aggregate" : "$db.$coll";
    $self->{cursors}{$id} = { kind => 'stream', db => $db, coll => ($all ? undef : "$coll"),
                              all_dbs => (RCFake::is_doc($cs) && $cs->{allChangesForCluster}),
                              pos => $start, stages => \@stages, ns => $ns,
                              lookup => ($cs->{fullDocument} // 'default') };
    my $bs = RCFake::is_doc($cmd->{cursor}) ? $cmd->{cursor}{batchSize} : undef;
    my $r = $self->stream_reply({ cursor => $id, batch => $bs // 101, first => 1 }, 1);
    return $r;
}

# Builds a reply with the events after the cursor's position, or undef
# when there are none and $final is false (the getMore waits).
sub stream_reply {
    my ($self, $p, $final) = @_;
    my $id = $p->{cursor};
    my $c = $self->{cursors}{$id};
    if (!$c) {
        return $self->error_doc({ code => 43, codeName => 'CursorNotFound', errmsg => "cursor id $id not found" });
    }
    my $max = $p->{batch} // 1000;
    $max = 1000 unless $max;
    $max = 0 if $p->{first} && defined $p->{batch} && $p->{batch} == 0;
    my (@batch, $closed);
    my $pos = $c->{pos};
    if ($pos < $self->{trunc}) {
        delete $self->{cursors}{$id};
        return $self->error_doc({ code => 286, codeName => 'ChangeStreamHistoryLost',
                                  errmsg => 'Resume of change stream was not possible, as the resume point may no longer be in the oplog.' });
    }
    if ($max) {
        for my $e (@{ $self->{oplog} }) {
            next if $e->{seq} <= $pos;
            last if @batch >= $max;
            $pos = $e->{seq};
            next unless $c->{all_dbs} || $e->{db} eq $c->{db};
            my $type = $e->{ev}{operationType};
            if ($type eq 'invalidate') {
                next if $e->{only_coll} && (!defined $c->{coll} || $c->{coll} ne $e->{only_coll});
            }
            elsif (defined $c->{coll}) {
                next unless defined $e->{coll} && $e->{coll} eq $c->{coll};
            }
            my $ev = RCFake::clone($e->{ev});
            if ($type eq 'update' && $c->{lookup} =~ /^(updateLookup|whenAvailable|required)$/) {
                my $cur = $self->doc_by_id("$e->{db}.$e->{coll}", $e->{ev}{documentKey}{_id});
                my $o = RCFake::odoc();
                for my $k (keys %$ev) {
                    $o->{$k} = $ev->{$k};
                    $o->{fullDocument} = $cur ? RCFake::clone($cur) : undef if $k eq 'wallTime';
                }
                $ev = $o;
            }
            my $keep = 1;
            if ($type ne 'invalidate') {
                for my $s (@{ $c->{stages} }) {
                    my ($st) = keys %$s;
                    my $arg = $s->{$st};
                    if ($st eq '$match') { $keep = RCFake::matches($ev, $arg) or last }
                    elsif ($st eq '$project') { $ev = RCFake::project($ev, $arg) }
                    elsif ($st eq '$unset') { $ev = RCFake::project($ev, { map { ($_ => 0) } ref $arg ? @$arg : ($arg) }) }
                    else { RCFake::_set($ev, $_, RCFake::_clone_val($arg->{$_})) for keys %$arg }
                }
            }
            next unless $keep;
            if (!RCFake::eq_values($ev->{_id}, $e->{ev}{_id})) {
                delete $self->{cursors}{$id};
                return $self->error_doc({ code => 280, codeName => 'ChangeStreamFatalError',
                    errmsg => 'Encountered an event whose _id field, which contains the resume token, was modified by the pipeline.' });
            }
            push @batch, $ev;
            if ($type eq 'invalidate') { $closed = 1; last }
        }
        $pos = $self->{seq} if !$closed && @batch < $max && $pos < $self->{seq}
            && !grep { $_->{seq} > $pos } @{ $self->{oplog} };
    }
    return undef if !@batch && !$final;
    $c->{pos} = $pos;
    my $pbrt = @batch && $batch[-1]{_id} ? RCFake::clone($batch[-1]{_id}) : token($pos);
    my $next = $id;
    if ($closed) { delete $self->{cursors}{$id}; $next = 0 }
    return RCFake::odoc(cursor => RCFake::odoc(($p->{first} ? 'firstBatch' : 'nextBatch') => \@batch,
                                               postBatchResumeToken => $pbrt,
                                               id => bson_int64($next), ns => $c->{ns}), ok => 1.0);
}

# ================================================================ client
package RCFake::Client;
# A small synchronous client over the same wire (OP_MSG), for tests: it
# writes documents as Rocket.Chat does and reads them back.  Works against
# the fake and against a real replica set (t/sync_live.t): it finds the
# primary from the first host's hello, authenticates with SCRAM-SHA-256
# when the URL holds credentials (authSource, default the URL's database
# or admin), and speaks TLS with tls=true / ssl=true (IO::Socket::SSL,
# tlsCAFile honoured).
use strict;
use warnings;
use IO::Socket::INET;
use BSON::Types qw(bson_int64 bson_int32 bson_time bson_bool bson_bytes);
use Digest::SHA qw(hmac_sha256 sha256);
use MIME::Base64 qw(encode_base64 decode_base64);
use Time::HiRes qw(time);

sub _unescape { my $v = shift; $v =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge; return $v }

sub new {
    my ($class, %o) = @_;
    my %q;
    if ($o{url}) {
        my ($cred, $hostlist, $db, $q) = $o{url} =~ m{^mongodb://(?:([^@/]*)@)?([^/?]+)/?([^?]*)\??(.*)$}
            or die "RCFake::Client: not a mongodb:// URL\n";
        %q = map { my ($k, $v) = split /=/, $_, 2; (lc $k => _unescape($v // '')) } grep { length } split /&/, $q;
        if (defined $cred) {
            my ($u, $p) = split /:/, $cred, 2;
            $o{user} = _unescape($u);
            $o{password} = _unescape($p // '');
        }
        my ($h, $p) = (split /,/, $hostlist)[0] =~ /^\[?([^\]]+?)\]?:?(\d*)$/;
        $o{host} //= $h; $o{port} //= $p || 27017; $o{db} //= $db || 'rocketchat';
        $o{auth_db} //= $q{authsource} // ($db || 'admin');
        $o{tls} //= ($q{tls} // $q{ssl} // '') eq 'true';
        $o{ca} //= $q{tlscafile};
    }
    my $self = bless { host => $o{host} // '127.0.0.1', port => $o{port}, db => $o{db} // 'rocketchat',
                       rid => 1, timeout => $o{timeout} // 30, user => $o{user}, password => $o{password},
                       auth_db => $o{auth_db} // 'admin', tls => $o{tls}, ca => $o{ca} }, $class;
    $self->connect;
    # A secondary named first: go to the primary it names.
    if (!$self->{hello}{isWritablePrimary} && !$self->{hello}{ismaster} && $self->{hello}{primary}) {
        my ($h, $p) = $self->{hello}{primary} =~ /^\[?([^\]]+?)\]?:(\d+)$/;
        $self->close;
        @$self{qw(host port)} = ($h, $p);
        $self->connect;
    }
    return $self;
}

sub connect {
    my ($self) = @_;
    if ($self->{tls}) {
        require IO::Socket::SSL;
        $self->{sock} = IO::Socket::SSL->new(PeerAddr => $self->{host}, PeerPort => $self->{port}, Timeout => 5,
                                             ($self->{ca} ? (SSL_ca_file => $self->{ca}) : ()))
            or die "RCFake::Client: TLS connect $self->{host}:$self->{port}: $IO::Socket::SSL::SSL_ERROR\n";
    }
    else {
        $self->{sock} = IO::Socket::INET->new(PeerAddr => $self->{host}, PeerPort => $self->{port},
                                              Proto => 'tcp', Timeout => 5)
            or die "RCFake::Client: connect $self->{host}:$self->{port}: $!\n";
    }
    $self->{sock}->autoflush(1);
    $self->{hello} = $self->command('admin', [hello => 1]);
    $self->scram if defined $self->{user};
}

# PBKDF2-HMAC-SHA-256 (RFC 8018), one block.
sub _pbkdf2 {
    my ($pw, $salt, $iter) = @_;
    my $u = hmac_sha256($salt . pack('N', 1), $pw);
    my $out = $u;
    for (2 .. $iter) { $u = hmac_sha256($u, $pw); $out ^= $u }
    return $out;
}

# SCRAM-SHA-256 (RFC 7677) as MongoDB runs it; the password is used as
# given (no SASLprep: keep test passwords ASCII).
sub scram {
    my ($self) = @_;
    (my $user = $self->{user}) =~ s/=/=3D/g;
    $user =~ s/,/=2C/g;
    my $nonce = encode_base64(join('', map { chr int rand 256 } 1 .. 24), '');
    my $first_bare = "n=$user,r=$nonce";
    my $r = $self->command($self->{auth_db}, [saslStart => 1, mechanism => 'SCRAM-SHA-256',
                                              payload => bson_bytes("n,,$first_bare"), autoAuthorize => 1,
                                              options => RCFake::odoc(skipEmptyExchange => bson_bool(1))]);
    my $server_first = ref $r->{payload} ? $r->{payload}->data : $r->{payload};
    my %sf = map { /^(\w)=(.*)$/ ? ($1 => $2) : () } split /,/, $server_first;
    die "RCFake::Client: SCRAM: the server nonce does not extend ours\n" unless index($sf{r} // '', $nonce) == 0;
    my $salted = _pbkdf2($self->{password}, decode_base64($sf{s}), $sf{i});
    my $client_key = hmac_sha256('Client Key', $salted);
    my $without_proof = "c=biws,r=$sf{r}";
    my $auth_msg = "$first_bare,$server_first,$without_proof";
    my $proof = $client_key ^ hmac_sha256($auth_msg, sha256($client_key));
    $r = $self->command($self->{auth_db}, [saslContinue => 1, conversationId => $r->{conversationId},
                                           payload => bson_bytes("$without_proof,p=" . encode_base64($proof, ''))]);
    my $final = ref $r->{payload} ? $r->{payload}->data : $r->{payload};
    my ($v) = $final =~ /(?:^|,)v=([^,]*)/;
    my $want = encode_base64(hmac_sha256($auth_msg, hmac_sha256('Server Key', $salted)), '');
    die "RCFake::Client: SCRAM: the server's signature is wrong\n" unless defined $v && $v eq $want;
    while (!$r->{done}) {
        $r = $self->command($self->{auth_db}, [saslContinue => 1, conversationId => $r->{conversationId},
                                               payload => bson_bytes('')]);
    }
}
sub hello { $_[0]{hello} }
sub db { $_[0]{db} }

# Runs a command ([name => value, ...] pairs, first the command); returns
# the reply; dies on ok:0 or write errors unless $o{ok_only}.
sub command {
    my ($self, $db, $pairs, %o) = @_;
    my $doc = RCFake::odoc(@$pairs, '$db' => $db);
    my $body = RCFake::enc($doc);
    my $id = $self->{rid}++;
    my $msg = pack('l< l< l< l< L< C', 21 + length $body, $id, 0, 2013, 0, 0) . $body;
    my $s = $self->{sock};
    $s->syswrite($msg) == length $msg or die "RCFake::Client: write: $!\n";
    my $hdr = $self->_read(16);
    my ($len, undef, $to, $op) = unpack 'l< l< l< l<', $hdr;
    my $rest = $self->_read($len - 16);
    die "RCFake::Client: unexpected opcode $op\n" unless $op == 2013;
    my $d = RCFake::dec(substr($rest, 5));
    if (!$o{raw}) {
        die "RCFake::Client: $pairs->[0]: $d->{errmsg} (code $d->{code})\n" unless $d->{ok};
        die "RCFake::Client: $pairs->[0]: write error: $d->{writeErrors}[0]{errmsg}\n" if $d->{writeErrors};
    }
    return $d;
}
sub _read {
    my ($self, $n) = @_;
    my $buf = '';
    my $deadline = time + $self->{timeout};
    while (length $buf < $n) {
        my $r = $self->{sock}->sysread($buf, $n - length $buf, length $buf);
        die "RCFake::Client: connection closed\n" unless $r;
        die "RCFake::Client: read timeout\n" if time > $deadline;
    }
    return $buf;
}
sub close { my ($self) = @_; $self->{sock}->close if $self->{sock}; CORE::delete($self->{sock}) }

# ---- generic CRUD

sub insert {
    my ($self, $coll, @docs) = @_;
    return $self->command($self->{db}, [insert => $coll, documents => \@docs, ordered => bson_bool(1)]);
}
sub update {
    my ($self, $coll, $q, $u, %o) = @_;
    my $spec = RCFake::odoc(q => $q, u => $u, upsert => bson_bool($o{upsert} ? 1 : 0), multi => bson_bool($o{multi} ? 1 : 0));
    return $self->command($self->{db}, [update => $coll, updates => [$spec], ordered => bson_bool(1)]);
}
sub delete {
    my ($self, $coll, $q, %o) = @_;
    return $self->command($self->{db}, [delete => $coll, deletes => [RCFake::odoc(q => $q, limit => bson_int32($o{many} ? 0 : 1))]]);
}
sub find {
    my ($self, $coll, $filter, %o) = @_;
    my $r = $self->command($self->{db}, [find => $coll, filter => $filter // {},
                                         ($o{projection} ? (projection => $o{projection}) : ()),
                                         ($o{sort} ? (sort => $o{sort}) : ()),
                                         batchSize => bson_int32($o{batch} // 1000)]);
    my @docs = @{ $r->{cursor}{firstBatch} };
    my $id = $r->{cursor}{id};
    while ($id && "$id" ne '0') {
        $r = $self->command($self->{db}, [getMore => bson_int64("$id"), collection => $coll, batchSize => bson_int32(1000)]);
        push @docs, @{ $r->{cursor}{nextBatch} };
        $id = $r->{cursor}{id};
    }
    return @docs;
}
sub find_one { my ($self, $coll, $filter, %o) = @_; my @d = $self->find($coll, $filter, %o); return $d[0] }
sub drop { my ($self, $coll) = @_; return $self->command($self->{db}, [drop => $coll], raw => 1) }

# ---- test controls of the fake

sub truncate_history { $_[0]->command($_[0]{db}, [rcfakeTruncate => 1]) }
sub invalidate { $_[0]->command($_[0]{db}, [rcfakeInvalidate => 1]) }
sub drop_collection { my ($self, $coll, %o) = @_; $self->command($self->{db}, [rcfakeDrop => $coll, ($o{invalidate} ? (invalidate => bson_bool(1)) : ())]) }
sub status { $_[0]->command($_[0]{db}, [rcfakeStatus => 1]) }
sub reset { $_[0]->command($_[0]{db}, [rcfakeReset => 1]) }
sub fail_command {
    my ($self, %o) = @_;
    my $mode = $o{off} ? 'off' : defined $o{times} ? RCFake::odoc(times => bson_int32($o{times})) : 'alwaysOn';
    return $self->command('admin', [configureFailPoint => 'failCommand', mode => $mode,
        data => RCFake::odoc(failCommands => $o{commands} || [], (defined $o{code} ? (errorCode => bson_int32($o{code})) : ()),
                             ($o{close} ? (closeConnection => bson_bool(1)) : ()))]);
}

# ---- Rocket.Chat's writes (the shapes of Meteor's accounts code and of
# Rocket.Chat's models; live-sync.md §1)

sub _date { my ($ms) = @_; return bson_time(defined $ms ? $ms / 1000 : time) }

# add_user(id, username => ..., roles => [...], active => 1, tokens => [{hashedToken, when(ms)}|{token}|{hashedToken, type => 'personalAccessToken'}])
sub add_user {
    my ($self, $id, %o) = @_;
    my @tokens = map { _token_doc(%$_) } @{ $o{tokens} || [] };
    my $d = RCFake::odoc(_id => $id, createdAt => _date(), (defined $o{username} ? (username => $o{username}) : ()),
                         roles => $o{roles} // ['user'], type => 'user',
                         active => bson_bool(exists $o{active} ? $o{active} : 1),
                         emails => [RCFake::odoc(address => ($o{username} // $id) . '@example.com', verified => bson_bool(1))],
                         services => RCFake::odoc(password => RCFake::odoc(bcrypt => '$2b$10$fakefakefakefakefakefakefakefakefakefakefakefakefake'),
                                                  resume => RCFake::odoc(loginTokens => \@tokens)),
                         _updatedAt => _date(), %{ $o{extra} || {} });
    return $self->insert('users', $d);
}
sub _token_doc {
    my (%t) = @_;
    if ($t{type} && $t{type} eq 'personalAccessToken') {
        return RCFake::odoc(hashedToken => $t{hashedToken}, type => 'personalAccessToken',
                            createdAt => _date($t{createdAt}), lastTokenPart => 'xxxxxx', name => $t{name} // 'pat',
                            bypassTwoFactor => bson_bool(0));
    }
    return RCFake::odoc(when => _date($t{when}), token => $t{token}) if $t{token};
    return RCFake::odoc(when => _date($t{when}), hashedToken => $t{hashedToken});
}
# Meteor's _insertHashedLoginToken.
sub login {
    my ($self, $uid, $hashed, $when_ms) = @_;
    return $self->update('users', RCFake::odoc(_id => $uid),
        { '$addToSet' => { 'services.resume.loginTokens' => RCFake::odoc(when => _date($when_ms), hashedToken => $hashed) } });
}
# Users.unsetOneLoginToken (REST logout).
sub logout {
    my ($self, $uid, $hashed) = @_;
    return $self->update('users', RCFake::odoc(_id => $uid),
        { '$pull' => { 'services.resume.loginTokens' => { hashedToken => $hashed } } });
}
# Meteor's destroyToken.
sub destroy_token {
    my ($self, $uid, $hashed) = @_;
    return $self->update('users', RCFake::odoc(_id => $uid),
        { '$pull' => { 'services.resume.loginTokens' => { '$or' => [ { hashedToken => $hashed }, { token => $hashed } ] } } });
}
sub clear_tokens { my ($self, $uid) = @_; $self->update('users', RCFake::odoc(_id => $uid), { '$set' => { 'services.resume.loginTokens' => [] } }) }
sub deactivate {
    my ($self, $uid) = @_;
    $self->update('users', RCFake::odoc(_id => $uid), { '$set' => RCFake::odoc(active => bson_bool(0), 'services.resume.loginTokens' => []) });
}
sub set_user_roles { my ($self, $uid, @roles) = @_; $self->update('users', RCFake::odoc(_id => $uid), { '$set' => { roles => \@roles } }) }
sub add_user_role { my ($self, $uid, $role) = @_; $self->update('users', RCFake::odoc(_id => $uid), { '$addToSet' => { roles => $role } }) }
sub remove_user_role { my ($self, $uid, $role) = @_; $self->update('users', RCFake::odoc(_id => $uid), { '$pull' => { roles => $role } }) }
sub presence { my ($self, $uid, $st) = @_; $self->update('users', RCFake::odoc(_id => $uid), { '$set' => RCFake::odoc(status => $st, statusConnection => $st) }) }
sub rename_user { my ($self, $uid, $name) = @_; $self->update('users', RCFake::odoc(_id => $uid), { '$set' => { username => $name } }) }
# Rocket.Chat's deleteUser: the user's subscriptions first
# (Subscriptions.removeByUserId), then the user.
sub delete_user {
    my ($self, $uid) = @_;
    $self->delete('rocketchat_subscription', RCFake::odoc('u._id' => $uid), many => 1);
    $self->delete('users', RCFake::odoc(_id => $uid));
}

sub add_room {
    my ($self, $id, $t, %o) = @_;
    return $self->insert('rocketchat_room', RCFake::odoc(_id => $id, t => $t,
        (defined $o{name} ? (name => $o{name}) : ()), (defined $o{fname} ? (fname => $o{fname}) : ()),
        (defined $o{prid} ? (prid => $o{prid}) : ()), usersCount => bson_int32(0), ts => _date(), _updatedAt => _date(),
        %{ $o{extra} || {} }));
}
sub rename_room {
    my ($self, $rid, $name, $fname) = @_;
    return $self->update('rocketchat_room', RCFake::odoc(_id => $rid),
        { '$set' => RCFake::odoc(name => $name, fname => $fname // $name, _updatedAt => _date()) });
}
# Rocket.Chat's deleteRoom: its subscriptions (removeByRoomId), then the room.
sub delete_room {
    my ($self, $rid) = @_;
    $self->delete('rocketchat_subscription', RCFake::odoc(rid => $rid), many => 1);
    $self->delete('rocketchat_room', RCFake::odoc(_id => $rid));
}

sub add_subscription {
    my ($self, $id, $rid, $uid, %o) = @_;
    return $self->insert('rocketchat_subscription', RCFake::odoc(_id => $id, rid => $rid,
        u => RCFake::odoc(_id => $uid, username => $o{username} // $uid), t => $o{t} // 'c',
        (exists $o{roles} ? (roles => $o{roles}) : ()), (defined $o{status} ? (status => $o{status}) : ()),
        open => bson_bool(1), alert => bson_bool(0), unread => bson_int32(0), ts => _date(), _updatedAt => _date(),
        %{ $o{extra} || {} }));
}
sub set_subscription_roles {
    my ($self, $sid, @roles) = @_;
    $self->update('rocketchat_subscription', RCFake::odoc(_id => $sid), { '$set' => { roles => \@roles } });
}
# 8.4's ban: the subscription stays, with status BANNED.
sub ban { my ($self, $sid) = @_; $self->update('rocketchat_subscription', RCFake::odoc(_id => $sid), { '$set' => { status => 'BANNED' } }) }
sub unban { my ($self, $sid) = @_; $self->update('rocketchat_subscription', RCFake::odoc(_id => $sid), { '$unset' => { status => 1 } }) }
sub delete_subscription { my ($self, $sid) = @_; $self->delete('rocketchat_subscription', RCFake::odoc(_id => $sid)) }

sub set_permission {
    my ($self, $id, @roles) = @_;
    $self->update('rocketchat_permissions', RCFake::odoc(_id => $id),
                  { '$set' => RCFake::odoc(roles => \@roles, _updatedAt => _date()) }, upsert => 1);
}
sub delete_permission { my ($self, $id) = @_; $self->delete('rocketchat_permissions', RCFake::odoc(_id => $id)) }

1;
