#!/usr/bin/env python3
"""A local SMTP server for the email gateway tests (Python 3 standard library only).

It speaks enough of RFC 5321 to receive a message the way a submission server does:
EHLO/HELO, STARTTLS (RFC 3207) with the certificate and key given, AUTH PLAIN and AUTH LOGIN
(RFC 4954, --auth-mechanisms picks which are offered) against one configured user, MAIL, RCPT, DATA (with dot-unstuffing), RSET, NOOP and
QUIT, multi-line EHLO replies. AUTH is offered even before TLS, so a client that sends its
password in the clear is caught rather than refused.

It records what it saw, one JSON file per connection in --record-dir (rewritten, atomically,
before the reply to each accepted message and before the reply to QUIT):
  {"tls": bool, "commands": ["EHLO client", "STARTTLS", "EHLO client", "AUTH PLAIN <redacted>", ...],
   "auth_user": "name" or null, "messages": [{"mail_from": "...", "rcpt_to": ["..."], "tls": bool,
   "auth_user": ..., "data": "the message after dot-unstuffing, CRLF line ends"}],
   "violations": ["AUTH before STARTTLS", "a line longer than 1000 bytes", ...]}

Failures on demand: --reply ADDRESS=CODE (repeatable) answers RCPT TO:<ADDRESS> with CODE
(a 4xx or 5xx) instead of 250.

Usage: smtp_standin.py --record-dir DIR [--cert CERT --key KEY] [--user NAME --password PASS]
                       [--auth-mechanisms PLAIN,LOGIN] [--implicit-tls] [--reply ADDRESS=CODE ...] [--port 0]
The first line on stdout is the port. The server exits when stdin closes, so a test that dies
does not leave it running.
"""

import argparse
import base64
import itertools
import json
import os
import signal
import socket
import ssl
import sys
import tempfile
import threading

# RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets with its CRLF; §4.5.3.1.4: a command line 512.
MAX_TEXT_LINE = 1000
MAX_COMMAND_LINE = 512
# Enough for the tests; a real server's limit is configured, ours is a constant.
MAX_MESSAGE_BYTES = 10 * 1024 * 1024
IDLE_TIMEOUT_SECONDS = 30

REPLY_TEXT = {
    421: "4.3.2 Service not available, closing channel",
    450: "4.2.1 Mailbox unavailable, try again later",
    451: "4.3.0 Local error in processing, try again later",
    452: "4.2.2 Insufficient storage",
    550: "5.1.1 Mailbox unavailable: no such user",
    551: "5.1.6 User not local",
    552: "5.2.2 Mailbox full",
    553: "5.1.3 Mailbox name not allowed",
    554: "5.7.1 Transaction failed",
}


