#!/usr/bin/env python3
"""A webhook receiver for the cargo tests: checks each delivery's signature
with the Standard Webhooks reference library (standardwebhooks, not our
code) and the secret in DIR/secret, records what it got as a JSON line in
DIR/received.jsonl, and answers with the status in DIR/status (200 when
there is none). Usage: webhook_receiver.py PORT DIR"""
import http.server
import json
import os
import sys

from standardwebhooks.webhooks import Webhook

PORT, DIR = int(sys.argv[1]), sys.argv[2]


def read(name, default):
    try:
        with open(os.path.join(DIR, name)) as f:
            return f.read().strip()
    except FileNotFoundError:
        return default


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            Webhook(read("secret", "")).verify(body, headers)
            verified, error = True, None
        except Exception as e:  # the library's verdict, recorded as it is
            verified, error = False, f"{type(e).__name__}: {e}"
        record = {
            "verified": verified,
            "error": error,
            "id": headers.get("webhook-id"),
            "timestamp": headers.get("webhook-timestamp"),
            "path": self.path,
            "body": json.loads(body or b"null"),
        }
        with open(os.path.join(DIR, "received.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")
        status = int(read("status", "200"))
        self.send_response(status)
        self.send_header("content-type", "text/plain")
        self.end_headers()
        self.wfile.write(b"x" * 100_000)  # more than the sender reads

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Receiver).serve_forever()
