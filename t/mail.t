# SPDX-License-Identifier: Apache-2.0
# The invitation mail of POST /api/v1/sendInvitationEmail delivered for
# real: build/invite-mail-send (tools/invite_mail_send.c, the route's
# invite_mail_invite) against the test SMTP relay of t/lib/smtp-sink.py
# (aiosmtpd), whose messages are read back here.  One message per
# address with its headers, both parts and their encodings; hostile
# addresses dropped before any header; 100 addresses in one call; a relay
# that is down, silent, slow or refusing answered with Rocket.Chat's error
# within InviteMailTimeout.  docs/mail.md.
use strict;
use warnings;
use Test::More;
use FindBin;
use Cwd qw(abs_path);
use File::Temp qw(tempdir);
use Time::HiRes qw(time);
use HTTP::Date qw(str2time);
use lib "$FindBin::Bin/lib";
use InviteMail;

my $top = abs_path("$FindBin::Bin/..");
my $tool = "$top/build/invite-mail-send";
plan skip_all => "no $tool (make)" unless -x $tool;
my $dir = tempdir(CLEANUP => 1);

# Runs the tool; returns a hash: out (its stdout), result, error, detail,
# count, sent (addresses), elapsed (ms, the tool's own) and wall (ms,
# around the whole process).
sub send_invites {
    my (@args) = @_;
    my $t0 = time;
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if (!$pid) {
        open STDERR, '>&', \*STDOUT;
        exec $tool, @args or exit 127;
    }
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    my %r = (out => $out, status => $? >> 8, wall => 1000 * (time - $t0),
             sent => [$out =~ /^sent (.*)$/mg]);
    ($r{result}) = $out =~ /^result (ok|error)/m;
    ($r{error}) = $out =~ /^result error (.*)$/m;
    ($r{detail}) = $out =~ /^detail (.*)$/m;
    ($r{count}) = $out =~ /^count (\d+)$/m;
    ($r{elapsed}) = $out =~ /^elapsed-ms (\d+)$/m;
    return \%r;
}

my $relay = InviteMail->start("$dir/relay");
my $url = $relay->url;
my $site = "M\xc3\xbcnchen & <Chat>";    # UTF-8 bytes
my @common = ('--url', $url, '--from', 'Rocket.Chat <noreply@example.com>',
              '--site-name', $site, '--site-url', 'https://chat.example.com',
              '--timeout', 5000);

# --- one address: headers, both parts, encodings ---------------------------
my $r = send_invites(@common, 'alice@example.com');
is($r->{result}, 'ok', 'one address: sent') or diag($r->{out});
is($r->{status}, 0, '... exit status 0');
is_deeply($r->{sent}, ['alice@example.com'], '... the tool names it');
my @m = $relay->messages;
is(scalar @m, 1, '... one message at the relay');
my $m = $m[0];
is($m->{from}, 'noreply@example.com', 'envelope MAIL FROM is the bare sender');
is_deeply($m->{to}, ['alice@example.com'], 'envelope RCPT TO: the one recipient');
is_deeply($m->{header_names},
          [qw(date from to subject message-id mime-version content-type)],
          'headers: Date, From, To, Subject, Message-ID, MIME-Version, Content-Type, nothing else');
ok(!grep({ length > 998 } split /\r\n/, $m->{data}), 'no line longer than 998');
ok($m->{data} !~ /(?<!\r)\n|\r(?!\n)/, 'CRLF line ends only');
is($m->{headers}{from}, '"Rocket.Chat" <noreply@example.com>', 'From: the display name quoted');
is($m->{headers}{to}, 'alice@example.com', 'To');
like($m->{headers}{subject}, qr/^=\?UTF-8\?B\?/, 'Subject RFC 2047-encoded (non-ASCII site name)');
is(InviteMail::decode_header($m->{headers}{subject}), "You have been invited to $site",
   '... decodes to Invitation_Subject_Default in English, the site name raw');
my $date = str2time($m->{headers}{date});
ok($date && abs($date - time) < 120, "Date parses and is now ($m->{headers}{date})");
like($m->{headers}{'message-id'}, qr/^<[0-9a-f]{32}\@example\.com>$/, 'Message-ID: random hex @ the sender domain');
is($m->{headers}{'mime-version'}, '1.0', 'MIME-Version: 1.0');
like($m->{headers}{'content-type'}, qr/^multipart\/alternative; boundary="=_invite_[0-9a-f]{24}"$/,
     'Content-Type: multipart/alternative with a quoted random boundary');
