#!/usr/bin/env python3
"""sources.py: simulated data sources for hc-issued's POST /v1/events.

  sources.py id INDEX...            valid identity numbers of people INDEX
  sources.py gen SOURCE [options]   event lines (JSON lines) on stdout
  sources.py post [options] FILE    FILE's lines to the service in requests

People are numbered 0 .. N-1; person i always has the same identity number
(a valid GB 11643 number: district 330106, a birth date and a sequence
derived from i, its check character) and the same name, so streams from
different sources meet on the same people. SOURCE is one of:

  lab      nucleic-acid results (type nat), --positive FRACTION positive
  vac      a vaccination registry (type vac): doses 1..3 in order
  carrier  a carrier's stays (type trv) in --region R, ending --days-ago
  cdc      disease control (type flag): --flag F set (or --clear)
  venue    venue visits (type visit) at --venue V

gen writes --events M lines (default: one per person) for --people N
people (up to 10^6), from --first, in order or (--random) drawn with
--seed; event ids are the source's own (--prefix to vary them), unique
per line. post sends the lines in requests of --batch lines with
--threads connections, prints one JSON summary line (accepted,
duplicate, rejected, requests, seconds, events_per_s) and, with --acks
FILE, writes the event id of every line the service acknowledged
(accepted or duplicate) as its answers arrive; a connection that fails
(the service killed) ends that thread quietly with --tolerate.
"""
import argparse
import http.client
import json
import random
import ssl
import sys
import threading
import time

