# SPDX-License-Identifier: Apache-2.0
package InviteMail;
# The test SMTP relay (t/lib/smtp-sink.py, aiosmtpd) for the invitation
# mail: start one on a free loopback port, read back what it took, stop it.
#
#   my $relay = InviteMail->start($dir, delay_data => 3);   # or refuse_rcpt
#   ... send to $relay->url ...                              # => 'b@', silent => 1
#   my @m = $relay->messages;   # ({from, to => [...], data, headers, ...}, ...)
#   $relay->stop;
#
# InviteMail::closed_url() is a relay URL on a loopback port nothing
# listens on (connection refused).
use strict;
use warnings;
use File::Path qw(make_path remove_tree);
use IO::Socket::INET;
use MIME::Base64 qw(decode_base64);
use FindBin;
use PyServer;

my $sink = "$FindBin::Bin/lib/smtp-sink.py";
$sink = "$FindBin::Bin/../lib/smtp-sink.py" unless -e $sink;

sub start {
    my ($class, $dir, %opt) = @_;
    remove_tree($dir);
    make_path("$dir/mail");
    my @args = ('--dir', "$dir/mail");
    push @args, '--delay-data', $opt{delay_data} if $opt{delay_data};
    push @args, '--refuse-rcpt', $opt{refuse_rcpt} if $opt{refuse_rcpt};
    push @args, '--refuse-data' if $opt{refuse_data};
    push @args, '--silent' if $opt{silent};
    my ($pid, $port) = PyServer::spawn("$dir/sink.log", "$dir/port", $sink, @args);
    return bless { dir => $dir, pid => $pid, port => $port }, $class;
}

sub port { $_[0]{port} }
sub url  { 'smtp://127.0.0.1:' . $_[0]{port} }
sub sink_log { _slurp("$_[0]{dir}/sink.log") }

sub stop {
    my ($self) = @_;
    PyServer::stop(delete $self->{pid});
}

sub DESTROY { $_[0]->stop }

# Forgets what the relay took so far.
sub clear {
    my ($self) = @_;
    unlink glob("$self->{dir}/mail/*");
}

# The messages taken, in order: hashes with from, to (array), data (the
# raw message), headers (name => unfolded value, lowercase names; a
# repeated header is an array), header_lines (the raw header lines, in
# order), body (after the blank line).
sub messages {
    my ($self) = @_;
    my @out;
    for my $eml (sort glob("$self->{dir}/mail/*.eml")) {
        (my $env = $eml) =~ s/\.eml$/.env/;
        my %m = (data => _slurp($eml), to => []);
        for (split /\n/, _slurp($env)) {
            $m{from} = $1 if /^MAIL FROM:<(.*)>$/;
            push @{ $m{to} }, $1 if /^RCPT TO:<(.*)>$/;
        }
        %m = (%m, parse($m{data}));
        push @out, \%m;
    }
    return @out;
}

# A message's header lines, headers and body (see messages).
sub parse {
    my ($data) = @_;
    my ($head, $body) = split /\r\n\r\n/, $data, 2;
    my @lines = split /\r\n/, $head;
    my (%h, @order);
    for my $l (@lines) {
        if ($l =~ /^[ \t]/ && @order) {
            $order[-1][1] .= "\r\n$l";
        }
        elsif ($l =~ /^([\x21-\x39\x3b-\x7e]+):[ \t]?(.*)$/) {
            push @order, [lc $1, $2];
        }
        else {
            push @order, ['(bad line)', $l];
        }
    }
    for (@order) {
        my ($n, $v) = @$_;
        if (exists $h{$n}) {
            $h{$n} = [ref $h{$n} ? @{ $h{$n} } : $h{$n}, $v];
        }
        else {
            $h{$n} = $v;
        }
    }
    return (headers => \%h, header_names => [map { $_->[0] } @order],
            header_lines => \@lines, body => $body);
}

# The parts of a multipart message: a list of hashes with type, encoding,
# content (decoded) and raw.
sub parts {
    my ($m) = @_;
    my ($b) = ($m->{headers}{'content-type'} // '') =~ /boundary="([^"]+)"/
        or return;
    my @raw = split /\r\n--\Q$b\E(?:--)?\r\n/, "\r\n$m->{body}";
    shift @raw;    # the preamble
    my @parts;
    for my $r (@raw) {
        my %p = parse($r);
        my $enc = $p{headers}{'content-transfer-encoding'} // '';
        push @parts, { type => $p{headers}{'content-type'}, encoding => $enc,
                       raw => $r,
                       content => $enc eq 'base64' ? decode_base64($p{body})
                                                   : $p{body} };
    }
    return @parts;
}

# An RFC 2047 header value decoded (B words of UTF-8), as bytes.
sub decode_header {
    my ($v) = @_;
    $v =~ s/\?=\r\n[ \t]+=\?/?==?/g;
    $v =~ s/=\?UTF-8\?B\?([A-Za-z0-9+\/=]*)\?=/decode_base64($1)/ge;
    return $v;
}

# A URL of a loopback port nothing listens on.
sub closed_url {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                  LocalPort => 0, ReuseAddr => 1)
        or die "no free port: $!";
    my $port = $s->sockport;
    close $s;
    return "smtp://127.0.0.1:$port";
}

sub _slurp { my ($f) = @_; open my $fh, '<:raw', $f or return ''; local $/; <$fh> // '' }

1;
