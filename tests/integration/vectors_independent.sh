#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The wire test vectors re-derived by an independent implementation written
# from PROTOCOL.md alone (Python + OpenSSL's ChaCha20-Poly1305), so a vector
# file that merely mirrors our own code cannot pass.
. "$(dirname "$0")/../lib/common.sh"
# Debian's interpreter, which sees python3-cryptography (a pyenv one may not).
exec /usr/bin/python3 "$BB_TOP/tests/vectors/check_vectors.py" "$BB_TOP/tests/vectors/wire_v1.txt"
