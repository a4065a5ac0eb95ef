#!/usr/bin/python3
"""webapp: the example appliance's web service (recipes/webapp.yaml).

GET / shows the notes kept in DATA/notes.txt; POST / with a form field
"note" appends one. The data folder is on the application disk's data
volume, so the notes outlive a new version of this program.
"""
import argparse
import html
import os
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_NOTE = 1000  # characters


class Handler(BaseHTTPRequestHandler):
    notes = ""  # the notes file's path, set in main()

    def _page(self, status=200):
        try:
            with open(self.notes, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            lines = []
        items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
        body = (
            "<!doctype html><title>webapp</title><h1>webapp</h1>"
            f"<ul>{items}</ul>"
            '<form method="post"><input name="note" maxlength="1000">'
            "<button>add</button></form>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path != "/":
            self.send_error(404)
            return
        self._page()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if self.path != "/" or length > 4 * MAX_NOTE:
            self.send_error(404 if self.path != "/" else 413)
            return
        form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
        note = " ".join(form.get("note", [""])[0].split())[:MAX_NOTE]
        if note:
            with open(self.notes, "a", encoding="utf-8") as f:
                f.write(note + "\n")
        self.send_response(303)
        self.send_header("Location", "/")
        self.end_headers()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--data", default="/srv/data/webapp")
    args = ap.parse_args()
    os.makedirs(args.data, exist_ok=True)
    Handler.notes = os.path.join(args.data, "notes.txt")
    ThreadingHTTPServer(("", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
