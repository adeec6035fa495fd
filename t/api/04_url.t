# SPDX-License-Identifier: Apache-2.0
# Invite URLs (docs/api.md#invite-url) for each InviteUrlType and site
# layout; the URL is never built from the client's Host header.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use InviteTest;

plan tests => 14;

reset_invites();

sub url_for {
    my ($path, %o) = @_;
    my $res = api_post($path, {rid => 'GENERAL', days => 1, maxUses => 0},
                       user => 'admin', %o);
    is($res->code, 200, "$path: 200") or diag($res->content);
    my $inv = json_of($res) || {};
    return ($inv->{url} // '', $inv->{_id} // '');
}

my ($url, $id) = url_for('/api/v1/findOrCreateInvite',
                         headers => ['Host' => 'evil.example.com']);
is($url, "https://go.rocket.chat/invite?host=chat.example.com&path=invite%2F$id",
   'proxy mode (default), Host header ignored');

($url, $id) = url_for('/direct/api/v1/findOrCreateInvite');
is($url, "https://h.example.org/chat/invite/$id", 'direct mode, sub-directory site');

($url, $id) = url_for('/subdir/api/v1/findOrCreateInvite');
is($url, "https://links.example.org/invite?host=h.example.org%2Fchat&path=chat%2Finvite%2F$id",
   'proxy mode keeps the sub-directory quirk and a custom deep-link service');

($url, $id) = url_for('/plainhttp/api/v1/findOrCreateInvite');
is($url, "https://go.rocket.chat/invite?host=localhost%3A3000&path=invite%2F$id&secure=no",
   'plain http site: secure=no');

# Without InviteSiteUrl the virtual host's ServerName is the site.
Apache::TestRequest::module('invite_servername');
my $hostport = Apache::TestRequest::hostport();
($url, $id) = url_for('/named/api/v1/findOrCreateInvite',
                      url => "http://$hostport/named/api/v1/findOrCreateInvite",
                      headers => ['Host' => 'evil.example.com']);
is($url, "https://go.rocket.chat/invite?host=named.example.net&path=invite%2F$id",
   'ServerName https://named.example.net is the site URL');
Apache::TestRequest::module('default');

# The same invite gets the URL of the location it is read through.
my ($u1, $i1) = url_for('/api/v1/findOrCreateInvite');
my ($u2, $i2) = url_for('/direct/api/v1/findOrCreateInvite');
is($i2, $i1, 'same invite through two locations');
isnt($u2, $u1, '... with each location\'s URL (computed, not stored)');
