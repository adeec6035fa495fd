#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A fake Rocket.Chat REST server for the join outbox (t/lib/FakeRocketChat.pm).

It answers the two routes invite-sync delivers joins through, as
Rocket.Chat does (docs/rocketchat.md, "The bot account"):

  POST /api/v1/channels.invite   public rooms (t = c)
  POST /api/v1/groups.invite     private rooms (t = p)

with the body {"roomId": RID, "userId": UID} (roomName, username, userIds
and usernames are taken too), authenticated by the headers X-User-Id and
X-Auth-Token (--user-id, --token).  A user already in the room counts as a
success, as in Rocket.Chat (addUsersToRoomMethod only tells the caller so
in an ephemeral message).  One JSON line per call to those routes is
appended to --log: {"route", "roomId", "userId", "status", "result",
"at"} (result: added, already-member, or the errorType / "unauthorized" /
"injected").

The room table (--room RID=TYPE[:NAME], or POST /_fake/state) gives each
room its type: channels.invite on a private room, or groups.invite on a
public one, fails as in Rocket.Chat (error-room-not-found), and so does an
unknown room.  Without --user entries every userId is a known user (its
username is its id); with them, only those.

Test controls (no authentication):
  POST /_fake/fail  {"count": N, "status": 500|429|503|"close", "delay": S}
                    the next N calls to the routes fail so (after S s);
                    "close" closes the connection without an answer
  POST /_fake/state {"rooms": {RID: "c"|"p" | {"t", "name"}},
                     "users": {UID: USERNAME}, "members": {RID: [UID]},
                     "banned": {RID: [UID]}, "denied": ["c", "p"],
                     "forbidden_status": 400|403}
                    merges into the state (denied: room types the bot may
                    not add to: error-not-allowed, 400 as up to 8.x, or 403
                    error-forbidden as 9.0 answers)
  GET  /_fake/calls the log, as a JSON array
  GET  /_fake/members?roomId=RID   the members of a room, as a JSON array
  POST /_fake/reset clears the log, the members and the failures

