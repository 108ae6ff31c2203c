#!/usr/bin/env python3
"""make_sm2verify_seeds.py: writes the seeds of fuzz_sm2verify to
tests/fuzz/corpus/sm2verify/ (seed-*). Input format: x || y, then records
of m || r || s, 32 bytes each (see fuzz_sm2verify.c).

SM2 here is this script's own (affine arithmetic, SM3 from hashlib, ID
1234567812345678); it checks itself on GB/T 32918.5 Annex A (copied in
tests/data/sm2) before writing anything. Deterministic: fixed nonces.

Seeds, on a key of our own and on keys at the edges (d = 1, 2, n-1, n-2,
so Q = G, 2G, -G, -2G): valid signatures over m as a message and over m
as e (over e only for Q = -G, which no SM2 private key has); each with r, s or both replaced by each edge value (0, 1, n-1, n,
n+1, p-1, 2^256-1), t = 0 (s = n - r), r taken from another signature, r
and s swapped: each alone and amid valid ones on our key, in blocks amid
valid ones on the others. And two made for the equation's corners: x1 >=
n (a key Q = t^-1 (P - sG) with x(P) = n + 4), R at infinity (Q = G, s = 1,
r = n - 2)."""
import hashlib
import os

top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
out = os.path.join(top, "tests/fuzz/corpus/sm2verify")

P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = P - 3
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
G = (0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
     0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0)
ID = b"1234567812345678"
EDGES = {"0": 0, "1": 1, "n-1": N - 1, "n": N, "n+1": N + 1, "p-1": P - 1,
         "2^256-1": 2**256 - 1}


def add(p, q):
    if p is None:
        return q
    if q is None:
        return p
    if p[0] == q[0]:
        if (p[1] + q[1]) % P == 0:
            return None
        lam = (3 * p[0] * p[0] + A) * pow(2 * p[1], -1, P) % P
    else:
        lam = (q[1] - p[1]) * pow(q[0] - p[0], -1, P) % P
    x = (lam * lam - p[0] - q[0]) % P
    return (x, (lam * (p[0] - x) - p[1]) % P)


def mul(k, p):
    r = None
    while k:
        if k & 1:
            r = add(r, p)
        p = add(p, p)
        k >>= 1
    return r


def b32(v):
    return v.to_bytes(32, "big")


def sm3(b):
    return hashlib.new("sm3", b).digest()


def e_of(q, msg):
    z = sm3(len(ID * 8).to_bytes(2, "big") + ID + b"".join(
        b32(v) for v in (A, B, G[0], G[1], q[0], q[1])))
    return int.from_bytes(sm3(z + msg), "big")


def sign(d, e, k):
    while True:
        x1 = mul(k, G)[0]
        r = (e + x1) % N
        s = pow(1 + d, -1, N) * (k - r * d) % N
        if r and r + k != N and s:
            return r, s
        k += 1


def verify(q, e, r, s):
    if not (0 < r < N and 0 < s < N) or (r + s) % N == 0:
        return False
    R = add(mul(s, G), mul((r + s) % N, q))
    return R is not None and (e + R[0]) % N == r


def rec(m, r, s):
    return m + b32(r) + b32(s)


def main():
    # self-check on GB/T 32918.5 Annex A
    qa = mul(0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8, G)
    ra = 0xF5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3
    sa = 0xB1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA
    assert verify(qa, e_of(qa, b"message digest"), ra, sa)
    assert not verify(qa, e_of(qa, b"message digesT"), ra, sa)

    os.makedirs(out, exist_ok=True)
    seeds = {}
    keys = [("own", 0x5A17C0DE5A17C0DE5A17C0DE5A17C0DE5A17C0DE5A17C0DE5A17C0DE5A17C0DE),
            ("d=1", 1), ("d=2", 2), ("d=n-1", N - 1), ("d=n-2", N - 2)]
    for ki, (kname, d) in enumerate(keys):
        q = mul(d, G)
        key = b32(q[0]) + b32(q[1])
        valid = []
        for i in range(4):
            m = hashlib.sha256(b"sm2 seed %d %d" % (ki, i)).digest()
            if d == N - 1:
                # no SM2 private key (1 + d = n): over e only, since
                # s*G + t*(-G) = -r*G, with e = r - x(rG)
                r, s = int.from_bytes(m, "big") % N, 0x1000 + i
                e = (r - mul(r, G)[0]) % N
                m = b32(e)
            else:
                # as a message, then as e
                e = e_of(q, m) if i % 2 == 0 else int.from_bytes(m, "big")
                r, s = sign(d, e, 0x1000 + 7919 * i + ki)
            assert verify(q, e, r, s)
            valid.append((m, r, s))
        good = [rec(*v) for v in valid]
        seeds["%s-valid" % kname] = key + b"".join(good)
        m0, r0, s0 = valid[0]
        bad = []
        for name, v in EDGES.items():
            for which, (r, s) in (("r", (v, s0)), ("s", (r0, v)), ("rs", (v, v))):
                one = rec(m0, r, s)
                bad.append(one)
                if ki == 0:
                    seeds["%s-%s=%s" % (kname, which, name)] = key + one
                    seeds["%s-%s=%s-amid" % (kname, which, name)] = key + good[1] + one + good[2]
        bad.append(rec(m0, r0, (N - r0) % N))
        bad.append(rec(m0, valid[1][1], s0))
        bad.append(rec(m0, s0, r0))
        for name, one in (("t=0", bad[-3]), ("r-of-another", bad[-2]), ("swapped", bad[-1])):
            seeds["%s-%s" % (kname, name)] = key + good[1] + one + good[3]
        mixed = []
        for i, one in enumerate(bad):
            mixed += [one, good[i % 4]]
        seeds["%s-edges" % kname] = key + b"".join(mixed[:64])

    # x1 >= n: R = P with x(P) = n + 4, Q = t^-1 (P - sG), e = r - x1
    x = N
    while True:
        rhs = (x ** 3 + A * x + B) % P
        y = pow(rhs, (P + 1) // 4, P)
        if y * y % P == rhs:
            break
        x += 1
    s, t = 0x61B339FF248174E5598B88DBAA99E07987751D4CA8501E2C44DCDA6A797D76DF, 0x75CFDD66CF72F858A4B66F8C4627E0DB5C41DC25E53AE7A5E7DB9A1102A3D9F3
    sg = mul(s, G)
    q = mul(pow(t, -1, N), add((x, y), (sg[0], (-sg[1]) % P)))
    r = (t - s) % N
    e = (r - x) % N
    assert verify(q, e, r, s) and add(mul(s, G), mul(t, q))[0] >= N
    seeds["x1-ge-n"] = b32(q[0]) + b32(q[1]) + rec(b32(e), r, s) + rec(b32((e + 1) % N), r, s)
    # R at infinity
    seeds["R-infinity"] = b32(G[0]) + b32(G[1]) + rec(b32(0), N - 2, 1) + rec(b32(5), N - 2, 1)

    for name, data in seeds.items():
        with open(os.path.join(out, "seed-" + name), "wb") as f:
            f.write(data)
    print("%d seeds in %s" % (len(seeds), out))


main()
