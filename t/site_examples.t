# SPDX-License-Identifier: Apache-2.0
# The example sites work as shipped: conf/site-example.conf (plain HTTP on
# its own Listen port), conf/site-example-tls.conf (HTTPS, port 443,
# Debian's snakeoil certificate) and conf/site-rocketchat.conf (the same in
# front of a Rocket.Chat, here the fake of t/lib/fake-rocketchat.py: the
# invite routes answered by mod_invite, the rest proxied).  Each is started in a real httpd with
# only its port, its database path and its certificate rewritten (a
# self-signed certificate made here), on a SQLite database made from
# conf/schema-sqlite3.sql with one user, token and room; a
# findOrCreateInvite must answer 200, over HTTPS for the TLS site.  The
# wrapper configuration plays Debian's apache2.conf and ports.conf (which
# listens on 443 for mod_ssl); the module logs its version once at start.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use InviteTest ();
use FakeRocketChat;
use ReadmeBlock ();
use File::Temp qw(tempdir);
use Cwd qw(abs_path);
use DBI;
use LWP::UserAgent;
use HTTP::Request;
use JSON::PP;

plan tests => 2 * 11 + 4 + 16;

my $top = abs_path("$FindBin::Bin/..");
my $dir = tempdir(CLEANUP => 1);
my $mods = '/usr/lib/apache2/modules';
my ($uid, $token) = ('siteUser00000001', 'site-example-token');
my @running;
END { stop($_) for @running }

sub slurp { open my $fh, '<', $_[0] or die "$_[0]: $!"; local $/; <$fh> }
sub spew  { open my $fh, '>', $_[0] or die "$_[0]: $!"; print $fh $_[1]; close $fh }

# The schema and one admin with a login token, in GENERAL.
sub make_database {
    my ($file) = @_;
    my $dbh = DBI->connect("dbi:SQLite:dbname=$file", '', '',
                           { RaiseError => 1, AutoCommit => 1, PrintError => 0,
                             sqlite_allow_multiple_statements => 1 });
    $dbh->do(slurp("$top/conf/schema-sqlite3.sql"));
    $dbh->do("INSERT INTO rooms (id, t, name) VALUES ('GENERAL', 'c', 'general')");
    $dbh->do("INSERT INTO users (id, username) VALUES (?, 'site.admin')", undef, $uid);
    $dbh->do("INSERT INTO user_roles (user_id, role) VALUES (?, 'admin')", undef, $uid);
    $dbh->do('INSERT INTO login_tokens (user_id, hashed_token, created_at) VALUES (?, ?, ?)',
             undef, $uid, InviteTest::token_hash($token), int(time * 1000));
    $dbh->do("INSERT INTO subscriptions (user_id, rid) VALUES (?, 'GENERAL')", undef, $uid);
    $dbh->disconnect;
}

# A self-signed certificate for 127.0.0.1 (the snakeoil pair's stand-in).
sub make_certificate {
    my ($d) = @_;
    my $out = `openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout "$d/site.key" -out "$d/site.pem" 2>&1`;
    die "openssl: $out" if $?;
    return ("$d/site.pem", "$d/site.key");
}

sub stop {
    my ($h) = @_;
    InviteTest::stop_second_host($h) unless $h->{stopped}++;
}

