#!/usr/bin/env python3
"""A real SMTP server for the end-to-end tests: it accepts every message
(no authentication, no TLS, loopback only) and appends each one, parsed, as
a line of JSON to DIR/messages.jsonl. tests/src/smtp.rs drives it.

While DIR/refuse exists, transactions are answered with 451 (a temporary
failure) and nothing is recorded: an outage the sender must retry through,
without freeing the port for something else to take.

Needs aiosmtpd 1.4.6 (python3 -m pip install aiosmtpd==1.4.6).
"""

import argparse
import asyncio
import email
import email.policy
import errno
import json
import os
import signal
import sys
from datetime import datetime, timezone

# Exit codes tests/src/smtp.rs tells apart.
EXIT_NO_AIOSMTPD = 3
EXIT_PORT_IN_USE = 98

try:
    from aiosmtpd.smtp import SMTP
except ImportError:
    print(
        "smtp sink: aiosmtpd is not installed "
        "(python3 -m pip install aiosmtpd==1.4.6)",
        file=sys.stderr,
        flush=True,
    )
    sys.exit(EXIT_NO_AIOSMTPD)

MAX_SIZE = 10 * 1024 * 1024
TRY_AGAIN = "451 4.3.0 Try again later"


def part_text(part):
    """A text part's content as str, even when its charset is wrong."""
    if part is None:
        return None
    try:
        text = part.get_content()
    except (LookupError, UnicodeError, KeyError):
        payload = part.get_payload(decode=True) or b""
        text = payload.decode("utf-8", errors="replace")
    # CRLF is the wire's line ending, not the author's: a 7bit part keeps
    # it, a base64 one does not. Tests compare text, so make them agree.
    return text.replace("\r\n", "\n")


def body(msg, subtype):
    # get_body walks multipart/alternative (and related/mixed) and skips
    # attachments, which is what a mail client would show.
    part = msg.get_body(preferencelist=(subtype,))
    if part is None and not msg.is_multipart() and msg.get_content_type() == f"text/{subtype}":
        part = msg
    return part_text(part)


def header_str(value):
    try:
        return str(value)
    except Exception:  # a header the default policy cannot render
        return repr(value)


class Sink:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.messages = os.path.join(out_dir, "messages.jsonl")
        self.refuse_flag = os.path.join(out_dir, "refuse")
        self.reject_flag = os.path.join(out_dir, "reject")

    def refusing(self):
        return os.path.exists(self.refuse_flag)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refusing():
            return TRY_AGAIN
        # DIR/reject: refused for good, as a mailbox that does not exist is.
        if os.path.exists(self.reject_flag):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        # Checked again: the flag may have appeared after RCPT.
        if self.refusing():
            return TRY_AGAIN
        msg = email.message_from_bytes(
            envelope.original_content, policy=email.policy.default
        )
        headers = {}
        for name, value in msg.items():
            headers.setdefault(name, header_str(value))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "subject": header_str(msg.get("Subject", "")),
            "message_id": header_str(msg.get("Message-ID", "")),
            "text": body(msg, "plain") or "",
            "html": body(msg, "html"),
            "headers": headers,
            "received_at": datetime.now(timezone.utc).isoformat(),
        }
        # Raw 8-bit bytes in a header come back from the parser as lone
        # surrogates, which UTF-8 cannot encode: they become "?" rather
        # than failing the whole message.
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode(
            "utf-8", errors="replace"
        )
        # One write per message, synced before 250 is sent: once the sender
        # is told the message is accepted, a reader finds the whole line.
        with open(self.messages, "ab") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
        return "250 OK"


async def serve(host, port, out_dir):
    loop = asyncio.get_running_loop()
    handler = Sink(out_dir)

    def factory():
        # hostname given so the greeting does not wait on a DNS lookup
        # (socket.getfqdn) for every connection.
        return SMTP(
            handler,
            data_size_limit=MAX_SIZE,
            enable_SMTPUTF8=True,
            hostname="smtp-sink.test",
            loop=loop,
        )

    try:
        # reuse_address: restarting right after a kill -9 must not fail on
        # connections of the old process still in TIME_WAIT. (asyncio sets
        # it by default on Unix; said here so it does not depend on that.)
        server = await loop.create_server(
            factory, host=host, port=port, reuse_address=True
        )
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            print(f"smtp sink: port {port} is in use", file=sys.stderr, flush=True)
            sys.exit(EXIT_PORT_IN_USE)
        raise

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    print(f"smtp sink listening on {port}", flush=True)
    await stop.wait()
    server.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    asyncio.run(serve(args.host, args.port, args.out))


if __name__ == "__main__":
    main()
