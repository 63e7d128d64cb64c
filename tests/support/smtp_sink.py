#!/usr/bin/python3
"""A throwaway SMTP server for contactsync's mail tests (Debian python3-aiosmtpd).

Every message it accepts is stored in OUTDIR as NNNNNN.json, parsed by
Python's own email package (so the tests check messages with an independent
parser): envelope, every header as received (raw) and decoded, parse defects,
and the decoded text and HTML parts. A file is written to a temporary name and
renamed, so a reader never sees half a message.

Options make it misbehave on purpose:
  --exit-after N        accept N messages, then exit at once (a server that
                        goes away halfway; nothing accepted is lost)
  --die-after-store N   on the Nth message: store it, then exit without
                        answering (delivery uncertain for the sender)
  --smtputf8            offer SMTPUTF8
  --auth USER:PASSWORD  require this login (plain-text auth allowed, for tests)
  --tls CERT:KEY        implicit TLS;  --starttls CERT:KEY  offer STARTTLS

It prints "READY <port>" on stdout once listening on 127.0.0.1.
"""

import argparse
import asyncio
import email
import email.policy
from email.header import decode_header, make_header
import json
import os
import re
import signal
import socket
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, SMTP


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("outdir")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--exit-after", type=int, default=0)
    p.add_argument("--die-after-store", type=int, default=0)
    p.add_argument("--smtputf8", action="store_true")
    p.add_argument("--auth", default="")
    p.add_argument("--tls", default="")
    p.add_argument("--starttls", default="")
    return p.parse_args()


ARGS = parse_args()
COUNT = [len([n for n in os.listdir(ARGS.outdir) if n.endswith(".json")])]


def describe(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    # Decoded with email.header (RFC 2047 as written: white space between
    # encoded words is dropped), not policy.default's phrase parser, which
    # puts a space between adjacent encoded words of a display name.
    headers = []
    raw_headers = []
    head = raw.split(b"\r\n\r\n", 1)[0].decode("utf-8", errors="replace")
    for line in re.split(r"\r\n(?![ \t])", head):
        name, _, value = line.partition(":")
        value = value.lstrip(" \t")
        raw_headers.append({"name": name, "value": value})
        unfolded = re.sub(r"\r\n(?=[ \t])", "", value)
        try:
            decoded = str(make_header(decode_header(unfolded)))
        except Exception:  # a non-ASCII (SMTPUTF8) header is already text
            decoded = unfolded
        headers.append({"name": name, "value": decoded})
    text = html = None
    for part in msg.walk():
        if part.get_content_type() == "text/plain" and text is None:
            text = part.get_content()
        elif part.get_content_type() == "text/html" and html is None:
            html = part.get_content()
    return {
        "headers": headers,
        "raw_headers": raw_headers,
        "defects": [str(d) for d in msg.defects],
        "text": text,
        "html": html,
    }


EXITING = [False]


class Handler:
    async def handle_DATA(self, server, session, envelope):
        if EXITING[0]:
            return "421 4.3.2 shutting down"
        COUNT[0] += 1
        n = COUNT[0]
        doc = describe(envelope.original_content or envelope.content)
        doc["mail_from"] = envelope.mail_from
        doc["rcpt_tos"] = list(envelope.rcpt_tos)
        doc["smtputf8"] = bool(getattr(envelope, "smtp_utf8", False))
        tmp = os.path.join(ARGS.outdir, ".%06d.tmp" % n)
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
        os.rename(tmp, os.path.join(ARGS.outdir, "%06d.json" % n))
        if ARGS.die_after_store and n >= ARGS.die_after_store:
            os._exit(0)
        if ARGS.exit_after and n >= ARGS.exit_after:
            # Answer this one (the reply is in the socket before the loop
            # runs its next callback), then go away before the next.
            EXITING[0] = True
            asyncio.get_running_loop().call_soon(lambda: os._exit(0))
        return "250 OK stored %d" % n


def authenticator(server, session, envelope, mechanism, auth_data):
    user, _, password = ARGS.auth.partition(":")
    ok = (auth_data.login.decode() == user and auth_data.password.decode() == password)
    return AuthResult(success=ok)


def context(spec):
    cert, key = spec.split(":")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def free_port():
    # aiosmtpd's Controller connects to its own port to check it is up, so it
    # needs a real number rather than 0.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    kwargs = {"enable_SMTPUTF8": ARGS.smtputf8}
    if ARGS.auth:
        kwargs.update(authenticator=authenticator, auth_require_tls=False, auth_required=True)
    if ARGS.starttls:
        kwargs.update(tls_context=context(ARGS.starttls), require_starttls=True)
    controller_args = {}
    if ARGS.tls:
        controller_args["ssl_context"] = context(ARGS.tls)
    controller = Controller(Handler(), hostname="127.0.0.1", port=ARGS.port or free_port(),
                            server_kwargs=kwargs, **controller_args)
    controller.start()
    port = controller.server.sockets[0].getsockname()[1]
    print("READY %d" % port, flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    main()