my @parts = InviteMail::parts($m);
is(scalar @parts, 2, 'two parts');
is_deeply([map { $_->{type} } @parts], ['text/plain; charset=UTF-8', 'text/html; charset=UTF-8'],
          '... text/plain then text/html, UTF-8');
is_deeply([map { $_->{encoding} } @parts], ['base64', 'base64'], '... both base64');
is($parts[1]{content},
   "<h2>Welcome to M\xc3\xbcnchen &amp; &lt;Chat&gt;</h2><p>Visit https://chat.example.com and try"
   . " the best open source chat solution available today!</p>"
   . '<a class="btn" href="https://chat.example.com">Join Chat</a>',
   'html part: Invitation_Email in English, the site name HTML-escaped');
is($parts[0]{content},
   "Welcome to M\xc3\xbcnchen & <Chat>\r\nVisit https://chat.example.com and try the best open"
   . " source chat solution available today!\r\nJoin Chat",
   'text part: the same body without tags, entities decoded');
like($m->{body}, qr/\r\n--=_invite_[0-9a-f]{24}--\r\n\z/, 'closing boundary ends the message');

# --- the filter: bad and hostile addresses dropped silently ----------------
$relay->clear;
$r = send_invites(@common, '--subject', "Hi [email]\r\nBcc: subject-marker\@example.org",
                  'bob@example.com', "x\@example.com\r\nBcc: evil\@evil.example",
                  'nope', 'a@b@c', 'comma@example.com,evil@evil.example',
                  'semi@example.com;evil@evil.example', "tab\t\@example.com",
                  "lf\@example.com\nRCPT TO:<evil\@evil.example>",
                  'Eve <eve@evil.example>', "j\xc3\xbcrgen\@example.com",
                  'carol@example.com');
is($r->{result}, 'ok', 'hostile and invalid addresses are dropped, not an error') or diag($r->{out});
is_deeply($r->{sent}, ['bob@example.com', 'carol@example.com'], '... the two good ones sent, in order');
@m = $relay->messages;
is_deeply([map { @{ $_->{to} } } @m], ['bob@example.com', 'carol@example.com'],
          '... and only they reached the relay, one a message');
ok(!grep({ $_->{data} =~ /evil/i } @m), 'no hostile text in any message');
is_deeply([map { scalar @{ $_->{header_names} } } @m], [7, 7], 'seven headers each: no Bcc forged');
is(InviteMail::decode_header($m[0]{headers}{subject}), 'Hi bob@example.com  Bcc: subject-marker@example.org',
   '... a CRLF in the subject template became spaces inside the Subject')
    or diag($m[0]{headers}{subject});

$relay->clear;
$r = send_invites(@common, 'nope', "x\@y\r\n");
is($r->{error}, 'No valid email addresses [error-email-send-failed]', 'none valid: upstream error');
is($r->{status}, 1, '... exit status 1');
$r = send_invites(@common, '--subject', '', 'bob@example.com');
is($r->{error}, 'No subject [error-email-send-failed]', 'empty subject: upstream error');
is(scalar $relay->messages, 0, 'nothing sent by either');

# --- 100 addresses in one call ---------------------------------------------
$relay->clear;
my @many = map { sprintf 'user%03d@example.com', $_ } 1 .. 100;
$r = send_invites(@common, '--timeout', 30000, @many);
is($r->{result}, 'ok', '100 addresses: ok') or diag($r->{out});
is($r->{count}, 100, '... 100 sent');
@m = $relay->messages;
is(scalar @m, 100, '... 100 messages at the relay');
is_deeply([map { @{ $_->{to} } } @m], \@many, '... one recipient each, in order');
is_deeply([map { $_->{headers}{to} } @m], \@many, '... each To: its own envelope recipient');
my %ids = map { $_->{headers}{'message-id'} => 1 } @m;
is(scalar keys %ids, 100, '... 100 distinct Message-IDs');
is(scalar(grep { $parts[0]{content} eq (InviteMail::parts($_))[0]{content} } @m), 100,
   '... every text part the same body');
