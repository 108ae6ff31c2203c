#!/usr/bin/env python3
"""HTTPS static file server on 127.0.0.1 for the trust-sync tests.

    https_server.py --root DIR --cert CERT.pem --key KEY.pem --port-file FILE
                    --log FILE [--mode-file FILE]

Binds an ephemeral port and writes it to --port-file (atomically, by rename)
once listening. Serves GET and HEAD of files under --root with ETag
("first 32 hex chars of the SHA-256 of the content"), Last-Modified and
Content-Length; answers If-None-Match (exact match) and, without it,
If-Modified-Since with 304. Logs one line per request to --log:
    METHOD PATH STATUS inm=VALUE|- ims=VALUE|-
A line of one word in --mode-file (read at each request; absent = normal)
selects a fault for every path: truncate, redirect-loop, http500, slow.
Lines "PATH MODE [FILE...]" act on one request path only (an attacker who
controls the server, with validly signed files from the past):
    PATH hold FILE     the first request for PATH (per such line) waits
                       until the file MODE-FILE.release exists (at most 30 s),
                       then gets the contents of FILE as read at that time;
                       it logs "HOLD PATH" when it starts waiting
    PATH replay FILE   every request gets FILE instead
    PATH withhold      every request gets 404
    PATH alt FILE...   requests get the FILEs in turn
A POST to PATH with the JSON body {"id": ID} (18 characters of [0-9X]; a
queried source) is served as a GET of PATH/ID.json, modes included.
--client-ca FILE requires a client certificate issued by that CA.
"""
import argparse
import email.utils
import hashlib
import http.server
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse

ARGS = None
LOG_LOCK = threading.Lock()
STATE_LOCK = threading.Lock()
HELD = set()     # "hold" lines already used
TURNS = {}       # "alt" line -> requests served


