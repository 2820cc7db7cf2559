// SPDX-License-Identifier: MIT
/*
 * Echo capacity of bufferbane-server on one worker: the real server
 * ($BB_SERVER_BIN, default ./bufferbane-server) pinned to CPU 0 with rate
 * limiting off, the load generator pinned to CPU 1 keeping a window of
 * echo requests in flight over loopback (pre-sealed, so the generator's
 * own crypto is not in the measurement loop).  Reports replies/s (median
 * of 3 runs of 2 s) and the server's CPU time per 1000 echoes from
 * /proc/PID/stat (utime + stime, 10 ms ticks).  With one generator socket
 * the generator is usually the bottleneck, so the CPU figure, and the
 * per-core capacity derived from it, is the one to compare.  A figure, never a
 * pass/fail limit.  Loopback only.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "proto/wire.h"
#include "tests/lib/bbclient.h"

#define RUNS	  3
#define RUN_NS	  2000000000LL
#define WINDOW	  256
#define PRESEALED 2000000
#define REQ_LEN	  (WIRE_MIN_PACKET + 16)

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* utime + stime of pid in seconds. */
static double cpu_seconds(pid_t pid)
{
	char path[64], buf[2048];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	unsigned long ut = 0, st = 0;
	/* fields after the command: state is 3rd; utime 14th, stime 15th */
	if (p &&
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		   &ut, &st) == 2)
		return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	return 0;
}

static pid_t start_server(const char *bin, const char *dir, char *server,
			  size_t len, uint8_t key[WIRE_KEY_LEN])
{
	char path[128], log[128], conf[512], hex[WIRE_KEY_LEN * 2 + 1];
	randombytes_buf(key, WIRE_KEY_LEN);
	sodium_bin2hex(hex, sizeof(hex), key, WIRE_KEY_LEN);
	snprintf(path, sizeof(path), "%s/key", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%s\n", hex);
	fclose(f);
	chmod(path, 0600);
	snprintf(conf, sizeof(conf),
		 "general = { workers = 1; max_concurrent_clients = 16; };\n"
		 "security = { shared_secret_file = \"%s\";\n"
		 "  enable_rate_limiting = false; };\n"
		 "logging = { stats_interval_s = 0; };\n",
		 path);
	snprintf(path, sizeof(path), "%s/conf", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(conf, f);
	fclose(f);
	snprintf(log, sizeof(log), "%s/log", dir);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pin(0);
		if (!freopen(log, "w", stderr))
			_exit(127);
		execl(bin, bin, "-c", path, "--bind", "127.0.0.1:0",
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		char line[512];
		f = fopen(log, "r");
		while (f && fgets(line, sizeof(line), f)) {
			char *p = strstr(line, "listening on 127.0.0.1:");
			if (p) {
				snprintf(server, len, "127.0.0.1:%d",
					 atoi(p + 23));
				fclose(f);
				return pid;
			}
		}
		if (f)
			fclose(f);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	return -1;
}

/* One run: returns replies per second, and server CPU s in *cpu. */
static double run_once(struct bbclient *c, uint8_t (*pkts)[REQ_LEN],
		       size_t *next, pid_t pid, double *cpu,
		       unsigned long *replies_out)
{
	int fd = bbclient_fd(c);
	uint8_t buf[2048];
	unsigned long replies = 0;
	long inflight = 0;
	double cpu0 = cpu_seconds(pid);
	int64_t t0 = mono_ns(), last_rx = t0, now = t0;
	while ((now = mono_ns()) - t0 < RUN_NS && *next < PRESEALED) {
		while (inflight < WINDOW && *next < PRESEALED) {
			if (bbclient_send_raw(c, pkts[*next], REQ_LEN) < 0)
				break;
			(*next)++;
			inflight++;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 10) > 0) {
			while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
				replies++;
				inflight--;
			}
			last_rx = mono_ns();
		} else if (mono_ns() - last_rx > 20000000LL) {
			inflight = 0; /* losses: refill the window */
		}
	}
	double secs = (double)(mono_ns() - t0) / 1e9;
	/* let the server finish the queue before reading its CPU time */
	while (poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, 50) > 0)
		while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			replies++;
	*cpu = cpu_seconds(pid) - cpu0;
	*replies_out = replies;
	return (double)replies / secs;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(void)
{
	const char *bin = getenv("BB_SERVER_BIN");
	if (!bin)
		bin = "./bufferbane-server";
	if (access(bin, X_OK) != 0 || wire_init() < 0) {
		printf("bench_server: no server binary at %s, skipped\n", bin);
		return 0;
	}
	char dir[] = "/tmp/bbbench.XXXXXX", server[64], cmd[128];
	uint8_t key[WIRE_KEY_LEN];
	if (!mkdtemp(dir))
		return 1;
	pid_t pid = start_server(bin, dir, server, sizeof(server), key);
	if (pid < 0) {
		fprintf(stderr, "bench_server: server did not start\n");
		return 1;
	}
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu > 1)
		pin(1);
	struct bbclient *c = bbclient_new("127.0.0.1", server, key, NULL);
	struct wire_msg ack;
	if (!c || bbclient_knock(c, &ack, 2000) != 0) {
		fprintf(stderr, "bench_server: knock failed\n");
		kill(pid, SIGKILL);
		return 1;
	}
	uint8_t(*pkts)[REQ_LEN] = malloc((size_t)PRESEALED * REQ_LEN);
	if (!pkts)
		return 1;
	for (size_t i = 0; i < PRESEALED; i++) {
		struct wire_msg q = { .type = WIRE_ECHO_REQUEST };
		q.u.echo_request.seq = (uint32_t)i;
		bbclient_seal(c, &q, 0, pkts[i], REQ_LEN);
	}
	size_t next = 0;
	double rate[RUNS], cpu_per_k[RUNS];
	for (int i = 0; i < RUNS; i++) {
		double cpu;
		unsigned long replies;
		rate[i] = run_once(c, pkts, &next, pid, &cpu, &replies);
		cpu_per_k[i] = replies ? cpu * 1e3 / (double)replies * 1000 : 0;
	}
	qsort(rate, RUNS, sizeof(double), cmp);
	qsort(cpu_per_k, RUNS, sizeof(double), cmp);
	printf("server echo, 1 worker on cpu 0, generator on cpu %d, window "
	       "%d, %d-byte requests\n",
	       ncpu > 1 ? 1 : 0, WINDOW, REQ_LEN);
	printf("server echo: %.0f replies/s median of %d (min %.0f, max "
	       "%.0f)\n",
	       rate[RUNS / 2], RUNS, rate[0], rate[RUNS - 1]);
	/* ms per 1000 echoes == us per echo */
	printf("server cpu: %.2f ms per 1000 echoes (median; %.1f us each), "
	       "so about %.0f echoes/s per fully busy core\n",
	       cpu_per_k[RUNS / 2], cpu_per_k[RUNS / 2],
	       cpu_per_k[RUNS / 2] > 0 ? 1e6 / cpu_per_k[RUNS / 2] : 0);
	bbclient_free(c);
	free(pkts);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
