#!/usr/bin/env python3
"""make_ecverify_seeds.py: writes the seeds of fuzz_ecverify to
tests/fuzz/corpus/ecverify/ (seed-*), from the Wycheproof P-256 vectors in
tests/data/wycheproof/. Input format: x || y, then records of
SHA-256(msg) || r || s (see fuzz_ecverify.c).

Seeds: every group's key with all its 64-byte vectors (in blocks of at most
64 records); on the first group's key and each edge-case key (flag EdgeCasePublicKey), a
valid signature with r, s or both replaced by each edge value (0, 1, n-1,
n, n+1, p-1, 2^256-1), s replaced by n - s, r taken from another
signature, r and s swapped: each alone and amid valid ones for the first
key, in one block amid valid ones for the others."""
import hashlib
import json
import os
import sys

top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
src = os.path.join(top, "tests/data/wycheproof/ecdsa_secp256r1_sha256_p1363_test.json")
out = os.path.join(top, "tests/fuzz/corpus/ecverify")

N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
EDGES = {"0": 0, "1": 1, "n-1": N - 1, "n": N, "n+1": N + 1, "p-1": P - 1,
         "2^256-1": 2**256 - 1}


def coord(h):
    b = bytes.fromhex(h)
    if len(b) == 33 and b[0] == 0:
        b = b[1:]
    return b.rjust(32, b"\0")


def rec(msg, r, s):
    return hashlib.sha256(msg).digest() + r.to_bytes(32, "big") + s.to_bytes(32, "big")


def main():
    d = json.load(open(src))
    os.makedirs(out, exist_ok=True)
    seeds = {}
    for gi, g in enumerate(d["testGroups"]):
        key = coord(g["publicKey"]["wx"]) + coord(g["publicKey"]["wy"])
        vecs = []
        for t in g["tests"]:
            sig = bytes.fromhex(t["sig"])
            if len(sig) != 64:
                continue
            vecs.append((bytes.fromhex(t["msg"]), int.from_bytes(sig[:32], "big"),
                         int.from_bytes(sig[32:], "big"), t["result"] == "valid"))
        for i in range(0, len(vecs), 64):
            seeds["group%03d-%d" % (gi, i // 64)] = key + b"".join(
                rec(m, r, s) for m, r, s, _ in vecs[i:i + 64])
        edge_key = any("EdgeCasePublicKey" in t.get("flags", []) for t in g["tests"])
        if gi != 0 and not edge_key:
            continue
        valid = [v for v in vecs if v[3]]
        if not valid:
            continue
        m0, r0, s0, _ = valid[0]
        good = rec(m0, r0, s0)
        block = []
        for name, e in EDGES.items():
            for which, (r, s) in (("r", (e, s0)), ("s", (r0, e)), ("rs", (e, e))):
                one = rec(m0, r, s)
                block += [one, good]
                if gi == 0:
                    seeds["g%03d-%s=%s" % (gi, which, name)] = key + one
                    seeds["g%03d-%s=%s-amid" % (gi, which, name)] = key + good + one + good
        seeds["g%03d-edges" % gi] = key + b"".join(block[:64])
        seeds["g%03d-s=n-s" % gi] = key + rec(m0, r0, N - s0) + good
        others = [v for v in vecs if v[1] != r0]
        if others:
            seeds["g%03d-r-of-another" % gi] = key + rec(m0, others[0][1], s0) + good
            seeds["g%03d-swapped" % gi] = key + rec(m0, s0, r0) + good
    for name, data in seeds.items():
        with open(os.path.join(out, "seed-" + name), "wb") as f:
            f.write(data)
    print("%d seeds in %s" % (len(seeds), out))


if __name__ == "__main__":
    sys.exit(main())