def read_mode():
    """The global mode word and the per-path lines {PATH: (line, words)}."""
    if not ARGS.mode_file:
        return "", {}
    try:
        with open(ARGS.mode_file, encoding="ascii") as f:
            lines = f.read().splitlines()
    except OSError:
        return "", {}
    mode, per = "", {}
    for line in lines:
        w = line.split()
        if len(w) == 1:
            mode = w[0]
        elif len(w) >= 2:
            per[w[0]] = (line.strip(), w[1:])
    return mode, per


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "hc-test-https/1"

    def setup(self):
        # The TLS handshake runs here, in the request's thread, so a client
        # that stalls or refuses the certificate blocks no one else.
        # (60 s: a client under valgrind on a loaded machine took more
        # than 10 s to finish its handshake, and the test saw a reset)
        self.request.settimeout(60)
        self.request.do_handshake()
        super().setup()

    def log_message(self, fmt, *args):  # quiet: requests go to --log only
        pass

    def log_request_line(self, status):
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        line = "%s %s %d inm=%s ims=%s\n" % (
            self.command, self.path, status,
            inm if inm is not None else "-",
            '"%s"' % ims if ims is not None else "-")
        with LOG_LOCK:
            with open(ARGS.log, "a", encoding="utf-8") as f:
                f.write(line)
                f.flush()

    def simple(self, status, body=b"", extra=None):
        self.log_request_line(status)
        self.send_response(status)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def resolve(self):
        """Maps the request path to a file under root, or None."""
        path = urllib.parse.urlsplit(self.path).path
        path = urllib.parse.unquote(path)
        if "\0" in path or not path.startswith("/"):
            return None
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if any(p == ".." for p in parts):
            return None
        root = os.path.realpath(ARGS.root)
        full = os.path.realpath(os.path.join(root, *parts)) if parts else root
        if os.path.commonpath([root, full]) != root or not os.path.isfile(full):
            return None
        return full

    def log_text(self, text):
        with LOG_LOCK:
            with open(ARGS.log, "a", encoding="utf-8") as f:
                f.write(text + "\n")

    def path_mode(self, per):
        """The body a per-path line dictates: None (serve normally), False
        (404) or bytes."""
        path = urllib.parse.urlsplit(self.path).path
        if path not in per:
            return None
        line, w = per[path]
        if w[0] == "withhold":
            return False
        if w[0] == "replay" and len(w) == 2:
            with open(w[1], "rb") as f:
                return f.read()
        if w[0] == "alt" and len(w) >= 2:
            with STATE_LOCK:
                n = TURNS.get(line, 0)
                TURNS[line] = n + 1
            with open(w[1 + n % (len(w) - 1)], "rb") as f:
                return f.read()
        if w[0] == "hold" and len(w) == 2:
            with STATE_LOCK:
                first = line not in HELD
                HELD.add(line)
            if not first:
                return None
            self.log_text("HOLD " + path)
            for _ in range(300):
                if os.path.exists(ARGS.mode_file + ".release"):
                    break
                time.sleep(0.1)
            with open(w[1], "rb") as f:
                return f.read()
        return None

    def serve(self):
        mode, per = read_mode()
        body = self.path_mode(per)
        if body is False:
            return self.simple(404, b"not found\n")
        if mode == "http500":
            return self.simple(500, b"internal error\n")
        if mode == "redirect-loop":
            return self.simple(302, b"", {"Location": self.path})
        full = self.resolve()
        if full is None and body is None:
            return self.simple(404, b"not found\n")
        if body is not None:
            data, mtime = body, int(time.time())
        else:
            with open(full, "rb") as f:
                data = f.read()
            mtime = int(os.stat(full).st_mtime)
        etag = '"%s"' % hashlib.sha256(data).hexdigest()[:32]
        lastmod = email.utils.formatdate(mtime, usegmt=True)
        meta = {"ETag": etag, "Last-Modified": lastmod}
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        not_modified = False
        if inm is not None:
            not_modified = inm.strip() == etag
        elif ims is not None:
            try:
                when = email.utils.parsedate_to_datetime(ims).timestamp()
                not_modified = mtime <= when
            except (TypeError, ValueError, IndexError, OverflowError):
                not_modified = False
        if not_modified:
            self.log_request_line(304)
            self.send_response(304)
            for k, v in meta.items():
                self.send_header(k, v)
            self.end_headers()
            return
        self.log_request_line(200)
        self.send_response(200)
        for k, v in meta.items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if mode == "truncate":
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.abort()
            return
        if mode == "slow":
            self.wfile.flush()
            time.sleep(30)
        self.wfile.write(data)

    def abort(self):
        """Drops the connection mid-body, without a TLS close_notify."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def do_GET(self):
        self.serve()

    def do_POST(self):
        try:
            n = int(self.headers.get("Content-Length", "0"))
            ident = json.loads(self.rfile.read(n) if 0 < n <= 4096 else b"")["id"]
        except (ValueError, KeyError, TypeError):
            return self.simple(400, b"bad request\n")
        if not isinstance(ident, str) or len(ident) != 18 or \
                any(c not in "0123456789X" for c in ident):
            return self.simple(400, b"bad id\n")
        self.path = urllib.parse.urlsplit(self.path).path.rstrip("/") + "/" + ident + ".json"
        self.serve()

    def do_HEAD(self):
        self.serve()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        # Clients hanging up (timeouts, refused certificates) are expected.
        if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError, socket.timeout)):
            return
        super().handle_error(request, client_address)


def main():
    global ARGS
    p = argparse.ArgumentParser(description="HTTPS static file server for tests")
    p.add_argument("--root", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--mode-file")
    p.add_argument("--client-ca")
    ARGS = p.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(ARGS.cert, ARGS.key)
    if ARGS.client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(ARGS.client_ca)
    httpd = Server(("127.0.0.1", 0), Handler)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True,
                                   do_handshake_on_connect=False)

    def on_term(signum, frame):
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    port = httpd.server_address[1]
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%d\n" % port)
    os.rename(tmp, ARGS.port_file)
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
