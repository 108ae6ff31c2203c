#!/usr/bin/env python3
"""reg_inputs.py: the inputs a registry of schema version 2 keeps in each
person's row (issuer/registry_sqlite_row.c's blob) and their visits (in
visit_inputs), for the test scripts.

  reg_inputs.py DB                       one line an input, in the order
                                         supplied: KEY TAB KIND TAB JSON
  reg_inputs.py DB append KIND JSON SRC  an input (not a visit) appended to
                                         every person,
                                         behind the service's back (at 0, no
                                         cause)
"""
import sqlite3
import struct
import sys

KINDS = ["nat", "vaccinations", "travel", "flags", "visits"]


def entries(blob):
    off = 0
    while off < len(blob):
        kind, at, nj, ns, nc = struct.unpack_from("<BqIHH", blob, off)
        off += 17
        json = blob[off:off + nj].decode()
        off += nj + ns + (0 if nc == 0xFFFF else nc)
        yield KINDS[kind], json


def main():
    db = sqlite3.connect(sys.argv[1])
    if len(sys.argv) == 2:
        for key, blob in db.execute("SELECT key, inputs FROM people ORDER BY key"):
            for kind, json in entries(blob):
                print(f"{key}\t{kind}\t{json}")
            for (json,) in db.execute("SELECT json FROM visit_inputs WHERE person = ?1"
                                      " ORDER BY seq", (key,)):
                print(f"{key}\tvisits\t{json}")
        return 0
    if len(sys.argv) == 6 and sys.argv[2] == "append":
        kind, json, src = KINDS.index(sys.argv[3]), sys.argv[4].encode(), sys.argv[5].encode()
        add = struct.pack("<BqIHH", kind, 0, len(json), len(src), 0xFFFF) + json + src
        with db:
            db.execute("UPDATE people SET inputs = inputs || ?1", (add,))
        return 0
    sys.stderr.write("usage: reg_inputs.py DB [append KIND JSON SOURCE]\n")
    return 2


sys.exit(main())