class Session:
    """One client connection, on its own thread."""

    counter = itertools.count(1)

    def __init__(self, server, sock):
        self.server = server
        self.sock = sock
        self.number = next(Session.counter)
        self.is_tls = isinstance(sock, ssl.SSLSocket)
        self.reader = sock.makefile("rb")
        self.greeted = False
        self.auth_user = None
        self.mail_from = None
        self.rcpt_to = []
        self.record = {"tls": self.is_tls, "commands": [], "auth_user": None, "messages": [], "violations": []}

    # -- I/O

    def reply(self, code, *lines):
        lines = lines or ("OK",)
        text = "".join(f"{code}-{line}\r\n" for line in lines[:-1]) + f"{code} {lines[-1]}\r\n"
        self.sock.sendall(text.encode("ascii"))

    def read_line(self, limit):
        line = self.reader.readline(limit + 1)
        if not line:
            return None
        if len(line) > limit:
            self.violation(f"a line longer than {limit} bytes")
        if not line.endswith(b"\r\n"):
            self.violation("a line not ending in CRLF")
        return line.rstrip(b"\r\n")

    def violation(self, text):
        if text not in self.record["violations"]:
            self.record["violations"].append(text)

    def save(self):
        self.record["tls"] = self.is_tls
        self.record["auth_user"] = self.auth_user
        path = os.path.join(self.server.record_dir, f"session-{self.number:04d}.json")
        fd, temporary = tempfile.mkstemp(dir=self.server.record_dir, prefix=".tmp-")
        with os.fdopen(fd, "w") as out:
            json.dump(self.record, out, indent=1)
        os.replace(temporary, path)

    # -- the dialogue

    def run(self):
        try:
            self.reply(220, "standin.test ESMTP MedExpress stand-in ready")
            while True:
                line = self.read_line(MAX_COMMAND_LINE)
                if line is None:
                    break
                text = line.decode("utf-8", "replace")
                verb, _, argument = text.partition(" ")
                verb = verb.upper()
                self.record["commands"].append("AUTH " + argument.split(" ")[0] + " <redacted>" if verb == "AUTH" else text)
                if not self.command(verb, argument):
                    break
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            try:
                self.save()
                self.sock.close()
            except OSError:
                pass

    def command(self, verb, argument):
        """Handles one command; False ends the session."""
        if verb in ("EHLO", "HELO"):
            self.greeted = True
            self.reset()
            if verb == "HELO":
                self.reply(250, "standin.test")
                return True
            lines = ["standin.test greets " + argument, f"SIZE {MAX_MESSAGE_BYTES}", "8BITMIME", "ENHANCEDSTATUSCODES"]
            if not self.is_tls and self.server.tls_context is not None:
                lines.append("STARTTLS")
            if self.server.user is not None:
                lines.append("AUTH " + " ".join(self.server.auth_mechanisms))
            lines.append("HELP")
            self.reply(250, *lines)
        elif verb == "STARTTLS":
            if self.is_tls or self.server.tls_context is None:
                self.reply(503, "5.5.1 TLS not available")
                return True
            self.reply(220, "2.0.0 Ready to start TLS")
            self.reader.close()
            try:
                self.sock = self.server.tls_context.wrap_socket(self.sock, server_side=True)
            except (ssl.SSLError, OSError) as error:
                self.record["commands"].append(f"(TLS handshake failed: {error})")
                return False
            self.reader = self.sock.makefile("rb")
            self.is_tls = True
            # RFC 3207 §4.2: the client must start again with EHLO.
            self.greeted = False
            self.auth_user = None
            self.reset()
        elif verb == "AUTH":
            self.authenticate(argument)
        elif verb == "MAIL":
            if not self.greeted:
                self.violation("MAIL before EHLO")
                self.reply(503, "5.5.1 EHLO first")
            elif self.server.user is not None and self.auth_user is None:
                self.reply(530, "5.7.0 Authentication required")
            elif not argument.upper().startswith("FROM:<"):
                self.reply(501, "5.5.4 Syntax: MAIL FROM:<address>")
            else:
                address, _, parameters = argument[len("FROM:<"):].partition(">")
                size = [p for p in parameters.split() if p.upper().startswith("SIZE=")]
                if size and int(size[0][5:]) > MAX_MESSAGE_BYTES:
                    self.reply(552, "5.3.4 Message too big")
                    return True
                self.reset()
                self.mail_from = address
                self.reply(250, "2.1.0 Sender OK")
        elif verb == "RCPT":
            if self.mail_from is None:
                self.reply(503, "5.5.1 MAIL first")
            elif not argument.upper().startswith("TO:<"):
                self.reply(501, "5.5.4 Syntax: RCPT TO:<address>")
            else:
                address = argument[len("TO:<"):].partition(">")[0]
                code = self.server.replies.get(address.lower())
                if code is not None:
                    self.reply(code, REPLY_TEXT.get(code, f"{code // 100}.0.0 Refused by the stand-in"))
                else:
                    self.rcpt_to.append(address)
                    self.reply(250, "2.1.5 Recipient OK")
        elif verb == "DATA":
            if not self.rcpt_to:
                self.reply(503, "5.5.1 RCPT first")
                return True
            self.reply(354, "Start mail input; end with <CRLF>.<CRLF>")
            data = self.receive_data()
            if data is None:
                return False
            self.record["messages"].append({"mail_from": self.mail_from, "rcpt_to": self.rcpt_to, "tls": self.is_tls,
                                            "auth_user": self.auth_user, "data": data.decode("utf-8", "replace")})
            self.save()
            self.reset()
            self.reply(250, f"2.0.0 Queued as {self.number}.{len(self.record['messages'])}")
        elif verb == "RSET":
            self.reset()
            self.reply(250, "2.0.0 Reset")
        elif verb == "NOOP":
            self.reply(250, "2.0.0 OK")
        elif verb == "QUIT":
            self.save()
            self.reply(221, "2.0.0 Bye")
            return False
        else:
            self.reply(500, "5.5.2 Command not recognised")
        return True

    def authenticate(self, argument):
        mechanism, _, initial = argument.partition(" ")
        mechanism = mechanism.upper()
        if self.server.user is None or mechanism not in self.server.auth_mechanisms:
            self.reply(504, "5.5.4 Unrecognised authentication mechanism")
            return
        if self.auth_user is not None:
            self.reply(503, "5.5.1 Already authenticated")
            return
        if not self.is_tls:
            self.violation("AUTH before STARTTLS")
        try:
            if mechanism == "PLAIN":
                if not initial:
                    self.reply(334, "")
                    initial = (self.read_line(MAX_TEXT_LINE) or b"").decode("ascii")
                _, user, password = base64.b64decode(initial, validate=True).decode("utf-8").split("\0")
            elif mechanism == "LOGIN":
                self.reply(334, base64.b64encode(b"Username:").decode())
                user = base64.b64decode(self.read_line(MAX_TEXT_LINE) or b"", validate=True).decode("utf-8")
                self.reply(334, base64.b64encode(b"Password:").decode())
                password = base64.b64decode(self.read_line(MAX_TEXT_LINE) or b"", validate=True).decode("utf-8")
            else:
                self.reply(504, "5.5.4 Unrecognised authentication mechanism")
                return
        except (ValueError, UnicodeDecodeError):
            self.reply(501, "5.5.2 Cannot decode the credentials")
            return
        if (user, password) == (self.server.user, self.server.password):
            self.auth_user = user
            self.reply(235, "2.7.0 Authentication successful")
        else:
            self.reply(535, "5.7.8 Authentication credentials invalid")

    def receive_data(self):
        """The message up to the lone ".", unstuffed, lines ending CRLF; None if the client went away."""
        lines = []
        size = 0
        while True:
            line = self.read_line(MAX_TEXT_LINE)
            if line is None:
                return None
            if line == b".":
                return b"".join(part + b"\r\n" for part in lines)
            if line.startswith(b"."):
                line = line[1:]
            size += len(line) + 2
            if size > MAX_MESSAGE_BYTES:
                self.violation("a message over the SIZE limit")
            lines.append(line)

    def reset(self):
        self.mail_from = None
        self.rcpt_to = []


