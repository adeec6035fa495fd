#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A local SMTP relay for the tests (t/lib/InviteMail.pm, t/mail.t).

Listens on a free loopback port (written to --port-file once it listens)
with aiosmtpd (Debian's python3-aiosmtpd) and writes each message it takes
to --dir: NNNNNN.env (the envelope, "MAIL FROM:<a>" then one
"RCPT TO:<b>" a line) and NNNNNN.eml (the data as received, CRLF line
ends, dot-unstuffed).  The .eml appears last, by rename.

Modes, to see the client give up in time:
  --delay-data S   wait S seconds before answering the end of DATA
  --refuse-rcpt RE 550 to each RCPT TO whose address matches RE
  --refuse-data    554 to every DATA
  --silent         accept connections and never say a word (no greeting)

A quick relay for the benchmark (bench/run.sh):
  --discard        keep no message: for each one taken, append one line
                   "FROM<tab>TO[,TO...]<tab>BYTES" to --dir/envelopes (flushed
                   before the 250, so a client that got it can look) instead
                   of the .env and .eml files, and answer without Nagle's
                   delay (TCP_NODELAY)
"""
import argparse
import asyncio
import os
import re
import signal
import socket
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, args):
        self.args = args
        self.count = 0
        self.envelopes = None
        if args.discard:
            self.envelopes = open(os.path.join(args.dir, 'envelopes'), 'a',
                                  encoding='utf-8', newline='')

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.args.refuse_rcpt and re.search(self.args.refuse_rcpt, address):
            return '550 5.1.1 <%s>: Recipient address rejected' % address
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        if self.args.delay_data:
            await asyncio.sleep(self.args.delay_data)
        if self.args.refuse_data:
            return '554 5.7.1 Message refused by the test relay'
        self.count += 1
        if self.envelopes:
            self.envelopes.write('%s\t%s\t%d\n' % (
                envelope.mail_from, ','.join(envelope.rcpt_tos),
                len(envelope.original_content)))
            self.envelopes.flush()
            return '250 2.0.0 Ok: discarded as %06d' % self.count
        base = os.path.join(self.args.dir, '%06d' % self.count)
        with open(base + '.env', 'w', encoding='utf-8', newline='') as f:
            f.write('MAIL FROM:<%s>\n' % envelope.mail_from)
            for rcpt in envelope.rcpt_tos:
                f.write('RCPT TO:<%s>\n' % rcpt)
        with open(base + '.tmp', 'wb') as f:
            f.write(envelope.original_content)
        os.rename(base + '.tmp', base + '.eml')
        return '250 2.0.0 Ok: queued as %06d' % self.count


async def main(args):
    loop = asyncio.get_running_loop()
    # --discard: IPPROTO_TCP, so that asyncio sets TCP_NODELAY on each
    # connection (it skips sockets of protocol 0); without it the lines of
    # the EHLO reply wait for the client's delayed ACK, some 40 ms a session.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM,
                         socket.IPPROTO_TCP if args.discard else 0)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('127.0.0.1', args.port))
    if args.silent:
        # Listening with a backlog: the kernel completes the handshake, no
        # one ever reads or writes.
        sock.listen(16)
        server = None
    else:
        sink = Sink(args)
        server = await loop.create_server(
            lambda: SMTP(sink, hostname='sink.test', decode_data=False,
                         data_size_limit=10 * 1024 * 1024),
            sock=sock)
    tmp = args.port_file + '.tmp'
    with open(tmp, 'w') as f:
        f.write('%d\n' % sock.getsockname()[1])
    os.rename(tmp, args.port_file)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    if server:
        server.close()
    sock.close()


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--dir', required=True)
    ap.add_argument('--port-file', required=True)
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--delay-data', type=float, default=0)
    ap.add_argument('--refuse-rcpt', default='')
    ap.add_argument('--refuse-data', action='store_true')
    ap.add_argument('--silent', action='store_true')
    ap.add_argument('--discard', action='store_true')
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    asyncio.run(main(a))
    sys.exit(0)
