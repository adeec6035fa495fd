// SPDX-License-Identifier: Apache-2.0
// The whole invite lifecycle, driven through Rocket.Chat's own REST client
// (@rocket.chat/api-client, installed by ./install.sh) against a running
// mod_invite server.  Prints TAP; exits 1 if any step fails.
//
// Environment:
//   INVITE_API_URL        server root, e.g. http://127.0.0.1:8080 (the
//                         client adds /api, endpoints add /v1/...)
//   INVITE_ADMIN_ID       an admin subscribed to the room, and its
//   INVITE_ADMIN_TOKEN    login token
//   INVITE_JOINER_ID      a user who is not in the room yet, and its
//   INVITE_JOINER_TOKEN   login token
//   INVITE_RID            the room (default GENERAL)
import assert from 'node:assert/strict';
import { File } from 'node:buffer';
import { RestClient } from '@rocket.chat/api-client';

// The client tests `instanceof File` on every POST; Node 18 has no global File.
globalThis.File ??= File;

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === '') {
    console.error(`lifecycle.mjs: set ${name}`);
    process.exit(2);
  }
  return v;
};
const baseUrl = env('INVITE_API_URL').replace(/\/+$/, '');
const rid = env('INVITE_RID', 'GENERAL');
const client = (id, token) =>
  new RestClient({ baseUrl, credentials: id && { 'X-User-Id': id, 'X-Auth-Token': token } });
const admin = client(env('INVITE_ADMIN_ID'), env('INVITE_ADMIN_TOKEN'));
const joiner = client(env('INVITE_JOINER_ID'), env('INVITE_JOINER_TOKEN'));
const anonymous = client();

// No call may hang the test.
const opts = () => ({ signal: AbortSignal.timeout(15000) });

// The client rejects with the fetch Response for any status but 2xx.
const isResponse = (e) => typeof Response === 'function' && e instanceof Response;
async function answer(response) {
  const text = await response.text();
  let body;
  try { body = JSON.parse(text); } catch { body = text; }
  return { status: response.status, body };
}
async function rejection(promise) {
  try {
    return { resolved: await promise };
  } catch (e) {
    if (isResponse(e)) return answer(e);
    throw e;
  }
}

const steps = [];
const step = (name, fn) => steps.push({ name, fn });
let invite;          // the first findOrCreateInvite answer
const body = { rid, days: 1, maxUses: 10 };
const inviteId = () => {
  assert.ok(invite && typeof invite._id === 'string', 'no invite from step 1');
  return invite._id;
};

step(`findOrCreateInvite as admin for ${rid} {days:1,maxUses:10}`, async () => {
  const r = await admin.post('/v1/findOrCreateInvite', body, opts());
  assert.equal(r.success, true);
  assert.equal(r.days, 1);
  assert.equal(r.maxUses, 10);
  assert.equal(r.rid, rid);
  assert.match(r._id, /^\S+$/);
  assert.equal(typeof r.url, 'string');
  assert.ok(r.url.includes(r._id), `url ${r.url} names the invite`);
  invite = r;
});

step('the same call again returns the same invite', async () => {
  const r = await admin.post('/v1/findOrCreateInvite', body, opts());
  assert.equal(r.success, true);
  assert.equal(r._id, inviteId());
});

step('validateInviteToken with the invite _id: valid', async () => {
  const r = await joiner.post('/v1/validateInviteToken', { token: inviteId() }, opts());
  assert.deepEqual(r, { valid: true, success: true });
});

step('validateInviteToken "invalid", without credentials: not valid', async () => {
  const r = await anonymous.post('/v1/validateInviteToken', { token: 'invalid' }, opts());
  assert.deepEqual(r, { valid: false, success: true });
});

step(`useInviteToken as a user not in ${rid}: joins ${rid}`, async () => {
  const r = await joiner.post('/v1/useInviteToken', { token: inviteId() }, opts());
  assert.equal(r.success, true);
  assert.equal(r.room?.rid, rid);
});

step('listInvites as admin: the invite first, used once', async () => {
  const r = await admin.get('/v1/listInvites', undefined, opts());
  assert.ok(Array.isArray(r), `a bare array, got ${JSON.stringify(r)}`);
  assert.equal(r[0]?._id, inviteId());
  assert.equal(r[0].uses, 1);
});

step('removeInvite/<_id> as admin: true', async () => {
  const r = await admin.delete(`/v1/removeInvite/${inviteId()}`, undefined, opts());
  assert.equal(r, true);
});

step('removeInvite/<_id> again: 400 invalid-invitation-id', async () => {
  const r = await rejection(admin.delete(`/v1/removeInvite/${inviteId()}`, undefined, opts()));
  assert.equal(r.status, 400, `rejected with 400, got ${JSON.stringify(r)}`);
  assert.equal(r.body.success, false);
  assert.equal(r.body.errorType, 'invalid-invitation-id');
});

step('findOrCreateInvite without credentials: 401', async () => {
  const r = await rejection(anonymous.post('/v1/findOrCreateInvite', body, opts()));
  assert.equal(r.status, 401, `rejected with 401, got ${JSON.stringify(r)}`);
  assert.equal(r.body.success, false);
  assert.equal(r.body.status, 'error');
  assert.equal(typeof r.body.message, 'string');
});

console.log(`1..${steps.length}`);
let failed = 0;
for (const [i, { name, fn }] of steps.entries()) {
  try {
    await fn();
    console.log(`ok ${i + 1} - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok ${i + 1} - ${name}`);
    const why = isResponse(e) ? `rejected: ${JSON.stringify(await answer(e))}` : String(e?.message ?? e);
    for (const line of why.split('\n')) if (line !== '') console.log(`# ${line}`);
  }
}
console.log(`# ${steps.length - failed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
