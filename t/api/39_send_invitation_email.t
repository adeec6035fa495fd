# SPDX-License-Identifier: Apache-2.0
# POST /api/v1/sendInvitationEmail (docs/api.md#send-invitation-email,
# docs/mail.md) on a server of its own whose InviteMailRelay is a real SMTP
# relay this test starts (t/lib/smtp-sink.py, aiosmtpd), every message read
# back: the check order and exact bodies under both InviteRocketChatVersion
# values (the route catches its own errors, so 8.x and 9.x answer alike),
# one message per valid address with its headers, both parts and their
# encodings, 100 addresses in one call, a hostile list that sends nothing,
# the relay down, and the rate limit.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use InviteTest;
use InviteMail;
use Cwd qw(abs_path);
use Time::HiRes qw(time);

plan tests => 47;

my $top = abs_path("$FindBin::Bin/../..");
my $mods = '/usr/lib/apache2/modules';
my $relay = InviteMail->start("$top/t/var/smtp-" . engine());
my $down = InviteMail::closed_url();
my $relay_url = $relay->url;
my $host;
END { InviteTest::stop_second_host($host) if $host; $relay->stop if $relay }
$host = InviteTest::start_second_host($top, name => 'mail-' . engine(), conf => <<"CONF");
LoadModule socache_shmcb_module $mods/mod_socache_shmcb.so
InviteRateLimit off
InviteMailRelay $relay_url
InviteMailFrom "Chat Example <noreply\@chat.example.com>"
InviteSiteName "Chat Example"
InviteMailTimeout 30000
<Location /rc8/api/v1>
    SetHandler invite
    InviteSiteUrl https://chat.example.com
    InviteRocketChatVersion 8
</Location>
<Location /down/api/v1>
    SetHandler invite
    InviteSiteUrl https://chat.example.com
    InviteMailRelay $down
</Location>
<Location /limited/api/v1>
    SetHandler invite
    InviteSiteUrl https://chat.example.com
    InviteRateLimit 3 60
</Location>
CONF
my $base = "http://127.0.0.1:$host->{port}";
my $R = '/api/v1/sendInvitationEmail';

sub send_mail {
    my ($prefix, $body, %o) = @_;
    return api_post(undef, $body, url => "$base$prefix$R", %o);
}
sub answer { my ($res) = @_; $res->code . ' ' . $res->content }

my $unauth = '{"success":false,"error":"You must be logged in to do this.","status":"error","message":"You must be logged in to do this."}';
my $not_allowed = '{"error":"Not allowed [error-not-allowed]","success":false}';
my $no_valid = '{"error":"No valid email addresses [error-email-send-failed]","success":false}';

# --- the check order, the same under 9 (the default here) and 8 ---------
for my $v (['', 9], ['/rc8', 8]) {
    my ($p, $n) = @$v;
    is(answer(send_mail($p, {emails => ['a@example.com']})), "401 $unauth", "$n: no login: 401");
    is(answer(send_mail($p, {emails => 5}, user => [$USER{admin}, 'wrong'])), "401 $unauth",
       "$n: a wrong token and a bad body: the login first");
    is(answer(send_mail($p, {}, user => 'admin')),
       q(400 {"success":false,"errorType":"invalid-params","error":"must have required property 'emails'"}),
       "$n: no emails: invalid-params");
    is(answer(send_mail($p, {emails => 'a@example.com'}, user => 'admin')),
       q(400 {"success":false,"errorType":"invalid-params","error":"must be array"}),
       "$n: a string is not wrapped in an array (coerceTypes without 'array')");
    is(answer(send_mail($p, {emails => [{}]}, user => 'admin')),
       q(400 {"success":false,"errorType":"invalid-params","error":"must be string"}),
       "$n: an object among the addresses");
    is(answer(send_mail($p, {emails => [], extra => 1}, user => 'admin')),
       q(400 {"success":false,"errorType":"invalid-params","error":"must NOT have additional properties"}),
       "$n: another property");
    is(answer(send_mail($p, {emails => ['a@example.com']}, user => 'inviter')), "400 $not_allowed",
       "$n: without bulk-register-user: 400 error-not-allowed in the route's shape, not a 403");
    is(answer(send_mail($p, {emails => ['nope', '', 'a@']}, user => 'admin')), "400 $no_valid",
       "$n: no valid address");
}
is(scalar($relay->messages), 0, 'nothing was sent for any of them');

# --- one message per valid address ---------------------------------------
my $res = send_mail('', {emails => ['ann@example.com', 'not-an-address', 'bob@example.org']}, user => 'admin');
is(answer($res), '200 {"success":true}', 'two valid addresses and an invalid one: 200 {"success":true}');
my @m = $relay->messages;
is(scalar @m, 2, 'two messages: the invalid address is dropped silently');
is(join(' ', map { @{ $_->{to} } } @m), 'ann@example.com bob@example.org', '... one envelope recipient each, in order');
is($m[0]{from}, 'noreply@chat.example.com', 'MAIL FROM is InviteMailFrom\'s address');
my $h = $m[0]{headers};
is(join(' ', @{ $m[0]{header_names} }), 'date from to subject message-id mime-version content-type',
   'the headers, in order, and nothing else');