# Starts httpd on the example `name`, rewritten by `rewrite` (a code ref
# returning how many substitutions it made per kind); `listen` is what the
# wrapper adds as ports.conf would.
sub site {
    my ($name, %o) = @_;
    my $d = "$dir/$name";
    mkdir $d or die "$d: $!";
    mkdir "$d/run" or die "$d/run: $!";
    make_database("$d/invite.db");
    my $port = InviteTest::free_port();
    my $text = slurp("$top/conf/$name.conf");
    my $n_db = $text =~ s{^(\s*DBDParams) /var/lib/mod-invite/invite\.db$}{$1 $d/invite.db}mg;
    my %n = (db => $n_db, $o{rewrite}->(\$text, $port, $d));
    spew("$d/site.conf", $text);
    my $listen = $o{listen} ? "Listen 127.0.0.1:$port $o{listen}" : '';
    my $modules = $o{modules} // '';
    spew("$d/httpd.conf", InviteTest::extra_host_conf($d) . <<CONF);
# Debian's default level: notices, such as the version line, still show.
LogLevel warn
LoadModule reqtimeout_module $mods/mod_reqtimeout.so
LoadModule socache_shmcb_module $mods/mod_socache_shmcb.so
$modules
LoadModule invite_module $top/.libs/mod_invite.so
# One child: a second one starting while the first writes could meet
# SQLite's lock as mod_dbd prepares (AH00632 at child init, retried).
StartServers 1
ThreadsPerChild 4
MaxRequestWorkers 4
MinSpareThreads 1
MaxSpareThreads 4
$listen
Include "$d/site.conf"
CONF
    my $httpd = InviteTest::httpd();
    my $t = `$httpd -t -f "$d/httpd.conf" 2>&1`;
    is($?, 0, "$name: apache2 -t accepts it") or diag($t);
    my $h = eval { InviteTest::start_extra_host($d, $port) };
    push @running, $h if $h;
    ok($h, "$name: httpd listens on the rewritten port $port")
        or diag($@, -e "$d/error_log" ? slurp("$d/error_log") : 'no error_log');
    $h ||= { dir => $d, port => $port, stopped => 1 };
    $h->{n} = \%n;
    return $h;
}

sub find_or_create {
    my ($url, %ssl) = @_;
    my $ua = LWP::UserAgent->new(keep_alive => 0, timeout => 20, %ssl);
    my $req = HTTP::Request->new(POST => "$url/api/v1/findOrCreateInvite",
        ['Content-Type' => 'application/json', 'X-User-Id' => $uid, 'X-Auth-Token' => $token],
        '{"rid":"GENERAL","days":7,"maxUses":5}');
    return $ua->request($req);
}

