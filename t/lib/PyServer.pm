# SPDX-License-Identifier: Apache-2.0
package PyServer;
# A test server of t/lib written in Python (smtp-sink.py, fake-rocketchat.py)
# run as a child process: started with --port-file FILE, which it writes
# once it listens, and stopped by its pid.
#
#   my ($pid, $port) = PyServer::spawn("$dir/server.log", "$dir/port", $script, @args);
#   PyServer::stop($pid);
use strict;
use warnings;
use POSIX ();
use Time::HiRes qw(sleep);

# Debian's python3, the one the python3-* packages are installed for (a
# python3 earlier on PATH may not have them).
my $python = -x '/usr/bin/python3' ? '/usr/bin/python3' : 'python3';

# Starts $script with @args and --port-file $port_file, its output to $log;
# returns its pid and port once the port file is there, or dies with the
# log (the server exited, or 10 s passed).
sub spawn {
    my ($log, $port_file, $script, @args) = @_;
    unlink $port_file;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>', $log or POSIX::_exit(127);
        open STDERR, '>&', \*STDOUT or POSIX::_exit(127);
        exec $python, $script, '--port-file', $port_file, @args or POSIX::_exit(127);
    }
    (my $name = $script) =~ s{.*/}{};
    for (1 .. 200) {
        if (open my $fh, '<', $port_file) {
            my ($port) = (<$fh> // '') =~ /(\d+)/;
            return ($pid, $port) if $port;
        }
        die "$name exited: " . slurp($log) if waitpid($pid, POSIX::WNOHANG()) == $pid;
        sleep 0.05;
    }
    stop($pid);
    die "$name did not start in 10 s: " . slurp($log);
}

# SIGTERM, 5 s to exit, then SIGKILL; reaps the child.
sub stop {
    my ($pid) = @_;
    return unless $pid;
    kill 'TERM', $pid;
    for (1 .. 100) {
        return if waitpid($pid, POSIX::WNOHANG()) == $pid;
        sleep 0.05;
    }
    if (kill 0, $pid) {
        kill 'KILL', $pid;
        waitpid $pid, 0;
    }
}

sub slurp { my ($f) = @_; open my $fh, '<:raw', $f or return ''; local $/; <$fh> // '' }

1;