class Server:
    def __init__(self, arguments):
        self.record_dir = arguments.record_dir
        self.user = arguments.user
        self.password = arguments.password
        self.auth_mechanisms = arguments.auth_mechanisms.upper().split(",")
        self.replies = {}
        for rule in arguments.reply:
            address, _, code = rule.rpartition("=")
            self.replies[address.lower()] = int(code)
        self.tls_context = None
        if arguments.cert:
            self.tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls_context.load_cert_chain(arguments.cert, arguments.key)
        self.implicit_tls = arguments.implicit_tls
        self.listener = socket.create_server(("127.0.0.1", arguments.port))

    def serve(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.handle, args=(client,), daemon=True).start()

    def handle(self, client):
        client.settimeout(IDLE_TIMEOUT_SECONDS)
        if self.implicit_tls:
            try:
                client = self.tls_context.wrap_socket(client, server_side=True)
            except (ssl.SSLError, OSError):
                client.close()
                return
        Session(self, client).run()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--record-dir", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--auth-mechanisms", default="PLAIN,LOGIN", help="offered in EHLO, comma-separated")
    parser.add_argument("--implicit-tls", action="store_true")
    parser.add_argument("--reply", action="append", default=[], metavar="ADDRESS=CODE")
    parser.add_argument("--port", type=int, default=0)
    arguments = parser.parse_args()
    if bool(arguments.cert) != bool(arguments.key):
        parser.error("--cert and --key go together")
    if arguments.implicit_tls and not arguments.cert:
        parser.error("--implicit-tls needs --cert and --key")
    if bool(arguments.user) != bool(arguments.password):
        parser.error("--user and --password go together")

    # A parent that started us from a thread with signals blocked (a Swift concurrency worker)
    # passed its mask on; let the test's SIGTERM through.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    server = Server(arguments)
    print(server.listener.getsockname()[1], flush=True)
    threading.Thread(target=server.serve, daemon=True).start()
    # Exit when the test closes our stdin (or dies).
    sys.stdin.read()


if __name__ == "__main__":
    main()
