#!/usr/bin/env python3
"""helper.py: byte-level helpers for make.sh (the adversarial corpus).

  qr FILE                 token in FILE -> QR text "hc:/..." (no newline)
  deflate MODE FILE       FILE -> raw|stored|zlib|gzip|trailing|nofinal bytes
  b64u FILE               FILE -> unpadded base64url
  sig TOKENFILE OP        token with its signature replaced (see SIG_OPS)
  grid OUT COLS PNG...    PNGs (8-bit gray, from hc-issue) side by side
  bigpng OUT W H          a PNG header claiming W x H pixels
  pad FILE N              FILE padded with spaces to exactly N bytes
  flipy                   JWK on stdin -> the same with one bit of y flipped
                          (a point that is not on the curve)
  dcc KEY KIDHEX IAT EXP [der|tamper]
                          an EU DCC (vaccination of "Muster, Erika") as QR
                          text "HC1:...": COSE_Sign1 with alg ES256 and kid
                          in the protected header, signed with the P-256
                          KEY (PEM) by the openssl command line, raw r||s
                          (der: the DER signature; tamper: its last byte
                          changed), zlib, base45
  shc TOKENFILE [N]       token -> "shc:/..." text, or N chunk lines
                          "shc:/I/N/..." (the digits cut in N parts)

Only the standard library; nothing here is under test.
"""
import base64
import struct
import sys
import zlib

# P-256 group order
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def qr(tok):
    return "hc:/" + "".join("%02d" % (ord(c) - 45) for c in tok)


def deflate(mode, data):
    if mode == "raw":
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        return c.compress(data) + c.flush()
    if mode == "stored":  # one stored block: bytes appear as they are
        c = zlib.compressobj(0, zlib.DEFLATED, -15)
        return c.compress(data) + c.flush()
    if mode == "zlib":
        return zlib.compress(data, 9)
    if mode == "gzip":
        c = zlib.compressobj(9, zlib.DEFLATED, 31)
        return c.compress(data) + c.flush()
    if mode == "trailing":  # a complete stream, then bytes after its end
        return deflate("raw", data) + b"\x00garbage"
    if mode == "nofinal":  # stored, BFINAL cleared: the stream never ends
        b = bytearray(deflate("stored", data))
        b[0] &= 0xFE
        return bytes(b)
    raise SystemExit("deflate: unknown mode " + mode)


def i2b(v):
    return v.to_bytes(32, "big")


def sig_op(tok, op):
    h, p, s = tok.split(".")
    sig = unb64u(s)
    r, sv = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    ops = {
        "r0": lambda: i2b(0) + i2b(sv),
        "s0": lambda: i2b(r) + i2b(0),
        "rn": lambda: i2b(N) + i2b(sv),
        "sn": lambda: i2b(r) + i2b(N),
        "rmax": lambda: i2b(2**256 - 1) + i2b(sv),
        "smax": lambda: i2b(r) + i2b(2**256 - 1),
        "rnm1": lambda: i2b(N - 1) + i2b(sv),
        "snm1": lambda: i2b(r) + i2b(N - 1),
        "highs": lambda: i2b(r) + i2b(N - sv),
        "flip": lambda: sig[:63] + bytes([sig[63] ^ 1]),
        "b65": lambda: sig + b"\x00",
        "b63": lambda: sig[:63],
    }
    if op == "pad":  # padded base64url: "==" is not part of the alphabet
        return "%s.%s.%s==" % (h, p, s)
    if op == "std":  # standard-alphabet base64 with '/' (47 frames, '+' cannot)
        t = base64.b64encode(sig).decode().rstrip("=")
        if "/" not in t:
            t = t[:10] + "/" + t[11:]
        return "%s.%s.%s" % (h, p, t.replace("+", "/"))
    if op == "noncanon":  # same bytes, non-zero leftover bits in the last char
        a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        return "%s.%s.%s%s" % (h, p, s[:-1], a[a.index(s[-1]) | 1])
    if op not in ops:
        raise SystemExit("sig: unknown op " + op)
    return "%s.%s.%s" % (h, p, b64u(ops[op]()))


