#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A companion server that holds the key but lies in its figures.

Written from PROTOCOL.md (as tests/vectors/check_vectors.py): it answers a
KNOCK with a KNOCK_ACK and a cookie, every ECHO_REQUEST with an ECHO_REPLY
whose requests_seen/highest_seq start honest and then jump by 2^31 - 2, and
THROUGHPUT_END with the THROUGHPUT_STATS that overflowed a 32-bit sum into
"upload loss -100 %" (2^32 - 1 packets received, 2 lost).  A DOWNLOAD_REQUEST
gets 5 DATA chunks and a DOWNLOAD_END claiming 2 were sent.  Loopback only.
Usage: liar_server.py KEYHEX PORTFILE  (binds 127.0.0.1:0, writes the port)
"""
import os
import socket
import struct
import sys
import time

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

key = bytes.fromhex(sys.argv[1])
aead = ChaCha20Poly1305(key)
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 0))
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(sock.getsockname()[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])

last_nonce = 0
cookie = os.urandom(16)
echoes = 0


def seal(typ, cid, pt, addr):
    global last_nonce
    n = max(time.time_ns(), last_nonce + 1)
    n |= 1  # server nonces are odd (rule 1)
    last_nonce = n
    hdr = struct.pack(">4sBBH8sQ", b"BFBN", 1, typ, len(pt) + 16, cid, n)
    ct = aead.encrypt(cid[:4] + struct.pack(">Q", n), pt, hdr)
    sock.sendto(hdr + ct, addr)


while True:
    pkt, addr = sock.recvfrom(65535)
    rx = time.time_ns()
    if len(pkt) < 40 or pkt[:4] != b"BFBN":
        continue
    typ = pkt[5]
    cid = pkt[8:16]
    nonce_ts = struct.unpack(">Q", pkt[16:24])[0]
    try:
        pt = aead.decrypt(cid[:4] + struct.pack(">Q", nonce_ts), pkt[24:],
                          pkt[:24])
    except Exception:
        continue
    if typ == 0x01:  # KNOCK -> KNOCK_ACK with cookie
        seal(0x02, cid, struct.pack(">II", 7, int(time.time()) + 300) + cookie,
             addr)
    elif typ == 0x10:  # ECHO_REQUEST -> ECHO_REPLY, counters lie later
        seq, low, token = struct.unpack(">IIQ", pt[:16])
        echoes += 1
        seen = echoes if echoes <= 5 else (echoes + 0x7FFFFFFE) & 0xFFFFFFFF
        seal(0x11, cid, struct.pack(">IIQQQII", seq, low, token, rx,
                                    time.time_ns(), seen, seq), addr)
    elif typ == 0x22:  # THROUGHPUT_END -> the overflowing stats
        test_id = struct.unpack(">I", pt[:4])[0]
        seal(0x23, cid, struct.pack(">IIIIII", test_id, 1000, 1000, 8000,
                                    0xFFFFFFFF, 2), addr)
    elif typ == 0x30:  # DOWNLOAD_REQUEST -> 5 chunks, END says 2 were sent
        test_id = struct.unpack(">I", pt[:4])[0]
        for i in range(5):
            seal(0x31, cid, struct.pack(">II", test_id, i) + b"x" * 1000, addr)
        seal(0x32, cid, struct.pack(">III", test_id, 5000, 2), addr)
