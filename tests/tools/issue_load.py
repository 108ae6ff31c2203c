#!/usr/bin/env python3
"""Concurrent clients of hc-issued for the fault tests.

    issue_load.py --port N --cafile CA.pem --token T --threads 64
                  --ready FILE --stop FILE --first K --out FILE

Each thread keeps one HTTPS connection (keep-alive) and posts records of
distinct people (valid GB 11643 numbers, person K, K+1, ... across all
threads) to /v1/records until the --stop file exists (at most 60 s). The
--ready file is created when the first code arrives. A connection error (the daemon
killed) is retried after 50 ms on a new connection. Every code received
(status 200) is written to FILE as "JTI STATUS" lines; other answers are
counted. Prints "received N, errors E, other O" and exits 0, or 1 when an
answer was neither 200 nor a connection error, or a 200 had no jti.
"""
import argparse
import http.client
import itertools
import json
import os
import ssl
import sys
import threading
import time

W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def person_id(i):
    day, seq = divmod(i, 1000)
    y, rest = divmod(day, 12 * 28)
    m, d = divmod(rest, 28)
    b = "330106%04d%02d%02d%03d" % (1940 + y % 60, m + 1, d + 1, seq)
    c = (12 - sum(int(x) * w for x, w in zip(b, W)) % 11) % 11
    return b + ("X" if c == 10 else str(c))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cafile", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--threads", type=int, default=64)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--stop", required=True)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    ctx = ssl.create_default_context(cafile=a.cafile)
    counter = itertools.count(a.first)
    lock = threading.Lock()
    got, stats = [], {"errors": 0, "other": 0}
    end = time.monotonic() + 60
    ready = [False]
    day = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 86400))

    def worker():
        conn = None
        while time.monotonic() < end and not os.path.exists(a.stop):
            with lock:
                i = next(counter)
            body = json.dumps({"person": {"name": "李四", "id": person_id(i)},
                               "nat": [{"at": day, "result": "negative"}]})
            try:
                if conn is None:
                    conn = http.client.HTTPSConnection("127.0.0.1", a.port, context=ctx,
                                                       timeout=10)
                conn.request("POST", "/v1/records", body=body.encode(),
                             headers={"Authorization": "Bearer " + a.token,
                                      "Content-Type": "application/json"})
                r = conn.getresponse()
                data = r.read()
            except (OSError, http.client.HTTPException) as e:
                if conn is not None:
                    conn.close()
                conn = None
                with lock:
                    stats["errors"] += 1
                    if stats["errors"] == 1:
                        sys.stderr.write("first connection error: %r\n" % e)
                time.sleep(0.05)
                continue
            with lock:
                if r.status == 200:
                    d = json.loads(data)
                    got.append((d.get("jti", ""), d.get("status", "")))
                    if not ready[0]:
                        ready[0] = True
                        with open(a.ready, "w", encoding="ascii"):
                            pass
                else:
                    stats["other"] += 1
                    sys.stderr.write("answer %d: %s\n" % (r.status, data[:200]))
        if conn is not None:
            conn.close()

    ts = [threading.Thread(target=worker) for _ in range(a.threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    with open(a.out, "w", encoding="ascii") as f:
        for jti, st in got:
            f.write("%s %s\n" % (jti, st))
    print("received %d, errors %d, other %d" % (len(got), stats["errors"], stats["other"]))
    return 1 if stats["other"] or any(len(j) != 22 for j, _ in got) else 0


if __name__ == "__main__":
    sys.exit(main())