def read_png(path):
    """1- or 8-bit grayscale, non-interlaced PNG -> (w, h, rows of 8-bit)."""
    d = open(path, "rb").read()
    assert d[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w = 8, b"", None
    while pos < len(d):
        n, t = struct.unpack(">I4s", d[pos:pos + 8])
        body = d[pos + 8:pos + 8 + n]
        if t == b"IHDR":
            w, h, depth, ct, _, _, il = struct.unpack(">IIBBBBB", body)
            assert depth in (1, 8) and ct == 0 and il == 0, "not 1- or 8-bit gray"
        elif t == b"IDAT":
            idat += body
        pos += 12 + n
    st = (w * depth + 7) // 8  # bytes a row; filters work on bytes
    raw, rows, prev = zlib.decompress(idat), [], bytearray(st)
    for y in range(h):
        f, line = raw[y * (st + 1)], bytearray(raw[y * (st + 1) + 1:(y + 1) * (st + 1)])
        for x in range(st):
            a = line[x - 1] if x else 0
            b, c = prev[x], (prev[x - 1] if x else 0)
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        prev = line
        if depth == 1:
            line = bytearray(255 if line[x >> 3] >> (7 - (x & 7)) & 1 else 0 for x in range(w))
        rows.append(line)
    return w, h, rows


def chunk(t, body):
    return struct.pack(">I", len(body)) + t + body + struct.pack(">I", zlib.crc32(t + body))


def write_png(path, w, h, rows):
    raw = b"".join(b"\x00" + bytes(r) for r in rows)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def grid(out, cols, paths):
    imgs = [read_png(p) for p in paths]
    cw, ch = max(i[0] for i in imgs), max(i[1] for i in imgs)
    nrows = (len(imgs) + cols - 1) // cols
    W, H = cw * cols, ch * nrows
    canvas = [bytearray(b"\xff" * W) for _ in range(H)]
    for k, (w, h, rows) in enumerate(imgs):
        ox, oy = (k % cols) * cw, (k // cols) * ch
        for y in range(h):
            canvas[oy + y][ox:ox + w] = rows[y]
    write_png(out, W, H, canvas)


B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def b45(b):
    out = ""
    for i in range(0, len(b), 2):
        v = int.from_bytes(b[i:i + 2], "big")
        out += B45[v % 45] + B45[v // 45 % 45] + (B45[v // 2025] if i + 1 < len(b) else "")
    return out


def cbor_head(mt, v):
    if v < 24:
        return bytes([mt << 5 | v])
    for ai, n in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if v < 1 << (8 * n):
            return bytes([mt << 5 | ai]) + v.to_bytes(n, "big")
    raise ValueError(v)


def cbor(x):
    if isinstance(x, bool) or x is None:
        raise ValueError(x)
    if isinstance(x, int):
        return cbor_head(0, x) if x >= 0 else cbor_head(1, -1 - x)
    if isinstance(x, bytes):
        return cbor_head(2, len(x)) + x
    if isinstance(x, str):
        b = x.encode()
        return cbor_head(3, len(b)) + b
    if isinstance(x, list):
        return cbor_head(4, len(x)) + b"".join(cbor(e) for e in x)
    if isinstance(x, dict):
        return cbor_head(5, len(x)) + b"".join(cbor(k) + cbor(v) for k, v in x.items())
    raise ValueError(x)


def der_to_rs(d):
    # SEQUENCE { INTEGER r, INTEGER s } -> 32-byte r || 32-byte s
    assert d[0] == 0x30
    i = 2 if d[1] < 0x80 else 3
    out = b""
    for _ in range(2):
        assert d[i] == 0x02
        n = d[i + 1]
        out += int.from_bytes(d[i + 2:i + 2 + n], "big").to_bytes(32, "big")
        i += 2 + n
    return out


def dcc(key, kid, iat, exp, mode):
    import subprocess
    hcert = {"ver": "1.3.0", "nam": {"fn": "Muster", "fnt": "MUSTER", "gn": "Erika", "gnt": "ERIKA"},
             "dob": "1964-08-12",
             "v": [{"tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528", "ma": "ORG-100030215",
                    "dn": 2, "sd": 2, "dt": "2026-05-29", "co": "AT", "is": "Ministry of Health",
                    "ci": "URN:UVCI:01:AT:ADVERSARIAL#1"}]}
    payload = cbor({1: "AT", 6: iat, 4: exp, -260: {1: hcert}})
    prot = cbor({1: -7, 4: bytes.fromhex(kid)})
    tbs = cbor(["Signature1", prot, b"", payload])
    der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=tbs,
                         capture_output=True, check=True).stdout
    sig = der if mode == "der" else der_to_rs(der)
    if mode == "tamper":
        sig = sig[:-1] + bytes([sig[-1] ^ 1])
    cose = b"\xd2" + cbor([prot, {}, payload, sig])
    return "HC1:" + b45(zlib.compress(cose, 9))


def shc(tok, n):
    d = "".join("%02d" % (ord(c) - 45) for c in tok)
    if n == 1:
        return "shc:/" + d
    step = (len(d) // n) & ~1
    parts = [d[i * step:(i + 1) * step] if i < n - 1 else d[i * step:] for i in range(n)]
    return "\n".join("shc:/%d/%d/%s" % (i + 1, n, p) for i, p in enumerate(parts))


def main():
    a = sys.argv[1:]
    out = sys.stdout.buffer
    if a[0] == "qr":
        out.write(qr(open(a[1]).read().strip()).encode())
    elif a[0] == "deflate":
        out.write(deflate(a[1], open(a[2], "rb").read()))
    elif a[0] == "b64u":
        out.write(b64u(open(a[1], "rb").read()).encode())
    elif a[0] == "sig":
        out.write(sig_op(open(a[1]).read().strip(), a[2]).encode() + b"\n")
    elif a[0] == "grid":
        grid(a[1], int(a[2]), a[3:])
    elif a[0] == "bigpng":
        with open(a[1], "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" +
                    chunk(b"IHDR", struct.pack(">IIBBBBB", int(a[2]), int(a[3]), 8, 0, 0, 0, 0)) +
                    chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
    elif a[0] == "pad":
        d = open(a[1], "rb").read()
        out.write(d + b" " * (int(a[2]) - len(d)))
    elif a[0] == "flipy":
        import json
        k = json.load(sys.stdin)
        y = bytearray(unb64u(k["y"]))
        y[31] ^= 1
        k["y"] = b64u(bytes(y))
        out.write(json.dumps(k, separators=(",", ":")).encode())
    elif a[0] == "dcc":
        out.write(dcc(a[1], a[2], int(a[3]), int(a[4]), a[5] if len(a) > 5 else "").encode())
    elif a[0] == "shc":
        out.write(shc(open(a[1]).read().strip(), int(a[2]) if len(a) > 2 else 1).encode())
    else:
        raise SystemExit("helper.py: unknown command " + a[0])


if __name__ == "__main__":
    main()
