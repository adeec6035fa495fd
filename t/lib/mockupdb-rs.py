#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A scripted replica-set member on python3-mockupdb, for invite-sync's
smoke test (t/sync_once.t): enough of MongoDB's wire protocol for
libmongoc to connect, open a database change stream and read collections.

  --data FILE     Extended JSON {"users": [...], "rocketchat_room": [...],
                  ...}: what `find` answers per collection (whole documents:
                  projections are recorded, not applied)
  --events FILE   Extended JSON [event, ...]: delivered, each with a fresh
                  resume token as _id, by the first getMore of a stream
                  opened with startAfter / resumeAfter (a resumed stream)
  --set-name S    hello's setName (rs0); "" answers as a standalone server
  --history-lost  a stream opened with startAfter / resumeAfter fails with
                  286 ChangeStreamHistoryLost
  --log FILE      one JSON line per command: {"cmd", "db", "doc"}
  --port N        listen on 127.0.0.1:N (default: a free port)
  --port-file F   the port, once listening

Resume tokens are {"_data": "82" + 16 hex digits} of a counter that grows
with each batch.  SIGTERM stops it.
"""
import argparse
import json
import os
import signal
import sys
import threading
import time

from bson import json_util, Int64
from mockupdb import MockupDB


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data')
    ap.add_argument('--events')
    ap.add_argument('--set-name', default='rs0')
    ap.add_argument('--history-lost', action='store_true')
    ap.add_argument('--log')
    ap.add_argument('--port', type=int)
    ap.add_argument('--port-file', required=True)
    args = ap.parse_args()

    data = {}
    if args.data:
        with open(args.data) as f:
            data = json_util.loads(f.read())
    events = []
    if args.events:
        with open(args.events) as f:
            events = json_util.loads(f.read())
    log = open(args.log, 'a') if args.log else None
    lock = threading.Lock()
    state = {'token': 1, 'cursor': 100, 'resumed': set()}

    def token():
        with lock:
            state['token'] += 1
            return {'_data': '82%016X' % state['token']}

    server = MockupDB(port=args.port, auto_ismaster=False, verbose=False)
    host = None

    def record(req):
        if log:
            doc = json.loads(json_util.dumps(req.doc))
            with lock:
                log.write(json.dumps({'cmd': req.command_name, 'db': req.namespace,
                                      'doc': doc}, sort_keys=True) + '\n')
                log.flush()

    def handle(req):
        name = (req.command_name or '').lower()
        doc = req.doc
        record(req)
        if name in ('ismaster', 'hello'):
            reply = {'ok': 1, 'ismaster': True, 'isWritablePrimary': True,
                     'minWireVersion': 0, 'maxWireVersion': 17,
                     'maxBsonObjectSize': 16777216, 'maxMessageSizeBytes': 48000000,
                     'maxWriteBatchSize': 100000, 'logicalSessionTimeoutMinutes': 30,
                     'localTime': None}
            del reply['localTime']
            if args.set_name:
                reply.update(setName=args.set_name, hosts=[host], me=host,
                             primary=host, setVersion=1)
            return req.reply(reply)
        if name in ('ping', 'endsessions', 'buildinfo'):
            return req.reply({'ok': 1})
        if name == 'aggregate':
            stage = (doc.get('pipeline') or [{}])[0].get('$changeStream')
            if stage is None:
                return req.reply({'ok': 0, 'errmsg': 'aggregate without $changeStream',
                                  'code': 2})
            resumed = 'startAfter' in stage or 'resumeAfter' in stage
            if resumed and args.history_lost:
                return req.reply({'ok': 0, 'code': 286, 'codeName': 'ChangeStreamHistoryLost',
                                  'errmsg': 'Resume of change stream was not possible, as '
                                            'the resume point may no longer be in the oplog.'})
            with lock:
                state['cursor'] += 1
                cid = state['cursor']
                if resumed:
                    state['resumed'].add(cid)
            return req.reply({'ok': 1, 'cursor': {
                'id': Int64(cid), 'ns': '%s.$cmd.aggregate' % req.namespace,
                'firstBatch': [], 'postBatchResumeToken': token()}})
        if name == 'getmore':
            cid = int(doc['getMore'])
            batch = []
            with lock:
                if cid in state['resumed'] and events:
                    batch = list(events)
                    events.clear()
            if not batch:
                # As mongod: an empty getMore waits maxTimeMS (awaitData).
                time.sleep(min(int(doc.get('maxTimeMS', 0)), 1000) / 1000.0)
            for ev in batch:
                ev['_id'] = token()
            return req.reply({'ok': 1, 'cursor': {
                'id': Int64(cid), 'ns': '%s.%s' % (req.namespace, doc.get('collection')),
                'nextBatch': batch, 'postBatchResumeToken': token()}})
        if name == 'find':
            coll = doc['find']
            return req.reply({'ok': 1, 'cursor': {
                'id': Int64(0), 'ns': '%s.%s' % (req.namespace, coll),
                'firstBatch': list(data.get(coll, []))}})
        if name == 'killcursors':
            return req.reply({'ok': 1, 'cursorsKilled': list(doc.get('cursors', []))})
        return req.reply({'ok': 0, 'code': 59, 'codeName': 'CommandNotFound',
                          'errmsg': 'no such command: %s' % name})

    server.autoresponds(handle)
    port = server.run()
    host = '127.0.0.1:%d' % port
    tmp = args.port_file + '.tmp'
    with open(tmp, 'w') as f:
        f.write('%d\n' % port)
    os.rename(tmp, args.port_file)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    stop.wait()
    server.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
