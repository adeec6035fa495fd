# SPDX-License-Identifier: Apache-2.0
# The invite handler's locations skip httpd's file-system mapping (the
# directory walk that stats each path component and reads .htaccess
# files), as mod_proxy does: under a <Directory> that denies everything and
# allows overrides, with a broken .htaccess on the mapped path, the API
# still answers.  A static file there is denied, as it should be.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use File::Path qw(make_path);
use InviteTest;

plan tests => 3;

my $docroot = Apache::Test::vars('documentroot');
make_path("$docroot/nofile/api/v1");
for my $dir ("$docroot/nofile", "$docroot/nofile/api", "$docroot/nofile/api/v1") {
    open my $fh, '>', "$dir/.htaccess" or die $!;
    print $fh "ThisIsNotADirective\n";
    close $fh;
}
open my $fh, '>', "$docroot/nofile/static.txt" or die $!;
print $fh "x\n";
close $fh;

my $res = api_post('/nofile/api/v1/findOrCreateInvite',
                   {rid => 'GENERAL', days => 1, maxUses => 0}, user => 'admin');
is($res->code, 200, 'the API answers under a denying <Directory> and a broken .htaccess');
ok(json_of($res) && json_of($res)->{_id}, '... with an invite');
is(GET('/nofile/static.txt')->code, 500, 'a file there still goes through the directory walk');
