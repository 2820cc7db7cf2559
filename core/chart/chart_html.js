/* SPDX-License-Identifier: MIT
 * Bufferbane's chart renderer, inlined into every HTML chart (chart_html.c).
 * It reads the JSON in #bb-data and draws on #plot; it fetches nothing and
 * writes text only through textContent.  Time kinds: a min-max band with
 * p50 and p95 lines per series (smokeping's smoke), loss marks under the
 * plot, events in a strip above it; hover shows a bucket's figures, drag
 * zooms, double-click resets, the legend toggles series.  window.bbChart
 * exposes the geometry for tests. */
'use strict';
(function () {
const D = JSON.parse(document.getElementById('bb-data').textContent);
const cv = document.getElementById('plot');
const tip = document.getElementById('tip');
const legend = document.getElementById('legend');
const rangeEl = document.getElementById('range');
const ctx = cv.getContext('2d');
const PAL = ['#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b',
	'#17becf', '#e377c2', '#7f7f7f', '#bcbd22'];  /* no red: red is loss */
const SEV = { critical: '#d62728', warning: '#ff9f1a', info: '#4a90d9' };
const PHASE = { upload: '#d62728', download: '#1f77b4', both: '#9467bd',
	idle: '#2ca02c', none: '#7f7f7f' };
const M = { l: 64, r: 18, t: 30, b: 46 };  /* margins; events strip on top */
const K = D.kind;
const TIME = ['latency_over_time', 'jitter_over_time', 'packet_loss_over_time',
	'throughput_over_time', 'bufferbloat_impact'].includes(K);

function cssv(n) {
	return getComputedStyle(document.documentElement).getPropertyValue(n).trim();
}
function el(tag, cls, text) {
	const e = document.createElement(tag);
	if (cls) e.className = cls;
	if (text !== undefined) e.textContent = text;
	return e;
}

/* --- local time of the recording, not of the reader ---------------- */
function zoneAt(t) {
	let z = D.zones[0];
	for (const x of D.zones) if (x[0] <= t) z = x;
	return z;
}
const p2 = n => String(n).padStart(2, '0');
function lt(t) { return new Date(t + zoneAt(t)[1] * 60000); }
function fmtDate(t) {
	const d = lt(t);
	return d.getUTCFullYear() + '-' + p2(d.getUTCMonth() + 1) + '-' +
		p2(d.getUTCDate());
}
function fmtHM(t, sec) {
	const d = lt(t);
	return p2(d.getUTCHours()) + ':' + p2(d.getUTCMinutes()) +
		(sec ? ':' + p2(d.getUTCSeconds()) : '');
}
function fmtFull(t) {
	return fmtDate(t) + ' ' + fmtHM(t, true) + ' ' + zoneAt(t)[2];
}
function fmtSpan(ms) {
	if (ms % 86400000 === 0) return ms / 86400000 + ' d';
	if (ms % 3600000 === 0) return ms / 3600000 + ' h';
	if (ms % 60000 === 0) return ms / 60000 + ' min';
	return ms / 1000 + ' s';
}
function fmtV(v) {
	if (v === null || v === undefined || !isFinite(v)) return '-';
	const a = Math.abs(v);
	return v.toFixed(a < 10 ? 2 : a < 1000 ? 1 : 0);
}
function nice(x) {
	if (!(x > 0)) return 1;
	const e = Math.pow(10, Math.floor(Math.log10(x)));
	const f = x / e;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * e;
}

/* --- which series this kind draws ------------------------------------- */
const isDelay = s => s.unit === 'ms' && s.kind !== 'bufferbloat';
const pick = K === 'throughput_over_time' ? (s => s.unit !== 'ms')
	: K === 'bufferbloat_impact' ? (() => false) : isDelay;
const S = [];
D.series.forEach((s, i) => {
	if (!pick(s)) return;
	s.idx = i;
	s.color = PAL[S.length % PAL.length];
	s.on = true;
	S.push(s);
});
/* bufferbloat: one legend entry per load phase present */
const B = [];
if (K === 'bufferbloat_impact') {
	const ph = [];
	for (const b of D.bloat) if (!ph.includes(b.phase)) ph.push(b.phase);
	for (const p of ph)
		B.push({ label: 'under ' + (p === 'both' ? 'upload and download' : p) +
			' load', phase: p, color: PHASE[p] || '#7f7f7f', on: true });
}
const LEG = K === 'bufferbloat_impact' ? B : S;

/* --- the view (zoom) ----------------------------------------------------- */
const full = { a: D.from, b: D.to };
if (K === 'latency_distribution') { full.a = 0; full.b = Math.max(1, D.edges.length - 1); }
if (!(full.b > full.a)) full.b = full.a + 1;
let view = { a: full.a, b: full.b };
let W = 0, H = 0, P = { x: 0, y: 0, w: 1, h: 1 };
let ymax = 1, drag = null, hover = null;

const xOf = t => P.x + (t - view.a) / (view.b - view.a) * P.w;
const tOf = x => view.a + (x - P.x) / P.w * (view.b - view.a);
const yOf = v => P.y + P.h - v / ymax * P.h;

function layout() {
	const r = cv.getBoundingClientRect();
	const dpr = window.devicePixelRatio || 1;
	W = Math.max(200, r.width);
	H = Math.max(200, r.height);
	cv.width = Math.round(W * dpr);
	cv.height = Math.round(H * dpr);
	ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
	let l = M.l;
	if (K === 'connection_comparison') {
		ctx.font = '12px system-ui,sans-serif';
		for (const s of S) l = Math.max(l, ctx.measureText(s.label).width + 16);
		l = Math.min(l, W * 0.45);
	}
	if (K === 'daily_heatmap') {
		ctx.font = '12px system-ui,sans-serif';
		const many = S.filter(s => s.on).length > 1;
		for (const s of S) l = Math.max(l, ctx.measureText((many ? '2026-12-31 ' + s.label : '2026-12-31')).width + 16);
		l = Math.min(l, W * 0.4);
	}
	P = { x: l, y: M.t, w: W - l - M.r - (K === 'daily_heatmap' ? 40 : 0),
		h: H - M.t - M.b };
}

/* --- figures per kind ------------------------------------------------------ */
function val(s, i) {
	switch (K) {
	case 'jitter_over_time': return s.jit[i];
	case 'packet_loss_over_time':
		return s.n[i] > 0 ? 100 * s.lost[i] / s.n[i] : null;
	default: return s.p50[i];
	}
}
function hiOf(s, i) {
	if (K === 'latency_over_time' || K === 'throughput_over_time')
		return s.max[i] !== null ? s.max[i] : s.p95[i];
	return val(s, i);
}
function inView(t) { return t + D.bucket > view.a && t < view.b; }
function unit() {
	if (K === 'packet_loss_over_time') return '%';
	if (K === 'bufferbloat_impact') return 'ms';
	const s = S.find(x => x.on) || S[0];
	return s ? s.unit : '';
}
function scaleY() {
	let m = 0;
	if (K === 'bufferbloat_impact') {
		for (const b of D.bloat)
			if (bOn(b) && b.t >= view.a && b.t < view.b)
				m = Math.max(m, b.loaded || 0, b.idle || 0);
	} else if (K === 'latency_distribution') {
		for (const s of S) if (s.on) {
			const tot = s.hist.reduce((a, b) => a + b, 0) || 1;
			for (let i = 0; i < s.hist.length; i++)
				if (i + 1 > view.a && i < view.b) m = Math.max(m, 100 * s.hist[i] / tot);
		}
	} else {
		for (const s of S) if (s.on)
			for (let i = 0; i < s.t.length; i++) {
				const v = hiOf(s, i);
				if (v !== null && inView(s.t[i])) m = Math.max(m, v);
			}
	}
	if (K === 'packet_loss_over_time') m = Math.max(m, 1);
	const st = nice((m || 1) / 5);
	ymax = Math.ceil((m || 1) * 1.05 / st) * st;
	return st;
}

/* --- axes ---------------------------------------------------------------- */
const STEPS = [1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5,
	36e5, 72e5, 108e5, 216e5, 432e5, 864e5, 1728e5, 6048e5];
function timeAxis() {
	const want = Math.max(2, P.w / 110);
	const span = view.b - view.a;
	const step = STEPS.find(s => span / s <= want) || STEPS[STEPS.length - 1];
	ctx.fillStyle = cssv('--axis');
	ctx.strokeStyle = cssv('--grid');
	ctx.font = '12px system-ui,sans-serif';
	ctx.textAlign = 'center';
	ctx.textBaseline = 'top';
	let lastDay = '';
	const off = zoneAt(view.a)[1] * 60000;
	let t = Math.ceil((view.a + off) / step) * step - off;
	for (; t <= view.b; t += step) {
		const x = xOf(t);
		ctx.beginPath();
		ctx.moveTo(x, P.y);
		ctx.lineTo(x, P.y + P.h);
		ctx.stroke();
		const day = fmtDate(t);
		const lbl = step >= 864e5 ? day.slice(5) : fmtHM(t, step < 6e4);
		ctx.fillText(lbl, x, P.y + P.h + 12);
		if (step < 864e5 && day !== lastDay) {
			ctx.fillText(day, x, P.y + P.h + 26);
			lastDay = day;
		}
	}
	ctx.textAlign = 'right';
	ctx.fillText('local time (' + (D.tz || zoneAt(view.a)[2]) + ')',
		P.x + P.w, P.y + P.h + 26 + (lastDay ? 0 : 0));
}
function yAxis(st, u) {
	ctx.strokeStyle = cssv('--grid');
	ctx.fillStyle = cssv('--axis');
	ctx.font = '12px system-ui,sans-serif';
	ctx.textAlign = 'right';
	ctx.textBaseline = 'middle';
	for (let v = 0; v <= ymax + st / 2; v += st) {
		const y = yOf(v);
		ctx.beginPath();
		ctx.moveTo(P.x, y);
		ctx.lineTo(P.x + P.w, y);
		ctx.stroke();
		ctx.fillText(fmtV(v).replace(/\.0+$/, ''), P.x - 6, y);
	}
	ctx.save();
	ctx.translate(14, P.y + P.h / 2);
	ctx.rotate(-Math.PI / 2);
	ctx.textAlign = 'center';
	ctx.fillText(u, 0, 0);
	ctx.restore();
}

/* --- time series ------------------------------------------------------------ */
/* runs of consecutive buckets with a value: a gap breaks the drawing */
function runs(s, f) {
	const out = [];
	let cur = [];
	for (let i = 0; i < s.t.length; i++) {
		const v = f(i);
		const jump = i > 0 && s.t[i] - s.t[i - 1] > D.bucket * 1.5;
		if (v === null || jump) { if (cur.length) out.push(cur); cur = []; }
		if (v !== null) cur.push(i);
	}
	if (cur.length) out.push(cur);
	return out;
}
const mid = (s, i) => s.t[i] + D.bucket / 2;
function line(s, f, dash, width) {
	ctx.strokeStyle = s.color;
	ctx.lineWidth = width;
	ctx.setLineDash(dash);
	for (const r of runs(s, f)) {
		ctx.beginPath();
		r.forEach((i, k) => {
			const x = xOf(mid(s, i)), y = yOf(f(i));
			if (k) ctx.lineTo(x, y); else ctx.moveTo(x, y);
		});
		if (r.length === 1) { /* a lone bucket: a short dash */
			const x = xOf(mid(s, r[0])), y = yOf(f(r[0]));
			ctx.moveTo(x - 2, y);
			ctx.lineTo(x + 2, y);
		}
		ctx.stroke();
	}
	ctx.setLineDash([]);
}
function band(s) {
	ctx.fillStyle = s.color;
	ctx.globalAlpha = parseFloat(cssv('--band')) || 0.18;
	for (const r of runs(s, i => (s.min[i] === null || s.max[i] === null) ? null : 1)) {
		ctx.beginPath();
		const hw = r.length === 1 ? Math.max(1, xOf(D.bucket) - xOf(0)) / 2 : 0;
		r.forEach((i, k) => {
			const x = xOf(mid(s, i)) - (k === 0 ? hw : 0);
			if (k) ctx.lineTo(x, yOf(s.max[i])); else ctx.moveTo(x, yOf(s.max[i]));
		});
		if (hw) ctx.lineTo(xOf(mid(s, r[0])) + hw, yOf(s.max[r[0]]));
		if (hw) ctx.lineTo(xOf(mid(s, r[0])) + hw, yOf(s.min[r[0]]));
		for (let k = r.length - 1; k >= 0; k--) {
			const i = r[k];
			ctx.lineTo(xOf(mid(s, i)) - (k === 0 ? hw : 0), yOf(s.min[i]));
		}
		ctx.closePath();
		ctx.fill();
	}
	ctx.globalAlpha = 1;
}
function bucketW() { return Math.max(1.5, xOf(D.bucket) - xOf(0)); }
function lossMarks() {
	/* worst loss of the visible series per bucket start, under the plot */
	const worst = new Map();
	for (const s of S) if (s.on)
		for (let i = 0; i < s.t.length; i++)
			if (s.lost[i] > 0 && inView(s.t[i])) {
				const r = s.lost[i] / s.n[i];
				if (!(worst.get(s.t[i]) >= r)) worst.set(s.t[i], r);
			}
	const w = bucketW();
	ctx.fillStyle = SEV.critical;
	for (const [t, r] of worst) {
		const x = Math.max(P.x, xOf(t)), x2 = Math.min(P.x + P.w, xOf(t) + w);
		ctx.fillRect(x, P.y + P.h + 1, Math.max(1.5, x2 - x), 3 + 5 * r);
		if (r >= 1) { /* everything lost: an outage column */
			ctx.globalAlpha = 0.12;
			ctx.fillRect(x, P.y, Math.max(1.5, x2 - x), P.h);
			ctx.globalAlpha = 1;
		}
	}
}
function evEnd(e) { return e.end === null ? D.to : Math.max(e.end, e.start); }
function evX(e) {
	const a = Math.max(P.x, xOf(e.start)), b = Math.min(P.x + P.w, xOf(evEnd(e)));
	return [a, Math.max(a + 4, b)];
}
function events() {
	for (const e of D.events) {
		if (evEnd(e) < view.a || e.start > view.b) continue;
		const [a, b] = evX(e);
		ctx.fillStyle = SEV[e.severity] || SEV.info;
		ctx.fillRect(a, P.y - 14, b - a, 10);
		ctx.globalAlpha = 0.07;
		ctx.fillRect(a, P.y, b - a, P.h);
		ctx.globalAlpha = 1;
	}
	ctx.fillStyle = cssv('--axis');
	ctx.font = '11px system-ui,sans-serif';
	ctx.textAlign = 'left';
	ctx.textBaseline = 'bottom';
	if (D.events.length) ctx.fillText('events', 4, P.y - 4);
}
function drawTime() {
	const st = scaleY();
	yAxis(st, unit());
	timeAxis();
	events();
	ctx.save();
	ctx.beginPath();
	ctx.rect(P.x, P.y, P.w, P.h);
	ctx.clip();
	if (K === 'bufferbloat_impact') drawBloat();
	for (const s of S) {
		if (!s.on) continue;
		if (K === 'latency_over_time' || K === 'throughput_over_time') {
			band(s);
			if (K === 'latency_over_time') line(s, i => s.p95[i], [5, 3], 1.2);
			line(s, i => s.p50[i], [], 2);
		} else if (K === 'packet_loss_over_time') {
			ctx.fillStyle = s.color;
			const w = bucketW();
			for (let i = 0; i < s.t.length; i++) {
				const v = val(s, i);
				if (v && inView(s.t[i]))
					ctx.fillRect(xOf(s.t[i]), yOf(v), Math.max(1.5, w - 1), yOf(0) - yOf(v));
			}
		} else {
			line(s, i => val(s, i), [], 2);
		}
	}
	ctx.restore();
	if (K !== 'bufferbloat_impact') lossMarks();
}
const bOn = b => { const g = B.find(x => x.phase === b.phase); return !g || g.on; };
function drawBloat() {
	for (const b of D.bloat) {
		if (!bOn(b) || b.t < view.a || b.t > view.b) continue;
		const x = xOf(b.t), c = PHASE[b.phase] || PHASE.none;
		if (b.idle !== null && b.loaded !== null) {
			ctx.strokeStyle = c;
			ctx.lineWidth = 3;
			ctx.beginPath();
			ctx.moveTo(x, yOf(b.idle));
			ctx.lineTo(x, yOf(b.loaded));
			ctx.stroke();
		}
		for (const [v, f] of [[b.idle, PHASE.idle], [b.loaded, c]]) {
			if (v === null) continue;
			ctx.fillStyle = f;
			ctx.beginPath();
			ctx.arc(x, yOf(v), 4, 0, 2 * Math.PI);
			ctx.fill();
		}
	}
}

/* --- latency distribution ------------------------------------------------- */
function drawDist() {
	const st = scaleY();
	yAxis(st, '% of answered probes');
	const n = D.edges.length - 1;
	ctx.fillStyle = cssv('--axis');
	ctx.font = '12px system-ui,sans-serif';
	ctx.textAlign = 'center';
	ctx.textBaseline = 'top';
	const every = Math.max(1, Math.ceil((view.b - view.a) / (P.w / 60)));
	for (let i = Math.ceil(view.a); i <= Math.min(n, view.b); i += every)
		ctx.fillText(fmtV(D.edges[i]).replace(/\.0+$/, ''), xOf(i), P.y + P.h + 6);
	ctx.textAlign = 'right';
	ctx.fillText('ms (bins as recorded)', P.x + P.w, P.y + P.h + 24);
	ctx.save();
	ctx.beginPath();
	ctx.rect(P.x, P.y, P.w, P.h);
	ctx.clip();
	for (const s of S) {
		if (!s.on || !s.hist.length) continue;
		const tot = s.hist.reduce((a, b) => a + b, 0) || 1;
		ctx.beginPath();
		ctx.moveTo(xOf(0), yOf(0));
		s.hist.forEach((c, i) => {
			ctx.lineTo(xOf(i), yOf(100 * c / tot));
			ctx.lineTo(xOf(i + 1), yOf(100 * c / tot));
		});
		ctx.lineTo(xOf(s.hist.length), yOf(0));
		ctx.globalAlpha = 0.2;
		ctx.fillStyle = s.color;
		ctx.fill();
		ctx.globalAlpha = 1;
		ctx.strokeStyle = s.color;
		ctx.lineWidth = 1.5;
		ctx.stroke();
	}
	ctx.restore();
}

/* --- connection comparison ------------------------------------------------- */
/* count-weighted median of the buckets' figure f */
function wmed(s, f) {
	const v = [];
	for (let i = 0; i < s.t.length; i++)
		if (f[i] !== null && s.n[i] > s.lost[i]) v.push([f[i], s.n[i] - s.lost[i]]);
	if (!v.length) return null;
	v.sort((a, b) => a[0] - b[0]);
	const half = v.reduce((a, x) => a + x[1], 0) / 2;
	let c = 0;
	for (const x of v) { c += x[1]; if (c >= half) return x[0]; }
	return v[v.length - 1][0];
}
function summary(s) {
	if (s.sum) return s.sum;
	let n = 0, lost = 0, lo = null, hi = null;
	for (let i = 0; i < s.t.length; i++) {
		n += s.n[i];
		lost += s.lost[i];
		if (s.min[i] !== null && (lo === null || s.min[i] < lo)) lo = s.min[i];
		if (s.max[i] !== null && (hi === null || s.max[i] > hi)) hi = s.max[i];
	}
	s.sum = { n, lost, min: lo, max: hi, p50: wmed(s, s.p50), p95: wmed(s, s.p95) };
	return s.sum;
}
function rowGeom(k, nOn) {
	const h = Math.min(48, P.h / Math.max(1, nOn));
	return { y: P.y + k * h, h };
}
function drawCmp() {
	const on = S.filter(s => s.on);
	let m = 0;
	for (const s of on) m = Math.max(m, summary(s).max || 0);
	const st = nice((m || 1) / 6);
	ymax = Math.ceil((m || 1) * 1.05 / st) * st;
	const X = v => P.x + v / ymax * P.w;
	ctx.font = '12px system-ui,sans-serif';
	ctx.strokeStyle = cssv('--grid');
	ctx.fillStyle = cssv('--axis');
	ctx.textAlign = 'center';
	ctx.textBaseline = 'top';
	for (let v = 0; v <= ymax + st / 2; v += st) {
		ctx.beginPath();
		ctx.moveTo(X(v), P.y);
		ctx.lineTo(X(v), P.y + P.h);
		ctx.stroke();
		ctx.fillText(fmtV(v).replace(/\.0+$/, ''), X(v), P.y + P.h + 6);
	}
	ctx.textAlign = 'right';
	ctx.fillText('ms: whisker min-max, box p50-p95 (median of the buckets)',
		P.x + P.w, P.y + P.h + 24);
	on.forEach((s, k) => {
		const g = rowGeom(k, on.length), u = summary(s), cy = g.y + g.h / 2;
		ctx.fillStyle = cssv('--fg');
		ctx.textAlign = 'right';
		ctx.textBaseline = 'middle';
		ctx.fillText(s.label, P.x - 8, cy);
		if (u.min === null) return;
		ctx.strokeStyle = s.color;
		ctx.lineWidth = 1.5;
		ctx.beginPath();
		ctx.moveTo(X(u.min), cy);
		ctx.lineTo(X(u.max), cy);
		ctx.moveTo(X(u.min), cy - 6);
		ctx.lineTo(X(u.min), cy + 6);
		ctx.moveTo(X(u.max), cy - 6);
		ctx.lineTo(X(u.max), cy + 6);
		ctx.stroke();
		if (u.p50 !== null && u.p95 !== null) {
			ctx.fillStyle = s.color;
			ctx.globalAlpha = 0.35;
			ctx.fillRect(X(u.p50), cy - g.h * 0.3, Math.max(2, X(u.p95) - X(u.p50)), g.h * 0.6);
			ctx.globalAlpha = 1;
			ctx.fillRect(X(u.p50) - 1, cy - g.h * 0.3, 3, g.h * 0.6);
		}
		if (u.lost) {
			ctx.fillStyle = SEV.critical;
			ctx.textAlign = 'left';
			ctx.fillText((100 * u.lost / u.n).toFixed(2) + ' % lost', X(u.max) + 8, cy);
		}
	});
}

/* --- daily heatmap --------------------------------------------------------- */
let HM = null;
function heat() {
	/* a row per visible series and local day, a column per hour: the
	 * count-weighted mean of the buckets' p50 (targets at different
	 * distances are never averaged together) */
	const cells = new Map(), rows = [];
	const on = S.filter(s => s.on);
	for (const s of on)
		for (let i = 0; i < s.t.length; i++) {
			const d = fmtDate(s.t[i]), h = lt(s.t[i]).getUTCHours();
			const rk = s.idx + ' ' + d;
			if (!rows.find(r => r.k === rk))
				rows.push({ k: rk, s, day: d, label: on.length > 1 ? d + ' ' + s.label : d });
			const k = rk + ' ' + h;
			const c = cells.get(k) || { sum: 0, w: 0, n: 0, lost: 0, t: s.t[i] };
			c.n += s.n[i];
			c.lost += s.lost[i];
			if (s.p50[i] !== null) {
				const w = Math.max(1, s.n[i] - s.lost[i]);
				c.sum += s.p50[i] * w;
				c.w += w;
			}
			cells.set(k, c);
		}
	rows.sort((a, b) => a.s.idx - b.s.idx || (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
	let lo = Infinity, hi = -Infinity;
	for (const c of cells.values()) if (c.w) {
		c.v = c.sum / c.w;
		lo = Math.min(lo, c.v);
		hi = Math.max(hi, c.v);
	}
	return { cells, rows, lo, hi };
}
function ramp(f) {  /* green, yellow, red */
	f = Math.max(0, Math.min(1, f));
	const r = f < 0.5 ? Math.round(60 + 390 * f) : 235;
	const g = f < 0.5 ? 190 : Math.round(190 - 300 * (f - 0.5));
	return 'rgb(' + r + ',' + g + ',60)';
}
function hmGeom() {
	const nd = Math.max(1, HM.rows.length);
	return { cw: P.w / 24, ch: Math.min(40, P.h / nd) };
}
function drawHeat() {
	HM = heat();
	const { cw, ch } = hmGeom();
	ctx.font = '12px system-ui,sans-serif';
	ctx.fillStyle = cssv('--axis');
	ctx.textAlign = 'center';
	ctx.textBaseline = 'top';
	const bottom = P.y + ch * HM.rows.length;
	for (let h = 0; h < 24; h += 2) ctx.fillText(p2(h), P.x + (h + 0.5) * cw, bottom + 6);
	ctx.textAlign = 'right';
	ctx.fillText('hour of day, local time (' + D.tz + ')', P.x + P.w, bottom + 22);
	HM.rows.forEach((row, r) => {
		ctx.fillStyle = cssv('--axis');
		ctx.textBaseline = 'middle';
		ctx.fillText(row.label, P.x - 8, P.y + (r + 0.5) * ch);
		for (let h = 0; h < 24; h++) {
			const c = HM.cells.get(row.k + ' ' + h);
			const x = P.x + h * cw, y = P.y + r * ch;
			if (!c || !c.w) {
				ctx.strokeStyle = cssv('--grid');
				ctx.strokeRect(x + 0.5, y + 0.5, cw - 1, ch - 1);
				if (c && c.lost) { /* probes sent, none answered */
					ctx.fillStyle = '#444';
					ctx.fillRect(x + 1, y + 1, cw - 2, ch - 2);
				}
				continue;
			}
			ctx.fillStyle = ramp(HM.hi > HM.lo ? (c.v - HM.lo) / (HM.hi - HM.lo) : 0);
			ctx.fillRect(x + 1, y + 1, cw - 2, ch - 2);
			if (c.lost) {
				ctx.fillStyle = SEV.critical;
				ctx.fillRect(x + cw - 7, y + 2, 5, 5);
			}
		}
	});
	/* the scale */
	const sx = P.x + P.w + 14;
	for (let k = 0; k < 100; k++) {
		ctx.fillStyle = ramp(1 - k / 100);
		ctx.fillRect(sx, P.y + k * P.h / 100 * 0.6, 12, P.h / 100 * 0.6 + 1);
	}
	ctx.fillStyle = cssv('--axis');
	ctx.textAlign = 'left';
	ctx.textBaseline = 'top';
	if (isFinite(HM.hi)) {
		ctx.fillText(fmtV(HM.hi), sx - 4, P.y - 16);
		ctx.fillText(fmtV(HM.lo) + ' ms', sx - 4, P.y + P.h * 0.6 + 4);
	}
}

/* --- drawing ----------------------------------------------------------------- */
function draw() {
	layout();
	ctx.clearRect(0, 0, W, H);
	const any = K === 'bufferbloat_impact' ? D.bloat.length
		: S.some(s => s.t.length || s.hist.length);
	if (!any) {
		ctx.fillStyle = cssv('--axis');
		ctx.font = '16px system-ui,sans-serif';
		ctx.textAlign = 'center';
		ctx.fillText('Nothing recorded for this chart in the period.', W / 2, H / 2);
	} else if (TIME) drawTime();
	else if (K === 'latency_distribution') drawDist();
	else if (K === 'connection_comparison') drawCmp();
	else if (K === 'daily_heatmap') drawHeat();
	if (drag && drag.x1 !== undefined) {
		ctx.fillStyle = cssv('--sel');
		ctx.fillRect(Math.min(drag.x0, drag.x1), P.y, Math.abs(drag.x1 - drag.x0), P.h);
	}
	if (hover !== null && TIME) {
		ctx.strokeStyle = cssv('--axis');
		ctx.setLineDash([2, 3]);
		ctx.lineWidth = 1;
		ctx.beginPath();
		ctx.moveTo(hover, P.y);
		ctx.lineTo(hover, P.y + P.h);
		ctx.stroke();
		ctx.setLineDash([]);
	}
	cv.dataset.from = view.a;
	cv.dataset.to = view.b;
	if (TIME)
		rangeEl.textContent = 'Showing ' + fmtDate(view.a) + ' ' + fmtHM(view.a, true) +
			' to ' + fmtDate(view.b) + ' ' + fmtHM(view.b, true) + ' ' + zoneAt(view.b)[2] +
			(view.a !== full.a || view.b !== full.b ? ' (zoomed: double-click to reset)'
				: ' (drag across the chart to zoom)');
	else if (K === 'latency_distribution')
		rangeEl.textContent = 'Showing ' + fmtV(D.edges[Math.floor(view.a)]) + ' to ' +
			fmtV(D.edges[Math.ceil(view.b)]) + ' ms' + (view.a !== full.a || view.b !== full.b
				? ' (zoomed: double-click to reset)' : ' (drag across the chart to zoom)');
}

/* --- tooltip ----------------------------------------------------------------- */
function bucketAt(s, t) {
	let lo = 0, hi = s.t.length - 1, r = -1;
	while (lo <= hi) {
		const m = (lo + hi) >> 1;
		if (s.t[m] <= t) { r = m; lo = m + 1; } else hi = m - 1;
	}
	return r >= 0 && t < s.t[r] + D.bucket ? r : -1;
}
function rowText(s, i) {
	const u = s.unit, lossP = s.n[i] ? ' (' + (100 * s.lost[i] / s.n[i]).toFixed(1) + ' %)' : '';
	let t = s.n[i] + ' probes, ' + s.lost[i] + ' lost' + lossP;
	if (K === 'jitter_over_time') t += ', jitter ' + fmtV(s.jit[i]) + ' ms';
	else if (K !== 'packet_loss_over_time')
		t += '\n  min ' + fmtV(s.min[i]) + '  p50 ' + fmtV(s.p50[i]) + '  p95 ' +
			fmtV(s.p95[i]) + '  max ' + fmtV(s.max[i]) + ' ' + u;
	return t;
}
function evText(e) {
	return e.severity + ' ' + e.kind + ': ' + fmtFull(e.start) + ' to ' +
		(e.end === null ? 'still open' : fmtFull(e.end)) +
		((e.interface || e.target) ? ' (' + [e.interface, e.target].filter(x => x).join(', ') + ')' : '') +
		'\n  ' + e.description;
}
function tipShow(head, rows, x, y) {
	tip.replaceChildren();
	tip.appendChild(el('div', 'h', head));
	for (const [c, text, cls] of rows) {
		const d = el('div', cls || 'row');
		if (c) {
			const sw = el('span', 'sw', '\u25a0 ');
			sw.style.color = c;
			d.appendChild(sw);
		}
		d.appendChild(document.createTextNode(text));
		tip.appendChild(d);
	}
	tip.hidden = false;
	const tw = tip.offsetWidth, th = tip.offsetHeight;
	tip.style.left = (x + 14 + tw > W ? Math.max(0, x - 14 - tw) : x + 14) + 'px';
	tip.style.top = Math.max(0, Math.min(H - th, y + 14)) + 'px';
}
function tipHide() { tip.hidden = true; }
function onHover(x, y) {
	if (TIME && y < P.y - 2 && y >= P.y - 16) {  /* the events strip */
		const ev = D.events.filter(e => {
			const [a, b] = evX(e);
			return x >= a - 2 && x <= b + 2 && evEnd(e) >= view.a && e.start <= view.b;
		});
		if (ev.length) return tipShow('Events', ev.map(e => [SEV[e.severity] || SEV.info, evText(e), 'ev']), x, y);
	}
	if (x < P.x || x > P.x + P.w || y < P.y - 16 || y > P.y + P.h + 12) {
		hover = null;
		tipHide();
		return draw();
	}
	if (K === 'bufferbloat_impact') {
		let best = null, bd = 12;
		for (const b of D.bloat) {
			if (!bOn(b)) continue;
			const d = Math.abs(xOf(b.t) - x);
			if (d < bd) { bd = d; best = b; }
		}
		if (!best) return tipHide();
		return tipShow(fmtFull(best.t), [[PHASE[best.phase], 'bufferbloat test' +
			(best.server ? ' with ' + best.server : '') + ', under ' + best.phase + ' load\n  idle ' +
			fmtV(best.idle) + ' ms, loaded ' + fmtV(best.loaded) + ' ms, +' + fmtV(best.increase) +
			' ms' + (best.rpm !== null ? ', ' + best.rpm + ' RPM' : '')]], x, y);
	}
	if (TIME) {
		hover = x;
		draw();
		const t = tOf(x);
		const rows = [];
		let head = null;
		for (const s of S) {
			if (!s.on) continue;
			const i = bucketAt(s, t);
			if (i < 0) continue;
			head = head || fmtFull(s.t[i]) + ' (' + fmtSpan(D.bucket) + ')';
			rows.push([s.color, s.label + ': ' + rowText(s, i)]);
		}
		for (const e of D.events)
			if (e.start <= t && evEnd(e) >= t) rows.push([SEV[e.severity] || SEV.info, evText(e), 'ev']);
		if (!head) return tipHide();
		return tipShow(head, rows, x, y);
	}
	if (K === 'latency_distribution') {
		const i = Math.floor(tOf(x));
		if (i < 0 || i >= D.edges.length - 1) return tipHide();
		const rows = S.filter(s => s.on && s.hist.length).map(s => {
			const tot = s.hist.reduce((a, b) => a + b, 0) || 1;
			return [s.color, s.label + ': ' + s.hist[i] + ' probes (' + (100 * s.hist[i] / tot).toFixed(1) + ' %)'];
		});
		return tipShow(fmtV(D.edges[i]) + ' to ' + fmtV(D.edges[i + 1]) + ' ms', rows, x, y);
	}
	if (K === 'connection_comparison') {
		const on = S.filter(s => s.on);
		const k = on.findIndex((s, j) => { const g = rowGeom(j, on.length); return y >= g.y && y < g.y + g.h; });
		if (k < 0) return tipHide();
		const s = on[k], u = summary(s);
		return tipShow(s.label, [[s.color, u.n + ' probes, ' + u.lost + ' lost' +
			(u.n ? ' (' + (100 * u.lost / u.n).toFixed(2) + ' %)' : '') + '\n  min ' + fmtV(u.min) +
			'  p50 ' + fmtV(u.p50) + '  p95 ' + fmtV(u.p95) + '  max ' + fmtV(u.max) + ' ' + s.unit]], x, y);
	}
	if (K === 'daily_heatmap' && HM) {
		const { cw, ch } = hmGeom();
		const h = Math.floor((x - P.x) / cw), r = Math.floor((y - P.y) / ch);
		const row = HM.rows[r], c = row && HM.cells.get(row.k + ' ' + h);
		if (!c) return tipHide();
		return tipShow(row.s.label + ', ' + row.day + ' ' + p2(h) + ':00 to ' + p2(h) + ':59 ' + zoneAt(c.t)[2], [[null,
			(c.w ? 'p50 ' + fmtV(c.v) + ' ms (mean of the bucket medians)' : 'no answer') + '\n  ' +
			c.n + ' probes, ' + c.lost + ' lost']], x, y);
	}
	tipHide();
}

/* --- interaction --------------------------------------------------------------- */
const zoomable = TIME || K === 'latency_distribution';
function pos(ev) {
	const r = cv.getBoundingClientRect();
	return [ev.clientX - r.left, ev.clientY - r.top];
}
cv.addEventListener('mousedown', ev => {
	const [x] = pos(ev);
	if (ev.button === 0 && zoomable && x >= P.x && x <= P.x + P.w) drag = { x0: x };
});
window.addEventListener('mousemove', ev => {
	const [x, y] = pos(ev);
	if (drag) {
		drag.x1 = Math.max(P.x, Math.min(P.x + P.w, x));
		tipHide();
		return draw();
	}
	if (ev.target === cv) onHover(x, y);
	else if (!tip.hidden || hover !== null) { hover = null; tipHide(); draw(); }
});
window.addEventListener('mouseup', () => {
	if (!drag) return;
	const d = drag;
	drag = null;
	if (d.x1 !== undefined && Math.abs(d.x1 - d.x0) >= 5) {
		let a = tOf(Math.min(d.x0, d.x1)), b = tOf(Math.max(d.x0, d.x1));
		const least = K === 'latency_distribution' ? 1 : Math.max(1000, D.bucket);
		if (b - a < least) { const c = (a + b) / 2; a = c - least / 2; b = c + least / 2; }
		view = { a: Math.max(full.a, a), b: Math.min(full.b, b) };
	}
	draw();
});
cv.addEventListener('dblclick', () => { view = { a: full.a, b: full.b }; draw(); });
cv.addEventListener('mouseleave', () => { if (!drag) { hover = null; tipHide(); draw(); } });
window.addEventListener('resize', draw);

LEG.forEach((s, i) => {
	const b = el('button');
	b.type = 'button';
	b.dataset.series = i;
	b.setAttribute('aria-pressed', 'true');
	const sw = el('span', 'sw');
	sw.style.background = s.color;
	b.appendChild(sw);
	b.appendChild(document.createTextNode(s.label + (s.unit ? ' (' + s.unit + ')' : '')));
	b.addEventListener('click', () => {
		s.on = !s.on;
		b.classList.toggle('off', !s.on);
		b.setAttribute('aria-pressed', String(s.on));
		tipHide();
		draw();
	});
	legend.appendChild(b);
});

const sub = [];
if (D.bucket && TIME && K !== 'bufferbloat_impact') sub.push('one point per ' + fmtSpan(D.bucket));
if (K === 'latency_over_time') sub.push('band: min to max, solid: median (p50), dashed: p95; red under the axis: lost probes');
if (K === 'throughput_over_time') sub.push('band: min to max, line: median');
if (K === 'packet_loss_over_time') sub.push('share of probes lost per point');
if (K === 'jitter_over_time') sub.push('mean absolute delay variation (RFC 3393) per point');
if (K === 'bufferbloat_impact') sub.push('each test: idle (green dot) to loaded latency');
if (K === 'daily_heatmap') sub.push('median latency by local hour; dark grey: probes sent, none answered; red corner: some lost');
if (D.events.length) sub.push(D.events.length + ' event(s) marked above the chart');
document.getElementById('sub').textContent = sub.join('; ');
if (D.rollups)
	document.getElementById('note').textContent = 'Drawn from the 1-minute and 1-hour rollups: the raw samples of this period are deleted.';

draw();
window.bbChart = {
	get plot() { return Object.assign({}, P); },
	get view() { return Object.assign({}, view); },
	x: xOf, y: yOf, series: LEG, draw,
	rowY: k => { const g = rowGeom(k, S.filter(s => s.on).length); return g.y + g.h / 2; },
	cell: (r, h) => { const { cw, ch } = hmGeom(); return [P.x + (h + 0.5) * cw, P.y + (r + 0.5) * ch]; },
};
})();
