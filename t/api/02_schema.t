# SPDX-License-Identifier: Apache-2.0
# Body schema and coercion (docs/api.md#body-parsing, #find-body-schema):
# ajv's messages, first error only, coerced values reaching the business
# checks, Content-Type rules.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use InviteTest;

plan tests => 52;

my $P = '/api/v1/findOrCreateInvite';
reset_invites();

sub params_error {
    my ($body, $message, $name, %o) = @_;
    my $res = api_post($P, $body, user => 'admin', %o);
    is($res->code, 400, "$name: 400");
    is($res->content,
       qq({"success":false,"errorType":"invalid-params","error":"$message"}),
       "$name: $message");
}

params_error('{not json', "must have required property 'rid'", 'malformed JSON is {}');
params_error('', "must have required property 'rid'", 'empty body');
params_error('[{"rid":"GENERAL"}]', 'must be object', 'array body');
# The router spreads a parsed non-array value into an object ({...x}).
params_error('"GENERAL"', "must have required property 'rid'", 'string body');
params_error('{"days":1,"maxUses":0}', "must have required property 'rid'", 'missing rid');
params_error('{"rid":"GENERAL","maxUses":0}', "must have required property 'days'", 'missing days');
params_error('{"rid":"GENERAL","days":1,"maxUses":0,"extra":1}',
             'must NOT have additional properties', 'extra property');
params_error('{"days":"x","maxUses":0,"extra":1}', "must have required property 'rid'",
             'required is checked before additional properties');
params_error('{"rid":"GENERAL","days":"x","maxUses":0,"extra":1}',
             'must NOT have additional properties',
             'additional properties before property types');
params_error('{"rid":["GENERAL"],"days":1,"maxUses":0}', 'must be string', 'rid array');
params_error('{"rid":{"a":1},"days":1,"maxUses":0}', 'must be string', 'rid object');
params_error('{"rid":"GENERAL","days":1.5,"maxUses":0}', 'must be integer', 'days 1.5');
params_error('{"rid":"GENERAL","days":"7.5","maxUses":0}', 'must be integer', 'days "7.5"');
params_error('{"rid":"GENERAL","days":"","maxUses":0}', 'must be integer', 'days ""');
params_error('{"rid":"GENERAL","days":"abc","maxUses":0}', 'must be integer', 'days "abc"');
params_error('{"rid":"GENERAL","days":1,"maxUses":[1]}', 'must be integer', 'maxUses array');
params_error('{"rid":"GENERAL","days":"x","maxUses":"y"}', 'must be integer',
             'only the first error is reported');
params_error('{"rid":"GENERAL","days":1,"maxUses":0}', "must have required property 'rid'",
             'JSON without a JSON content type is not parsed', type => 'text/plain');

# Coercion: the coerced values reach the business checks and the response.
sub created {
    my ($body, $name, %o) = @_;
    my $res = api_post($P, $body, user => 'admin', %o);
    is($res->code, 200, "$name: 200") or diag($res->content);
    return json_of($res) || {};
}
my $inv = created('{"rid":"GENERAL","days":"7","maxUses":"5"}', 'days "7"');
is($inv->{days}, 7, 'days "7" becomes 7');
is($inv->{maxUses}, 5, 'maxUses "5" becomes 5');
$inv = created('{"rid":"GENERAL","days":"7.0","maxUses":5.0}', 'days "7.0", maxUses 5.0');
is($inv->{days}, 7, '"7.0" is 7');
$inv = created('{"rid":"GENERAL","days":null,"maxUses":null}', 'null days and maxUses');
is($inv->{days}, 0, 'null days is 0');
is($inv->{maxUses}, 0, 'null maxUses is 0');
ok(!defined $inv->{expires} && $inv->{_id}, 'days 0 never expires');
$inv = created('{"rid":"GENERAL","days":true,"maxUses":false}', 'booleans');
is($inv->{days}, 1, 'true is 1');
is($inv->{maxUses}, 0, 'false is 0');
$inv = created('rid=GENERAL&days=15&maxUses=25', 'form body',
               type => 'application/x-www-form-urlencoded');
is($inv->{days}, 15, 'form days coerced');
$inv = created('{"rid":"GENERAL","days":30,"maxUses":100}', 'charset parameter',
               type => 'application/json; charset=utf-8');
is($inv->{maxUses}, 100, 'JSON with charset parsed');
