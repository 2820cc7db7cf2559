#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Independent check of tests/vectors/wire_v1.txt.

Written from design/PROTOCOL.md alone, sharing no code with proto/: the
header is rebuilt with struct, the plaintext from each type's field layout,
and the AEAD is OpenSSL's ChaCha20-Poly1305 (RFC 8439) through the Python
'cryptography' package.  Exit 0 when every vector matches; 77 (skip) when
'cryptography' is missing.  Usage: check_vectors.py [FILE]
"""
import struct
import sys

try:
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
except ImportError:
    print("python3 cryptography package not installed")
    sys.exit(77)

# type -> list of (field name, struct code); "data"/"message" run to the end.
LAYOUT = {
    0x01: [("unix_time", "Q")],
    0x02: [("session_id", "I"), ("valid_until", "I")],
    0x10: [("seq", "I"), ("client_send_ns_low", "I"), ("token", "Q")],
    0x11: [("seq", "I"), ("client_send_ns_low", "I"), ("token", "Q"),
           ("server_rx_ns", "Q"), ("server_tx_ns", "Q")],
    0x20: [("test_id", "I"), ("target_bytes", "I"), ("expected_ms", "I")],
    0x21: [("test_id", "I"), ("chunk_seq", "I"), ("data", None)],
    0x22: [("test_id", "I"), ("total_bytes_sent", "I")],
    0x23: [("test_id", "I"), ("bytes_rx", "I"), ("duration_ms", "I"),
           ("kbps", "I"), ("packets_rx", "I"), ("packets_lost", "I")],
    0x30: [("test_id", "I"), ("bytes", "I"), ("rate_kbps", "I")],
    0x31: [("test_id", "I"), ("chunk_seq", "I"), ("data", None)],
    0x32: [("test_id", "I"), ("total_bytes_sent", "I")],
    0x40: [("test_id", "I"), ("kind", "B"), ("reserved", "3s")],
    0x41: [("test_id", "I")],
    0xFF: [("code", "B"), ("message", None)],
}
EXT = {0x11: [("requests_seen", "I"), ("highest_seq", "I")],
       0x32: [("chunks_sent", "I")]}
# Revision 2 (rule 8): KNOCK_ACK and every request except THROUGHPUT_DATA
# carry a 16-byte cookie right after the fixed fields, before any padding.
COOKIE_TYPES = {0x02, 0x10, 0x20, 0x22, 0x30, 0x40, 0x41}


def unhex(s):
    return b"" if s == "-" else bytes.fromhex(s)


def expected_plaintext(t, fields):
    layout = list(LAYOUT[t])
    if t in EXT and int(fields.get("has_ext", "0")):
        layout += EXT[t]
    if int(fields.get("has_cookie", "0")):
        assert t in COOKIE_TYPES, "cookie on type 0x%02x" % t
        layout += [("cookie", "16s")]
    out = b""
    for name, code in layout:
        if code is None:
            out += unhex(fields[name])
        elif name == "reserved":
            out += b"\0\0\0"
        elif name == "cookie":
            c = unhex(fields[name])
            assert len(c) == 16, "cookie length"
            out += c
        else:
            out += struct.pack(">" + code, int(fields[name]))
    return out


def check(path):
    key = cid = None
    vectors, cur = [], None
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word == "key":
            key = bytes.fromhex(rest)
        elif word == "client_id":
            cid = bytes.fromhex(rest)
        elif word == "vector":
            cur = {"name": rest, "fields": {}}
        elif word == "field":
            n, _, v = rest.partition(" ")
            cur["fields"][n] = v
        elif word == "end":
            vectors.append(cur)
            cur = None
        else:
            cur[word] = rest
    aead = ChaCha20Poly1305(key)
    types, cookie_types = set(), set()
    for v in vectors:
        t = int(v["type"], 16)
        ts = int(v["nonce_ts"])
        pt = expected_plaintext(t, v["fields"]) + unhex(v["pad"])
        assert pt == unhex(v["plaintext"]), v["name"] + ": plaintext"
        hdr = struct.pack(">IBBH8sQ", 0x4246424E, 1, t, len(pt) + 16, cid,
                          ts)
        nonce = cid[:4] + struct.pack(">Q", ts)
        pkt = hdr + aead.encrypt(nonce, pt, hdr)
        assert pkt == unhex(v["packet"]), v["name"] + ": packet"
        assert aead.decrypt(nonce, pkt[24:], pkt[:24]) == pt
        types.add(t)
        if int(v["fields"].get("has_cookie", "0")):
            cookie_types.add(t)
    missing = set(LAYOUT) - types
    assert not missing, "no vector for types %s" % sorted(missing)
    uncooked = COOKIE_TYPES - cookie_types
    assert not uncooked, "no cookie vector for types %s" % sorted(uncooked)
    print("%d vectors OK, all %d types covered" % (len(vectors), len(types)))


check(sys.argv[1] if len(sys.argv) > 1 else "tests/vectors/wire_v1.txt")