is($h->{from}, 'Chat Example <noreply@chat.example.com>', 'From: the display name and address');
is($h->{to}, 'ann@example.com', 'To: the recipient');
is(InviteMail::decode_header($h->{subject}), 'You have been invited to Chat Example',
   "Subject: Rocket.Chat's Invitation_Subject_Default with [Site_Name]");
like($h->{'content-type'}, qr{^multipart/alternative; boundary="[^"]+"$}, 'multipart/alternative');
my @parts = InviteMail::parts($m[0]);
is(join(' ', map { ($_->{type} =~ m{^(text/\w+)})[0] } @parts), 'text/plain text/html', 'a text part, then an HTML part');
is(join(' ', map { $_->{encoding} } @parts), 'base64 base64', '... both base64');
like($parts[0]{type}, qr/charset=UTF-8/i, '... in UTF-8');
like($parts[1]{content}, qr{<h2>Welcome to Chat Example</h2>.*<a class="btn" href="https://chat\.example\.com">Join Chat</a>}s,
     "the HTML: Rocket.Chat's Invitation_Email, its placeholders filled in");
like($parts[0]{content}, qr{Welcome to Chat Example.*Visit https://chat\.example\.com and try the best open source chat solution available today!.*Join Chat}s,
     'the text: the same without tags');
unlike($parts[0]{content}, qr/</, '... no tag left');
isnt($m[0]{headers}{'message-id'}, $m[1]{headers}{'message-id'}, 'each message has its own Message-ID');

# --- 100 addresses in one call ---------------------------------------------
$relay->clear;
my @hundred = map { sprintf 'user%03d@example.com', $_ } 1 .. 100;
is(answer(send_mail('', {emails => \@hundred}, user => 'admin')), '200 {"success":true}', '100 addresses: 200');
@m = $relay->messages;
is(scalar @m, 100, '... 100 messages');
is(join(',', map { $_->{to}[0] } @m), join(',', @hundred), '... one to each, in order');

# --- a hostile list: nothing sent -------------------------------------------
# (A NUL in a JSON string makes the body no parameters at all, as for every
# route: t/unit/test_mail.c refuses it in an address too.)
$relay->clear;
my @hostile = ("a\@example.com\r\nBcc: evil\@example.net", "a\@example.com\nBcc: evil\@example.net",
               "a\@example.com, evil\@example.net", "a\@example.com;evil\@example.net",
               "<evil\@example.net>", "a b\@example.com", "\"x\"\@example.com",
               "a\@example.com\tx", "\x{e9}\@example.com", 'a@b@c', '@example.com');
is(answer(send_mail('', {emails => \@hostile}, user => 'admin')), "400 $no_valid",
   'a hostile list: every address refused, no valid one');
is(scalar($relay->messages), 0, '... and nothing sent');
is(answer(send_mail('', {emails => [@hostile, 'ok@example.com']}, user => 'admin')), '200 {"success":true}',
   'the same list with one good address');
@m = $relay->messages;
ok(@m == 1 && $m[0]{to}[0] eq 'ok@example.com' && !grep({ /bcc/i } @{ $m[0]{header_names} }),
   '... one message, to it, with no Bcc or other forged header');

# --- the relay down ----------------------------------------------------------
my $t0 = time;
$res = send_mail('/down', {emails => ['ann@example.com']}, user => 'admin');
my $took = time - $t0;
like(answer($res), qr/^400 \{"error":"Error trying to send email: Couldn't connect to server \[error-email-send-failed\]","success":false\}$/,
     "the relay down: 400 with upstream's message");
cmp_ok($took, '<', 3, sprintf('... at once (%.2f s)', $took));
my $log = do { open my $fh, '<', "$host->{dir}/error_log" or die $!; local $/; <$fh> };
like($log, qr/INV01001: sendInvitationEmail by \Q$USER{admin}\E: Error trying to send email: Couldn't connect to server \[error-email-send-failed\] \(0 of 1 mail\(s\) handed to \Q$down\E before\)/,
     '... and the error log names the cause and the relay');

# --- the rate limit (3 per 60 s; admin holds the bypass) ----------------------
db_do("INSERT INTO permission_roles (permission, role) VALUES ('bulk-register-user', 'inviter')");
$relay->clear;
my @limited;
push @limited, send_mail('/limited', {emails => 5}, user => 'inviter') for 1 .. 2;   # refused bodies
push @limited, send_mail('/limited', {emails => ['x@example.com']}, user => 'inviter') for 1 .. 4;
is(join(' ', map { $_->code } @limited), '400 400 200 200 200 429',
   'the rate limit: bodies the schema refuses are not counted; the 4th good call is 429');
ok(!defined $limited[0]->header('X-RateLimit-Limit') && $limited[2]->header('X-RateLimit-Limit') eq '3',
   '... refused bodies carry no X-RateLimit-*, counted calls do');
is(scalar($relay->messages), 3, '... and the 429 sent nothing');
my @admin = map { send_mail('/limited', {emails => ['y@example.com']}, user => 'admin') } 1 .. 4;
ok(!grep({ $_->code != 200 || defined $_->header('X-RateLimit-Limit') } @admin),
   'admin (api-bypass-rate-limit) is never limited and gets no headers');
db_do("DELETE FROM permission_roles WHERE permission = 'bulk-register-user' AND role = 'inviter'");