# httpd's own refusals answer JSON through the example's ErrorDocuments.
sub check_refusals {
    my ($name, $url, %ssl) = @_;
    my $ua = LWP::UserAgent->new(keep_alive => 0, timeout => 20, %ssl);
    for my $c (['removeInvite%2Fx', 404], ['x' x 9000, 414]) {
        my $res = $ua->get("$url/api/v1/$c->[0]");
        my $j = eval { decode_json($res->content) } || {};
        ok($res->code == $c->[1] && ($res->header('Content-Type') // '') =~ m{^application/json}
           && $j->{error}, "$name: httpd's $c->[1] in JSON") or diag($res->as_string);
    }
}

# What every example must answer, and what its error log must hold.
sub check_site {
    my ($name, $h, $res) = @_;
    is($res->code, 200, "$name: findOrCreateInvite answers 200") or diag($res->as_string);
    my $j = eval { decode_json($res->content) } || {};
    ok($j->{success} && $j->{rid} eq 'GENERAL' && $j->{days} == 7 && $j->{maxUses} == 5
       && length($j->{_id} // '') == 6, "$name: with the new invite");
    like($j->{url} // '', qr{^https://go\.rocket\.chat/invite\?host=chat\.example\.com&path=invite%2F\Q$j->{_id}\E$},
         "$name: its link points at InviteSiteUrl");
    stop($h);
    my $log = slurp("$h->{dir}/error_log");
    my $versions = () = $log =~ /INV00750: mod_invite \d+\.\d+\.\d+ \(jansson [^,]+, OpenSSL [^)]+\) configured/g;
    is($versions, 1, "$name: the module's version logged once at start-up");
    unlike($log, qr/\[(?:\w+:)?(?:error|crit|alert|emerg)\]/, "$name: no error logged") or diag($log);
}

# The README's quick start, line for line, on the plain example site: only
# invitectl's path (the tree's build), the database path and the port are
# rewritten, and runuser dropped (the test runs as the server's user).
sub quick_start {
    my ($h) = @_;
    my $block = ReadmeBlock::block($top, 'quick start');
    my $found = $block && $block =~ /\binvitectl\b/ && $block =~ /\bcurl\b/;
    ok($found, 'README: the quick start block is there');
    unless ($found) { fail('quick start: no block') for 1 .. 3; return; }
    my $n = ($block =~ s{runuser -u www-data -- invitectl}{$top/build/invitectl}g)
          + ($block =~ s{/var/lib/mod-invite/invite\.db}{$h->{dir}/invite.db}g)
          + ($block =~ s{127\.0\.0\.1:8080}{127.0.0.1:$h->{port}}g);
    is($n, 3, 'quick start: invitectl, the database and the port rewritten once each');
    spew("$dir/quick-start.sh", "set -e\n$block\necho\necho \"rid=\$rid\"\n");
    my $out = `bash "$dir/quick-start.sh" 2>&1`;
    is($?, 0, 'quick start: every line succeeds') or diag($out);
    my ($json, $rid) = $out =~ /^(\{.*\})\nrid=(\w+)$/ms;
    my $j = eval { decode_json($json // '') } || {};
    ok($j->{success} && $j->{rid} eq ($rid // '-') && $j->{days} == 7 && $j->{maxUses} == 5
       && length($j->{_id} // '') == 6, 'quick start: curl gets the new invite of the new room')
        or diag($out);
}

# 1. Plain HTTP: its own Listen and virtual host port.
my $plain = site('site-example', rewrite => sub {
    my ($text, $port) = @_;
    my $l = $$text =~ s/^Listen 8080$/Listen 127.0.0.1:$port/m;
    my $v = $$text =~ s/<VirtualHost \*:8080>/<VirtualHost *:$port>/;
    return (listen => $l, vhost => $v);
});
my $n = $plain->{n};
ok($n->{listen} == 1 && $n->{vhost} == 1 && $n->{db} == 1,
   'site-example: Listen 8080, <VirtualHost *:8080> and the /var/lib/mod-invite database, once each');
ok(1, 'site-example: (no certificate)');
quick_start($plain);
check_refusals('site-example', "http://127.0.0.1:$plain->{port}");
check_site('site-example', $plain, find_or_create("http://127.0.0.1:$plain->{port}"));

# 2. HTTPS on 443 with the snakeoil pair, listened on as Debian's
# ports.conf does once mod_ssl is enabled.
my ($cert, $key);
my $tls = site('site-example-tls', listen => 'https',
    modules => "LoadModule ssl_module $mods/mod_ssl.so",
    rewrite => sub {
        my ($text, $port, $d) = @_;
        ($cert, $key) = make_certificate($d);
        my $v = $$text =~ s/<VirtualHost \*:443>/<VirtualHost *:$port>/;
        my $c = $$text =~ s{^(\s*SSLCertificateFile) /etc/ssl/certs/ssl-cert-snakeoil\.pem$}{$1 $cert}m;
        my $k = $$text =~ s{^(\s*SSLCertificateKeyFile) /etc/ssl/private/ssl-cert-snakeoil\.key$}{$1 $key}m;
        return (vhost => $v, cert => $c, key => $k, engine => scalar($$text =~ /^\s*SSLEngine on$/m));
    });
$n = $tls->{n};
ok($n->{vhost} == 1 && $n->{db} == 1 && $n->{engine},
   'site-example-tls: <VirtualHost *:443>, SSLEngine on and the /var/lib/mod-invite database');
ok($n->{cert} == 1 && $n->{key} == 1, "site-example-tls: Debian's snakeoil certificate and key");
check_refusals('site-example-tls', "https://127.0.0.1:$tls->{port}",
               ssl_opts => { SSL_ca_file => $cert, verify_hostname => 1 });
check_site('site-example-tls', $tls,
    find_or_create("https://127.0.0.1:$tls->{port}",
                   ssl_opts => { SSL_ca_file => $cert, verify_hostname => 1 }));

# 3. In front of Rocket.Chat: HTTPS as above, Rocket.Chat on
# 127.0.0.1:3000 replaced by the fake.
my $rc = FakeRocketChat->start("$dir/fake-rocketchat", user_id => 'botUserId', token => 'bot-token',
                               rooms => { GENERAL => 'c' });
my $front = site('site-rocketchat', listen => 'https',
    modules => join("\n", map { "LoadModule ${_}_module $mods/mod_$_.so" }
                               qw(ssl proxy proxy_http proxy_wstunnel rewrite headers)),
    rewrite => sub {
        my ($text, $port, $d) = @_;
        my $v = $$text =~ s/<VirtualHost \*:443>/<VirtualHost *:$port>/;
        my $c = $$text =~ s{^(\s*SSLCertificateFile) /etc/ssl/certs/ssl-cert-snakeoil\.pem$}{$1 $cert}m;
        my $k = $$text =~ s{^(\s*SSLCertificateKeyFile) /etc/ssl/private/ssl-cert-snakeoil\.key$}{$1 $key}m;
        my $b = $$text =~ s{(ws|http)://127\.0\.0\.1:3000/}{"$1://127.0.0.1:" . $rc->port . '/'}ge;
        return (vhost => $v, cert => $c, key => $k, backend => $b);
    });
$n = $front->{n};
ok($n->{vhost} == 1 && $n->{db} == 1 && $n->{cert} == 1 && $n->{key} == 1,
   'site-rocketchat: <VirtualHost *:443>, the snakeoil pair and the /var/lib/mod-invite database, once each');
is($n->{backend}, 3, 'site-rocketchat: Rocket.Chat at 127.0.0.1:3000 three times (websocket, ProxyPass, ProxyPassReverse)');
my %ssl = (ssl_opts => { SSL_ca_file => $cert, verify_hostname => 1 });
my $front_url = "https://127.0.0.1:$front->{port}";
my $ua = LWP::UserAgent->new(keep_alive => 0, timeout => 20, %ssl);
# Everything but the invite routes reaches Rocket.Chat.
my $res = $ua->post("$front_url/api/v1/channels.invite", 'Content-Type' => 'application/json',
                    'X-User-Id' => 'botUserId', 'X-Auth-Token' => 'bot-token',
                    Content => '{"roomId":"GENERAL","userId":"u1"}');
my $j = eval { decode_json($res->content) } || {};
ok($res->code == 200 && $j->{success} && ($j->{channel}{_id} // '') eq 'GENERAL',
   'site-rocketchat: channels.invite is proxied to Rocket.Chat and answered by it') or diag($res->as_string);
$res = $ua->get("$front_url/api/info");
is($res->code . ' ' . $res->content, '404 {"success":false,"error":"Not found"}',
   "site-rocketchat: any other path too (the fake's 404)");
$res = $ua->post("$front_url/api/v1/validateInviteToken", 'Content-Type' => 'application/json',
                 Content => '{"token":"none"}');
is($res->code . ' ' . $res->content, '200 {"valid":false,"success":true}',
   'site-rocketchat: validateInviteToken is answered by mod_invite');
$res = $ua->delete("$front_url/api/v1/removeInvite/abcdef");
is($res->code . ' ' . ($res->header('Content-Type') // ''), '401 application/json',
   'site-rocketchat: DELETE removeInvite/:_id is mod_invite\'s (401 without a login)') or diag($res->as_string);
check_refusals('site-rocketchat', $front_url, %ssl);
check_site('site-rocketchat', $front, find_or_create($front_url, %ssl));
is_deeply([map { "$_->{route} $_->{status}" } $rc->calls], ['channels.invite 200'],
          'site-rocketchat: Rocket.Chat saw only the proxied call, none of the invite routes');
$rc->stop;