W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def ident(i):
    """Person i's identity number: birth 1950-01-01 + i // 1000 days, sequence i % 1000."""
    t = time.gmtime(-631152000 + (i // 1000) * 86400)  # 1950-01-01
    base = "330106%04d%02d%02d%03d" % (t.tm_year, t.tm_mon, t.tm_mday, i % 1000)
    s = sum(int(c) * w for c, w in zip(base, W))
    c = (12 - s % 11) % 11
    return base + ("X" if c == 10 else str(c))


def name(i):
    return SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 20) % len(GIVEN)] + GIVEN[(i // 500) % len(GIVEN)]


def day(t):
    return time.strftime("%Y-%m-%d", time.gmtime(t + 8 * 3600))


def gen(a):
    rnd = random.Random(a.seed)
    now = int(time.time())
    n = a.events if a.events is not None else a.people
    out = sys.stdout
    buf = []
    for k in range(n):
        i = a.first + (rnd.randrange(a.people) if a.random else k % a.people)
        ev = {"event": "%s-%d" % (a.prefix or a.source, a.first_event + k), "type": None, "id": ident(i)}
        if a.names:
            ev["name"] = name(i)
        if a.source == "lab":
            ev["type"] = "nat"
            ev["at"] = now - a.age - (k % 60)
            ev["result"] = "positive" if rnd.random() < a.positive else "negative"
            ev["lab"] = "Hangzhou Lab 42"
        elif a.source == "vac":
            ev["type"] = "vac"
            ev["at"] = day(now - 86400 * (400 - 100 * a.dose))
            ev["product"] = "BBIBP-CorV"
            ev["dose"] = a.dose
        elif a.source == "carrier":
            ev["type"] = "trv"
            ev["region"] = a.region
            ev["from"] = day(now - 86400 * (a.days_ago + 2))
            ev["to"] = day(now - 86400 * a.days_ago)
        elif a.source == "cdc":
            ev["type"] = "flag"
            ev["flag"] = a.flag
            ev["set"] = not a.clear
            if a.case:
                ev["case"] = a.case
        else:
            ev["type"] = "visit"
            ev["venue"] = a.venue
            ev["at"] = now - a.age
        buf.append(json.dumps(ev, ensure_ascii=False, separators=(",", ":")))
        if len(buf) >= 10000:
            out.write("\n".join(buf) + "\n")
            buf = []
    if buf:
        out.write("\n".join(buf) + "\n")


def post(a):
    with open(a.file, "rb") if a.file != "-" else sys.stdin.buffer as f:
        lines = [l for l in f.read().split(b"\n") if l]
    reqs = [b"\n".join(lines[i:i + a.batch]) + b"\n" for i in range(0, len(lines), a.batch)]
    ctx = ssl.create_default_context(cafile=a.cafile)
    lock = threading.Lock()
    tot = {"accepted": 0, "duplicate": 0, "rejected": 0, "requests": 0, "errors": 0}
    reasons = {}
    acks = open(a.acks, "a") if a.acks else None
    nxt = [0]

    def worker():
        conn = None
        while True:
            with lock:
                if nxt[0] >= len(reqs):
                    break
                body = reqs[nxt[0]]
                nxt[0] += 1
            try:
                if conn is None:
                    conn = http.client.HTTPSConnection("127.0.0.1", a.port, context=ctx, timeout=120)
                conn.request("POST", "/v1/events", body=body, headers={
                    "Authorization": "Bearer " + a.token, "Content-Type": "application/x-ndjson"})
                r = conn.getresponse()
                data = r.read()
                if r.status != 200:
                    raise RuntimeError("HTTP %d: %s" % (r.status, data[:200]))
                ans = json.loads(data)
            except Exception as e:  # the service killed, or an error answer
                with lock:
                    tot["errors"] += 1
                sys.stderr.write("sources.py: %s%s\n" % (e, " (tolerated)" if a.tolerate else ""))
                return
            with lock:
                tot["requests"] += 1
                for k in ("accepted", "duplicate", "rejected"):
                    tot[k] += ans[k]
                for res in ans["results"]:
                    if res["verdict"] == "rejected":
                        reasons[res["reason"]] = reasons.get(res["reason"], 0) + 1
                    elif acks:
                        acks.write(res["event"] + "\n")
                if acks:
                    acks.flush()

    t0 = time.time()
    ts = [threading.Thread(target=worker) for _ in range(a.threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dt = time.time() - t0
    tot["seconds"] = round(dt, 3)
    tot["events_per_s"] = round((tot["accepted"] + tot["duplicate"]) / dt) if dt > 0 else 0
    if reasons:
        tot["reasons"] = dict(sorted(reasons.items(), key=lambda x: -x[1])[:5])
    print(json.dumps(tot, ensure_ascii=False))
    return 1 if tot["errors"] and not a.tolerate else 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("id")
    i.add_argument("index", type=int, nargs="+")
    g = sub.add_parser("gen")
    g.add_argument("source", choices=["lab", "vac", "carrier", "cdc", "venue"])
    g.add_argument("--people", type=int, default=1000)
    g.add_argument("--first", type=int, default=0)
    g.add_argument("--events", type=int)
    g.add_argument("--first-event", type=int, default=0)
    g.add_argument("--random", action="store_true")
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--prefix")
    g.add_argument("--names", action="store_true", help="each event carries the person's name")
    g.add_argument("--positive", type=float, default=0.0)
    g.add_argument("--age", type=int, default=3600, help="seconds before now (lab, venue)")
    g.add_argument("--dose", type=int, default=1)
    g.add_argument("--region", default="310115")
    g.add_argument("--days-ago", type=int, default=20)
    g.add_argument("--flag", default="close-contact")
    g.add_argument("--clear", action="store_true")
    g.add_argument("--case")
    g.add_argument("--venue", default="330106-000042")
    q = sub.add_parser("post")
    q.add_argument("file")
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--cafile", required=True)
    q.add_argument("--token", required=True)
    q.add_argument("--batch", type=int, default=1000)
    q.add_argument("--threads", type=int, default=2)
    q.add_argument("--acks")
    q.add_argument("--tolerate", action="store_true")
    a = p.parse_args()
    if a.cmd == "id":
        for k in a.index:
            print(ident(k))
        return 0
    if a.cmd == "gen":
        if not 1 <= a.people <= 10**6:
            p.error("--people: 1 .. 1000000")
        gen(a)
        return 0
    return post(a)


if __name__ == "__main__":
    sys.exit(main())
