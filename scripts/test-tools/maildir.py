#!/usr/bin/env python3
"""Prints the mail in a maildir (as aiosmtpd's Mailbox handler writes it)
as JSON, decoded by Python's own mail parser: a list of {to, from,
subject, text, html}, oldest first. Used by the cargo tests."""
import email
import email.policy
import json
import os
import sys


def main(directory):
    found = []
    for sub in ("new", "cur"):
        path = os.path.join(directory, sub)
        if not os.path.isdir(path):
            continue
        for name in os.listdir(path):
            full = os.path.join(path, name)
            with open(full, "rb") as f:
                message = email.message_from_binary_file(f, policy=email.policy.default)
            text = message.get_body(preferencelist=("plain",))
            html = message.get_body(preferencelist=("html",))
            found.append({
                "mtime": os.stat(full).st_mtime_ns,
                "to": str(message["To"]),
                "from": str(message["From"]),
                "subject": str(message["Subject"]),
                "text": text.get_content() if text else "",
                "html": html.get_content() if html else "",
            })
    found.sort(key=lambda m: m["mtime"])
    json.dump(found, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
