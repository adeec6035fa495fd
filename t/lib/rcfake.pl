#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
# Runs the simulated replica-set member of t/lib/RCFake.pm in the
# foreground: rcfake.pl [--port N] [--port-file F] [--state FILE]
# [--set-name rs0] [--wire 17] [--auth USER:PASSWORD] (SCRAM-SHA-256 required).  The port actually bound is written to the
# port file; TERM or INT stops it; the state file (a journal) keeps the
# documents and the change history across restarts.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Getopt::Long;
use RCFake;

$| = 1;
my %o = (set_name => 'rs0', wire => 17, port => 0);
GetOptions('auth=s' => \$o{auth}, 'port=i' => \$o{port}, 'port-file=s' => \$o{port_file}, 'state=s' => \$o{state},
           'set-name=s' => \$o{set_name}, 'wire=i' => \$o{wire})
    or die "usage: $0 [--port N] [--port-file F] [--state FILE] [--set-name NAME] [--wire N]\n";
RCFake::Server->new(%o)->run;
