# SPDX-License-Identifier: Apache-2.0
package InviteCtl;
# What the invitectl tests share: running the command, and a database of
# the test file's own (a SQLite file, or a PostgreSQL database next to the
# suite's in the same cluster, dropped by drop_database).
use strict;
use warnings;
use DBI;
use POSIX ();

sub slurp { my ($f) = @_; open my $fh, '<', $f or return ''; local $/; <$fh> // '' }

# Runs `$ctl @args` with stdout and stderr in files of $dir; returns
# (exit status, stdout, stderr).
sub run {
    my ($ctl, $dir, @args) = @_;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>', "$dir/out" or die;
        open STDERR, '>', "$dir/err" or die;
        exec $ctl, @args or POSIX::_exit(127);
    }
    waitpid $pid, 0;
    return ($? >> 8, slurp("$dir/out"), slurp("$dir/err"));
}

# A new database for $engine named $name (SQLite: $dir/$name.db).  Returns
# a hash: db (invitectl's -d/-p arguments), params (DBDParams), connect (a
# sub returning a new DBI handle), and for PostgreSQL admin and name.
sub own_database {
    my ($engine, $name, $dir) = @_;
    my %d;
    if ($engine eq 'pgsql') {
        $d{name} = $name;
        $d{admin} = DBI->connect("dbi:Pg:$ENV{INVITE_TEST_PG_DSN}", '', '',
                                 { RaiseError => 1, AutoCommit => 1, PrintError => 0 });
        $d{admin}->do("DROP DATABASE IF EXISTS $name");
        $d{admin}->do("CREATE DATABASE $name");
        ($d{params} = $ENV{INVITE_TEST_PG_PARAMS}) =~ s/\bdbname=\S+/dbname=$name/
            or die "no dbname in INVITE_TEST_PG_PARAMS";
        (my $dsn = $ENV{INVITE_TEST_PG_DSN}) =~ s/\bdbname=[^;]+/dbname=$name/;
        $d{connect} = sub {
            DBI->connect("dbi:Pg:$dsn", '', '',
                         { RaiseError => 1, AutoCommit => 1, PrintError => 0, PrintWarn => 0 });
        };
    }
    else {
        my $file = $d{params} = "$dir/$name.db";
        $d{connect} = sub {
            my $h = DBI->connect("dbi:SQLite:dbname=$file", '', '',
                                 { RaiseError => 1, AutoCommit => 1, PrintError => 0 });
            $h->sqlite_busy_timeout(5000);
            $h;
        };
    }
    $d{db} = ['-d', $engine, '-p', $d{params}];
    return \%d;
}

# Drops a PostgreSQL database of own_database (its handles closed first).
sub drop_database {
    my ($d) = @_;
    eval { $d->{admin}->do("DROP DATABASE IF EXISTS $d->{name}") } if $d->{admin};
}

1;
