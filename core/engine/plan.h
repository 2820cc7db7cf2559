/* SPDX-License-Identifier: MIT */
/*
 * From configuration to the engine's probe plan: which probe kinds run
 * against which targets, through which interfaces, how often.  Names are
 * resolved here, once, before any loop runs (a probe must never block on
 * getaddrinfo); the gateway is detected here too.  What is not there yet
 * (DNS down, no default route) stays planned without an address for the
 * engine to resolve or detect later.
 */
#ifndef BB_PLAN_H
#define BB_PLAN_H

#include <stddef.h>

#include "core/base/config.h"
#include "core/engine/engine.h"

/* Fill out from cfg.  Targets that cannot be resolved or detected are left
 * out and described in warnings (one per line); an empty plan or a bad
 * entry is an error: -EINVAL with a reason in err. */
int plan_build(const struct bb_config *cfg, struct engine_plan *out,
	       char *warnings, size_t warnlen, char *err, size_t errlen);
/* Resolve host (literal or name) to an address with port; 0 or -errno. */
int plan_resolve(const char *host, int port, struct sockaddr_storage *out,
		 socklen_t *outlen, char *err, size_t errlen);

#endif
