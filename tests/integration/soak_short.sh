#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The two-minute soak of `make test` (make soak runs 30 minutes under
# ASan+LSan): 10 ms probing, five targets and a server; RSS flat, no fd
# growth, no sanitizer report.  See tests/lib/soak.sh.
exec bash "$(dirname "$0")/../lib/soak.sh" "${BB_SOAK_SECONDS:-120}"