Listens on 127.0.0.1:--port (0: a free port); the port is written to
--port-file once it listens.  SIGTERM or SIGINT stops it.
"""
import argparse
import json
import os
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UNAUTHORIZED = 'You must be logged in to do this.'


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.args = args
        self.rooms = {}
        self.users = {}
        self.members = {}
        self.banned = {}
        self.denied = set()
        self.forbidden_status = 400
        self.fail_count = 0
        self.fail_status = 500
        self.fail_delay = 0.0
        self.calls = []
        for spec in args.room:
            rid, _, rest = spec.partition('=')
            t, _, name = rest.partition(':')
            self.rooms[rid] = {'t': t or 'c', 'name': name or rid}
        for spec in args.user:
            uid, _, name = spec.partition('=')
            self.users[uid] = name or uid
        self.log = open(args.log, 'a', encoding='utf-8') if args.log else None

    def record(self, entry):
        entry['at'] = int(time.time() * 1000)
        with self.lock:
            self.calls.append(entry)
            if self.log:
                self.log.write(json.dumps(entry, sort_keys=True) + '\n')
                self.log.flush()

    def merge(self, body):
        with self.lock:
            for rid, r in (body.get('rooms') or {}).items():
                if isinstance(r, str):
                    r = {'t': r}
                self.rooms[rid] = {'t': r.get('t', 'c'), 'name': r.get('name', rid)}
            self.users.update(body.get('users') or {})
            for rid, uids in (body.get('members') or {}).items():
                self.members.setdefault(rid, set()).update(uids)
            for rid, uids in (body.get('banned') or {}).items():
                self.banned.setdefault(rid, set()).update(uids)
            if 'denied' in body:
                self.denied = set(body['denied'] or [])
            if 'forbidden_status' in body:
                self.forbidden_status = int(body['forbidden_status'])

    def take_failure(self):
        with self.lock:
            if self.fail_count <= 0:
                return None
            self.fail_count -= 1
            return (self.fail_status, self.fail_delay)


def meteor_error(error, reason, details=None):
    """Rocket.Chat's 400 body for a Meteor.Error (ApiClass failure)."""
    body = {'success': False, 'error': '%s [%s]' % (reason, error) if reason else '[%s]' % error,
            'errorType': error}
    if details:
        body['details'] = details
    return body


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def version_string(self):
        return 'fake-rocketchat'

    def log_message(self, fmt, *a):
        if self.server.state.args.verbose:
            sys.stderr.write('fake-rocketchat: ' + (fmt % a) + '\n')

    def send_json(self, status, body, headers=()):
        data = json.dumps(body, separators=(',', ':')).encode('utf-8')
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Cache-Control', 'no-store')
        self.send_header('Pragma', 'no-cache')
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        n = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(n) if n > 0 else b''
        ctype = (self.headers.get('Content-Type') or '').lower()
        if 'application/json' in ctype:
            try:
                body = json.loads(raw.decode('utf-8') or '{}')
            except ValueError:
                body = {}
        elif 'application/x-www-form-urlencoded' in ctype:
            body = {k: v[-1] for k, v in urllib.parse.parse_qs(raw.decode('utf-8', 'replace')).items()}
        else:
            body = {}
        return body if isinstance(body, dict) else {}

    # ---- test controls ------------------------------------------------
    def do_GET(self):
        st = self.server.state
        url = urllib.parse.urlsplit(self.path)
        if url.path == '/_fake/calls':
            with st.lock:
                calls = list(st.calls)
            return self.send_json(200, calls)
        if url.path == '/_fake/members':
            rid = urllib.parse.parse_qs(url.query).get('roomId', [''])[0]
            with st.lock:
                return self.send_json(200, sorted(st.members.get(rid, ())))
        return self.send_json(404, {'success': False, 'error': 'Not found'})

    def do_POST(self):
        st = self.server.state
        path = urllib.parse.urlsplit(self.path).path
        body = self.read_body()
        if path == '/_fake/fail':
            with st.lock:
                st.fail_count = int(body.get('count', 1))
                st.fail_status = body.get('status', 500)
                st.fail_delay = float(body.get('delay', 0))
            return self.send_json(200, {'success': True})
        if path == '/_fake/state':
            st.merge(body)
            return self.send_json(200, {'success': True})
        if path == '/_fake/reset':
            with st.lock:
                st.calls = []
                st.members = {}
                st.fail_count = 0
            return self.send_json(200, {'success': True})
        if path in ('/api/v1/channels.invite', '/api/v1/groups.invite'):
            return self.invite(path[len('/api/v1/'):], body)
        return self.send_json(404, {'success': False, 'error': 'Not found'})

    # ---- the routes ---------------------------------------------------
    def invite(self, route, body):
        st = self.server.state
        entry = {'route': route, 'roomId': body.get('roomId') or body.get('roomName'),
                 'userId': body.get('userId') or body.get('username')}
        failure = st.take_failure()
        if failure:
            status, delay = failure
            if delay:
                time.sleep(delay)
            entry.update(status=0 if status == 'close' else int(status), result='injected')
            st.record(entry)
            if status == 'close':
                self.close_connection = True
                return
            status = int(status)
            if status == 429:
                return self.send_json(429, {'success': False, 'error':
                    'Error, too many requests. Please slow down. You must wait 60 seconds '
                    'before trying this endpoint again. [error-too-many-requests]'},
                    headers=[('X-RateLimit-Limit', '10'), ('X-RateLimit-Remaining', '0'),
                             ('X-RateLimit-Reset', str(int(time.time() * 1000) + 60000))])
            return self.send_json(status, {'success': False, 'error': 'injected failure'})

        status, answer, result = self.answer(route, body)
        entry.update(status=status, result=result)
        st.record(entry)
        self.send_json(status, answer)

    def answer(self, route, body):
        st = self.server.state
        args = st.args
        uid = self.headers.get('X-User-Id') or ''
        tok = self.headers.get('X-Auth-Token') or ''
        if not uid or not tok or (args.user_id and uid != args.user_id) or \
                (args.token and tok != args.token):
            return 401, {'success': False, 'error': UNAUTHORIZED, 'status': 'error',
                         'message': UNAUTHORIZED}, 'unauthorized'

        with st.lock:
            kind = 'channel' if route == 'channels.invite' else 'group'
            want = ('c',) if kind == 'channel' else ('p',)
            room_id = body.get('roomId') or ''
            room_name = body.get('roomName') or ''
            if kind == 'group' and not (room_id or room_name).strip():
                return 400, meteor_error('error-room-param-not-provided',
                                         'The parameter "roomId" or "roomName" is required'), \
                    'error-room-param-not-provided'
            rid = None
            if room_id:
                rid = room_id if room_id in st.rooms else None
            elif room_name:
                rid = next((r for r, v in st.rooms.items() if v['name'] == room_name), None)
            room = st.rooms.get(rid) if rid else None
            if not room or room['t'] not in want:
                return 400, meteor_error(
                    'error-room-not-found',
                    'The required "roomId" or "roomName" param provided does not match any %s' % kind), \
                    'error-room-not-found'

            # getUserListFromParams: the ids (or usernames) asked for.
            ids = list(body.get('userIds') or body.get('usernames') or [])
            sole = body.get('userId') or body.get('username') or body.get('user')
            if sole:
                ids.append(sole)
            ids = list(dict.fromkeys(i for i in ids if i))
            if not ids:
                return 400, meteor_error(
                    'error-users-params-not-provided',
                    'Please provide "userId" or "username" or "userIds" or "usernames" as param'), \
                    'error-users-params-not-provided'
            by_id = body.get('userIds') or body.get('userId')
            if st.users:
                if by_id:
                    users = [i for i in ids if i in st.users]
                else:
                    names = {n.lower(): u for u, n in st.users.items()}
                    users = [names[i.lower()] for i in ids if i.lower() in names]
            else:
                users = ids
            if not users:
                if kind == 'channel':
                    # API.v1.failure('invalid-user-invite-list', 'Cannot invite ...'):
                    # the message as error, the code as errorType (sic).
                    return 400, {'success': False, 'error': 'invalid-user-invite-list',
                                 'errorType': 'Cannot invite if no users are provided'}, \
                        'invalid-user-invite-list'
                return 400, meteor_error('error-empty-invite-list',
                                         'Cannot invite if no valid users are provided'), \
                    'error-empty-invite-list'

            # addUsersToRoomMethod: the bot's permission for the room's type.
            if room['t'] in st.denied:
                if st.forbidden_status == 403:
                    return 403, {'success': False, 'error': 'Not allowed [error-not-allowed]',
                                 'errorType': 'error-forbidden'}, 'error-forbidden'
                return 400, meteor_error('error-not-allowed', 'Not allowed',
                                         {'method': 'addUsersToRoom'}), 'error-not-allowed'
            members = st.members.setdefault(rid, set())
            banned = st.banned.get(rid, set())
            if any(u in banned for u in users):
                return 400, meteor_error('error-user-is-banned', 'User is banned from this room',
                                         {'method': 'addUsersToRoom'}), 'error-user-is-banned'
            result = 'already-member' if all(u in members for u in users) else 'added'
            members.update(users)
            info = {'_id': rid, 'fname': room['name'], 'name': room['name'], 't': room['t'],
                    'usersCount': len(members), 'ro': False, 'default': False,
                    '_updatedAt': time.strftime('%Y-%m-%dT%H:%M:%S.000Z', time.gmtime())}
            return 200, {kind: info, 'success': True}, result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--port-file')
    ap.add_argument('--log')
    ap.add_argument('--user-id', default='', help="the bot's user id (any if empty)")
    ap.add_argument('--token', default='', help="the bot's token (any if empty)")
    ap.add_argument('--room', action='append', default=[], metavar='RID=TYPE[:NAME]')
    ap.add_argument('--user', action='append', default=[], metavar='UID[=USERNAME]')
    ap.add_argument('--verbose', action='store_true')
    args = ap.parse_args()

    server = ThreadingHTTPServer(('127.0.0.1', args.port), Handler)
    server.daemon_threads = True
    server.state = State(args)
    if args.port_file:
        tmp = args.port_file + '.tmp'
        with open(tmp, 'w') as f:
            f.write('%d\n' % server.server_address[1])
        os.rename(tmp, args.port_file)

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()
    server.server_close()


if __name__ == '__main__':
    main()
