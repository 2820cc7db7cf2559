// SPDX-License-Identifier: MIT
/*
 * The advice table (see advice.h).  Each sentence says what to do, or
 * that there is nothing to do at home, in the words of the verdicts; a
 * sentence already in the buffer is not said twice.
 */
#include "core/analysis/advice.h"

#include <stdio.h>
#include <string.h>

static const char *const advice_table[ADVICE_COUNT] = {
	[ADVICE_NO_SESSION] = "Check that bufferbane-server runs there with "
			      "the same key and that its UDP port{port} is "
			      "open.",
	[ADVICE_NO_SERVER] = "Start bufferbane-server there (systemctl start "
			     "bufferbane-server) or check that it listens on "
			     "UDP port{port}.",
	[ADVICE_LOCAL_LINK] = "Check that link's WiFi signal or cable, or use "
			      "the other one.",
	[ADVICE_HOME] = "The fault is between you and the router: check the "
			"WiFi signal or use a cable.",
	[ADVICE_ROUTING] = "Nothing to fix at home: only that destination is "
			   "affected, not your line.",
	[ADVICE_UNREACHABLE] = "If the other targets answer, that host is down "
			       "or ignores pings, not your line.",
	[ADVICE_LINE] = "The line drops; note the times and report them to "
			"your ISP (bufferbane report).",
	[ADVICE_LINE_OR_HOME] = "If your WiFi and router are fine, the line "
				"drops: report the times to your ISP "
				"(bufferbane report).",
	[ADVICE_NO_ROUTE] = "Check this computer's connection (cable, WiFi, "
			    "DHCP); the line is measured again once it has "
			    "a default route.",
	[ADVICE_DELAY] = "If the line was busy then, enable SQM (cake) on the "
			 "router; if not, report the times to your ISP.",
	[ADVICE_UPLOAD] = "If nothing else at home was uploading, report the "
			  "slow upload and its times to your ISP (bufferbane "
			  "report).",
	[ADVICE_DOWNLOAD] = "If nothing else at home was downloading, report "
			    "the slow download and its times to your ISP "
			    "(bufferbane report).",
	[ADVICE_DNS] = "Use another DNS resolver, set in the router or on this "
		       "computer.",
	[ADVICE_CONN] = "If other sites connect, that service or a firewall "
			"is at fault, not your line.",
	[ADVICE_BLOAT] = "Enable SQM (cake) on the router, shaped a little "
			 "below the line's rate.",
	[ADVICE_PEAK] = "The line is congested in the evenings: report it to "
			"your ISP (bufferbane report --last 7d).",
};

const char *advice_text(enum advice a)
{
	return a >= 0 && a < ADVICE_COUNT ? advice_table[a] : NULL;
}

void advice_add(char *buf, size_t len, enum advice a, int port)
{
	const char *t = advice_text(a), *mark;
	char s[256], num[16] = "";
	if (!t || !len)
		return;
	if (port > 0)
		snprintf(num, sizeof(num), " %d", port);
	mark = strstr(t, "{port}");
	if (mark)
		snprintf(s, sizeof(s), "%.*s%s%s", (int)(mark - t), t, num,
			 mark + 6);
	else
		snprintf(s, sizeof(s), "%s", t);
	if (strstr(buf, s))
		return;
	size_t used = strnlen(buf, len);
	if (used + 1 < len)
		snprintf(buf + used, len - used, "%s%s", used ? " " : "", s);
}