diag("100 messages in $r->{elapsed} ms");
$relay->stop;

# --- a relay that is down: connection refused, at once ----------------------
my $closed = InviteMail::closed_url();
$r = send_invites(@common, '--url', $closed, '--timeout', 2000, 'alice@example.com', 'bob@example.com');
is($r->{error}, "Error trying to send email: Couldn't connect to server [error-email-send-failed]",
   'relay down: upstream error with the reason') or diag($r->{out});
like($r->{detail} // '', qr/Failed to connect to 127\.0\.0\.1 port \d+/, '... the detail for the log names the relay');
is($r->{count}, 0, '... nothing sent');
cmp_ok($r->{elapsed}, '<', 2000, "... within the bound ($r->{elapsed} ms)");

# --- a relay that never speaks: timeout within the bound --------------------
my $silent = InviteMail->start("$dir/silent", silent => 1);
$r = send_invites(@common, '--url', $silent->url, '--timeout', 1000, 'alice@example.com');
is($r->{error}, 'Error trying to send email: Timeout was reached [error-email-send-failed]',
   'silent relay (no greeting): timeout error') or diag($r->{out});
cmp_ok($r->{elapsed}, '>=', 900, "... after the timeout ($r->{elapsed} ms)");
cmp_ok($r->{elapsed}, '<', 1500, '... and not much later');
cmp_ok($r->{wall}, '<', 3000, "... the whole process too ($r->{wall} ms)");
$silent->stop;

# --- a slow relay: the end of DATA answered after the timeout ---------------
my $slow = InviteMail->start("$dir/slow", delay_data => 3);
$r = send_invites(@common, '--url', $slow->url, '--timeout', 1000, 'alice@example.com', 'bob@example.com');
is($r->{error}, 'Error trying to send email: Timeout was reached [error-email-send-failed]',
   'slow relay (3 s before 250): timeout error') or diag($r->{out});
like($r->{detail} // '', qr/^no reply within \d+ ms \(curl 28: .*last reply 354\)$/,
     '... the detail says the reply to the data never came');
is($r->{count}, 0, '... nothing counted as sent');
cmp_ok($r->{elapsed}, '<', 1500, "... within timeout and slack ($r->{elapsed} ms)");
$slow->stop;

# --- the bound holds for the whole call, not each mail ---------------------
my $lagging = InviteMail->start("$dir/lagging", delay_data => 0.4);
$r = send_invites(@common, '--url', $lagging->url, '--timeout', 1000,
                  map { "u$_\@example.com" } 1 .. 5);
is($r->{error}, 'Error trying to send email: Timeout was reached [error-email-send-failed]',
   '0.4 s a mail, 5 mails, 1 s bound: timeout') or diag($r->{out});
ok($r->{count} >= 1 && $r->{count} <= 2, "... after the first mails ($r->{count})");
cmp_ok($r->{elapsed}, '<', 1500, "... the whole call within the bound ($r->{elapsed} ms)");
$lagging->stop;

# --- a refusing relay: the loop stops at the first failure ------------------
my $picky = InviteMail->start("$dir/picky", refuse_rcpt => '^b');
$r = send_invites(@common, '--url', $picky->url, 'a@example.com', 'b@example.com', 'c@example.com');
is($r->{error}, 'Error trying to send email: Failed sending data to the peer (relay reply 550)'
   . ' [error-email-send-failed]', 'recipient refused (550): upstream error') or diag($r->{out});
like($r->{detail} // '', qr/RCPT failed: 550/, '... the detail names the refused RCPT');
is_deeply($r->{sent}, ['a@example.com'], '... the address before it was sent');
is_deeply([map { @{ $_->{to} } } $picky->messages], ['a@example.com'], '... and none after it');
$picky->stop;

my $nodata = InviteMail->start("$dir/nodata", refuse_data => 1);
$r = send_invites(@common, '--url', $nodata->url, 'a@example.com');
like($r->{error} // '', qr/^Error trying to send email: .*\(relay reply 554\) \[error-email-send-failed\]$/,
     'message refused (554): upstream error') or diag($r->{out});
$nodata->stop;

done_testing();
