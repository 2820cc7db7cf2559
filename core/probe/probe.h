/* SPDX-License-Identifier: MIT */
/*
 * A probe kind is one const struct probe_ops (STYLE.md "Plug-ins are const
 * tables").  An instance measures one target from one worker thread: open()
 * creates its sockets and libev watchers on that worker's loop, send() fires
 * one probe now, and every finished probe (reply, timeout or error) is handed
 * to emit() on the same thread as one struct bb_sample.  plan() turns the
 * configuration into targets.  Adding a probe kind is adding a file (ops,
 * plan) and a row in kind_table[] (core/probe/kind.c); the in-flight table
 * with timeouts, late and duplicate replies is core/probe/inflight.h.
 *
 * Rules every probe keeps: nothing blocks (no getaddrinfo, no blocking
 * connect); the receive time is the kernel's RX timestamp; a reply that
 * arrives after its timeout is emitted with BB_SAMPLE_LATE, a second reply
 * with BB_SAMPLE_DUPLICATE (such annotation samples are never counted as new
 * probes downstream); close() emits nothing.
 */
#ifndef BB_PROBE_H
#define BB_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/base/sample.h"

struct ev_loop;
struct probe;

typedef void (*probe_emit_fn)(void *ctx, const struct bb_sample *s);

/* --- udp echo (core/probe/probe_echo.c) --- companion-server session and the
 * tests scheduled on it; all zero for other kinds.  Holds the shared secret:
 * whoever fills it wipes it (sodium_memzero) when done. */
struct probe_server {
	uint8_t key[32];	  /* shared secret (never logged) */
	uint8_t client_id[8];	  /* this install's id (PROTOCOL.md) */
	int64_t tput_every_ns[3]; /* small, medium, large; 0 = off */
	uint32_t tput_bytes[3];
	uint32_t chunk_bytes;	/* UDP payload of DATA packets */
	int64_t tput_first_ns;	/* first test this long after open */
	int64_t bloat_every_ns; /* 0 = off, < 0 = once, right away */
	int64_t bloat_first_ns; /* first test this long after open */
	int64_t bloat_load_ns;	/* length of each load phase */
	uint8_t bloat_kind;	/* 1 upload, 2 download, 3 all three */
	int64_t bloat_echo_ns;	/* echo step under load (0 = 20 ms) */
};
/* --- end udp echo --- */

/* Everything one probe instance needs to know; plain data. */
struct probe_target {
	enum bb_probe_kind kind;
	char name[BB_TARGET_LEN];      /* display name, copied into samples */
	char interface[BB_IFNAME_LEN]; /* SO_BINDTODEVICE when non-empty */
	struct sockaddr_storage addr;  /* resolved address; port for tcp/dns */
	socklen_t addr_len;
	int64_t timeout_ns;	 /* a probe without reply by then is lost */
	char dns_domain[128];	 /* dns: zone for random-label test names */
	int path_max_ttl;	 /* path: highest TTL tried */
	bool path_udp;		 /* path: UDP datagrams instead of echoes */
	struct probe_server srv; /* udp echo only (core/probe/probe_echo.c) */
};

struct probe_ops {
	const char *name;
	enum bb_probe_kind kind;
	/* Open sockets, register watchers on loop; 0 or -errno with a reason
	 * in err. */
	int (*open)(struct ev_loop *loop, const struct probe_target *target,
		    probe_emit_fn emit, void *emit_ctx, struct probe **out,
		    char *err, size_t errlen);
	/* Send one probe now; deadline_ns is when it was scheduled
	 * (monotonic), so the sample can carry its send-time error. */
	void (*send)(struct probe *p, int64_t deadline_ns);
	/* Stop watchers, close sockets, free; in-flight probes are dropped. */
	void (*close)(struct probe *p);
	/* Optional: act on a front end's request (enum probe_command) on the
	 * worker's thread; 0, or -ENOTSUP when this kind has no such thing. */
	int (*command)(struct probe *p, int command);
};

/* What every open() checks first: an IPv4/IPv6 address and a positive
 * timeout; 0, or -EAFNOSUPPORT / -EINVAL with the target named in err. */
int probe_check_target(const struct probe_target *t, char *err, size_t errlen);

/* A target list entry "name=host" or "host": the display name and the
 * host (both the entry when it has no '='), truncated to their sizes. */
void probe_split_named(const char *entry, char *name, size_t namelen,
		       char *host, size_t hostlen);

/* Requests a front end can send to running probes (engine_command). */
enum probe_command {
	PROBE_CMD_BLOAT_NOW = 1,    /* udp_echo: run a bufferbloat test now */
	PROBE_CMD_BLOAT_CANCEL = 2, /* udp_echo: stop it (or the request) */
};

/* The longest our own test may load the line: a bufferbloat test of the
 * longest test_duration_s (600 s) plus its idle part and recoveries
 * (< 20 s), with margin.  A BB_SAMPLE_LOAD_START marker states its own
 * test's bound in rtt_ns (BB_NONE: this one); the worker ends the span
 * itself at the smaller of the two if no end marker came. */
#define PROBE_LOAD_MAX_NS (660LL * 1000000000LL)

/* One probe a kind's plan() asks for. */
struct probe_want {
	const char *name;	   /* display name */
	const char *host;	   /* literal or name; NULL: no address yet */
	int port;		   /* 0 for icmp */
	bool resolve_later;	   /* host did not resolve: the engine will */
	int64_t interval_ns;	   /* how often it is sent */
	int64_t follow_gateway_ns; /* > 0: the default gateway, re-detected */
	/* Known already (a detected gateway): used instead of host. */
	const struct sockaddr_storage *addr;
	socklen_t addr_len;
};

struct bb_config;

/* What a kind's plan() sees and calls: the configuration, the interface
 * being planned, and the engine's plan to add to (core/engine/plan.c). */
struct probe_planner {
	const struct bb_config *cfg;
	const char *ifname;  /* "" = default route */
	int64_t interval_ns; /* general.test_interval_ms */
	int64_t timeout_ns;  /* general.probe_timeout_ms */
	/* Add a probe of kind; a host that does not resolve yet is resolved
	 * again in the background (a warning says so).  Returns the target
	 * to complete (dns zone, server secret), or NULL when the plan is
	 * full. */
	struct probe_target *(*add)(struct probe_planner *pl,
				    enum bb_probe_kind kind,
				    const struct probe_want *w);
	/* One line of warning for the user (no newline). */
	void (*warn)(struct probe_planner *pl, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));
	char *err; /* reason for -EINVAL (a bad entry) */
	size_t errlen;
	void *ctx; /* the planner's own state */
};

/* Each periodic kind's plan (core/probe/kind.c's plan column): 0, -E2BIG
 * when the plan is full, -EINVAL with a reason in pl->err. */
int probe_icmp_plan(struct probe_planner *pl);
int probe_dns_plan(struct probe_planner *pl);
int probe_tcp_plan(struct probe_planner *pl);
int srvclient_plan(struct probe_planner *pl);	  /* udp_echo (srvclient.c) */
int probe_traffic_plan(struct probe_planner *pl); /* core/probe/traffic.c */
int probe_path_plan(struct probe_planner *pl);

extern const struct probe_ops probe_icmp_ops;
extern const struct probe_ops probe_dns_ops;
extern const struct probe_ops probe_tcp_ops;
extern const struct probe_ops probe_echo_ops;	 /* core/probe/probe_echo.c */
extern const struct probe_ops probe_traffic_ops; /* core/probe/traffic.c */
extern const struct probe_ops probe_path_ops;	 /* core/probe/probe_path.c */

#endif
