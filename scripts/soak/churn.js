#!/usr/bin/env node
// @ts-check
// Churn, the long run (the short one is in test/integration/hardening-load.test.ts):
//   npx tsc -p . && node scripts/soak/churn.js [--seconds 60] [--workers 2] [--socket-cap 500]
// An instrumented ROUTER and, per mode, --workers instrumented churners, each 10 times a second for
// --seconds: "sockets" workers replace their DEALER (same routing id) every 100 ms; "connect" workers
// disconnect / reconnect one DEALER every 100 ms. The collector runs in its own process with the
// extension's store defaults, except a socket cap of --socket-cap (0 = the default 10,000) so the bound
// on closed sockets is reached within the run.
// Checked: timelines never longer than their limit; store sizes after 10 s vs at the end (bounded by the
// cap, evictions counted); the end states (one open connected edge per "sockets" worker, every other
// one disconnected with a reason; "connect" workers connected); in every app and in the collector the
// open handles, requests and fds after 10 s vs at the end; then everything ends by itself.
// Prints a table; exit code 1 when a check fails.
'use strict';
const path = require('node:path');
const { APPS, Report, SoakCollector, arg, mb, procStat, run, sleep } = require('./lib');

const SECONDS = arg('seconds', 60);
const WORKERS = arg('workers', 2);
const SOCKET_CAP = arg('socket-cap', 500);
const TIMELINE = 50;
const APP = path.join(APPS, 'churn-app.js');

/**
 * @typedef {import('../../src/shared/snapshot').TopologySnapshot} Snapshot
 * @typedef {import('../../test/fixtures/hardening/procs').Proc} Proc
 * @typedef {{ type: 'stats', cycles: number, handles: number, requests: number, resources: Record<string, number>, fds: number }} AppStats
 */

/** @param {Proc} app @returns {Promise<AppStats>} */
async function appStats(app) {
  const from = app.lines.length;
  app.send('stats');
  return /** @type {Promise<AppStats>} */ (app.line((/** @type {{ type?: string }} */ v) => v?.type === 'stats', 10_000, from));
}

/** Resource counts without timers (a churner sleeps between cycles, then beats: one timer either way). @param {AppStats} s */
const nonTimers = (s) => Object.entries(s.resources).filter(([k]) => k !== 'Timeout').map(([k, n]) => `${k}:${n}`).sort().join(' ');

run(async (group) => {
  const report = new Report(`churn: ${2 * WORKERS} workers × 10/s for ${SECONDS} s`);
  const storeOptions = { timelineLength: TIMELINE, ...(SOCKET_CAP > 0 ? { limits: { sockets: SOCKET_CAP } } : {}) };
  const collector = await SoakCollector.start(group, { storeOptions });
  const router = group.node(APP, ['router'], { agent: collector.endpoint, name: 'router' });
  const { endpoint } = /** @type {{ endpoint: string }} */ (await router.line((/** @type {{ type?: string }} */ v) => v?.type === 'endpoint', 15_000));
  /** @type {{ name: string, mode: string, proc: Proc }[]} */
  const workers = [];
  for (const mode of ['sockets', 'connect']) {
    for (let i = 1; i <= WORKERS; i++) {
      const name = `churn-${mode}-${i}`;
      workers.push({ name, mode, proc: group.node(APP, [mode, endpoint, String(SECONDS * 1000), name], { agent: collector.endpoint, name }) });
    }
  }
  const t0 = Date.now();
  // Every 5 s during the run: edges of closed sockets still not disconnected 3 s after their last
  // heartbeat (a race that resolves itself is not counted; a stuck one is, even if evicted later).
  /** @type {Map<string, string>} */
  const stuck = new Map();
  let churning = true;
  const sampler = (async () => {
    while (churning) {
      await sleep(5000);
      const { snapshot } = await collector.snapshot();
      const closed = new Set(snapshot.sockets.filter((k) => k.closed).map((k) => k.id));
      for (const e of snapshot.edges) {
        if (closed.has(e.from) && e.state !== 'disconnected' && (e.heartbeatAgeMs ?? 0) > 3000 && !stuck.has(e.id)) {
          stuck.set(e.id, `${e.state}, timeline ends ${JSON.stringify(e.timeline.slice(-4).map((t) => t.event))}`);
        }
      }
    }
  })();
  await sleep(10_000);
  const at10 = {
    summary: await collector.summary(),
    collector: await collector.stats(),
    apps: await Promise.all([router, ...workers.map((w) => w.proc)].map(appStats)),
    routerFds: procStat(/** @type {number} */ (router.process.pid))?.fds,
    takenAt: Date.now(),
  };
  console.log(`10 s: ${at10.summary.sockets} sockets, ${at10.summary.edges} edges, longest timeline ${at10.summary.longestTimeline}`);
  const done = await Promise.all(workers.map((w) => w.proc.line((/** @type {{ type?: string }} */ v) => v?.type === 'done', SECONDS * 1000 + 60_000)));
  const churnMs = Date.now() - t0;
  churning = false;
  const cycles = /** @type {{ cycles: number }[]} */ (done).map((d) => d.cycles);

  // End states, once the last events have been absorbed.
  const expectSockets = workers.filter((w) => w.mode === 'sockets').map((w) => w.name);
  const expectConnect = workers.filter((w) => w.mode === 'connect').map((w) => w.name);
  const { value: end, at: settledAt } = await collector.waitFor('end states settled', (/** @type {Snapshot} */ s) => {
    const nodeOf = (/** @type {string} */ name) => s.nodes.find((n) => n.name === name);
    const edgesOf = (/** @type {string} */ name) => s.edges.filter((e) => e.from.startsWith(`${nodeOf(name)?.id}/`));
    const socketsOk = expectSockets.every((name) => {
      const open = edgesOf(name).filter((e) => e.state !== 'disconnected');
      return open.length === 1 && open[0].state === 'connected';
    });
    const connectOk = expectConnect.every((name) => edgesOf(name).length === 1 && edgesOf(name)[0].state === 'connected');
    return socketsOk && connectOk && s;
  }, 20_000, { full: true, everyMs: 200 }).catch(async (err) => {
    console.error(err.message.slice(0, 300));
    return { value: (await collector.snapshot()).snapshot, at: NaN };
  });
  // Not before: the sampler sleeps 5 s between samples, and the time to settle would include its wait.
  await sampler;
  const atEnd = {
    summary: await collector.summary(),
    collector: await collector.stats(),
    apps: await Promise.all([router, ...workers.map((w) => w.proc)].map(appStats)),
    routerFds: procStat(/** @type {number} */ (router.process.pid))?.fds,
  };

  report.row('churn rate', `${cycles.join(', ')} cycles in ${(churnMs / 1000).toFixed(1)} s (${(cycles.reduce((a, b) => a + b, 0) / cycles.length / SECONDS).toFixed(1)}/s per worker)`,
    '>= 5/s per worker', cycles.every((c) => c >= 5 * SECONDS));
  const longest = Math.max(...end.edges.map((e) => e.timeline.length));
  const full = end.edges.filter((e) => e.timeline.length === TIMELINE).length;
  report.row('edge history bounded: timeline length', `longest ${at10.summary.longestTimeline} after 10 s, ${longest} at the end; ${full} edges at the limit`, `<= ${TIMELINE}`, longest <= TIMELINE && at10.summary.longestTimeline <= TIMELINE);
  const discarded = end.collector?.discarded ?? {};
  const evicted = discarded['cap:evicted-closed-sockets'] ?? 0;
  const rate = at10.summary.sockets / ((at10.takenAt - t0) / 1000);
  report.row('store size after 10 s → end', `sockets ${at10.summary.sockets} → ${atEnd.summary.sockets} (open ${at10.summary.openSockets} → ${atEnd.summary.openSockets}), edges ${at10.summary.edges} → ${atEnd.summary.edges}, nodes ${at10.summary.nodes} → ${atEnd.summary.nodes}; closed sockets evicted at the cap: ${evicted}; growth ${rate.toFixed(1)} sockets/s in the first 10 s`,
    SOCKET_CAP > 0 ? `sockets <= cap ${SOCKET_CAP}, evictions counted` : 'information (default cap 10,000)',
    SOCKET_CAP > 0 ? atEnd.summary.sockets <= SOCKET_CAP && (atEnd.summary.sockets < SOCKET_CAP || evicted > 0) : null);
  report.row('collector memory after gc, 10 s → end', `heap ${mb(at10.collector.memory.heapUsed)} → ${mb(atEnd.collector.memory.heapUsed)} MB, rss ${mb(at10.collector.memory.rss)} → ${mb(atEnd.collector.memory.rss)} MB; CPU ${(atEnd.collector.cpuMs / 1000).toFixed(1)} s in ${((Date.now() - collector.spawnedAt) / 1000).toFixed(0)} s; event-loop delay max ${atEnd.collector.eventLoop.maxMs.toFixed(0)} ms, p99 ${atEnd.collector.eventLoop.p99Ms.toFixed(0)} ms`,
    'information', null);

  // End states.
  const nodeOf = (/** @type {string} */ name) => end.nodes.find((n) => n.name === name);
  const edgesOf = (/** @type {string} */ name) => end.edges.filter((e) => e.from.startsWith(`${nodeOf(name)?.id}/`));
  const sockEdges = expectSockets.map((name) => edgesOf(name));
  /** @param {Snapshot['edges']} es */
  const states = (es) => Object.entries(es.reduce((/** @type {Record<string, number>} */ a, e) => ({ ...a, [e.state]: (a[e.state] ?? 0) + 1 }), {})).map(([k, n]) => `${n} ${k}`).join(' + ');
  report.row('end states: "sockets" workers', `${sockEdges.map((es) => `${states(es)} of ${es.length} edges kept`).join('; ')}${Number.isNaN(settledAt) ? ' (did not settle within 20 s)' : `; settled ${settledAt - t0 - churnMs} ms after the churn ended`}`,
    'exactly 1 open edge, connected', !Number.isNaN(settledAt));
  if (Number.isNaN(settledAt)) {
    // What did not settle: each open edge of a "sockets" worker, its socket, the end of its timeline.
    for (const [i, es] of sockEdges.entries()) {
      const open = end.sockets.filter((k) => k.nodeId === nodeOf(expectSockets[i])?.id && !k.closed);
      console.log(`  ${expectSockets[i]}: open sockets ${open.map((k) => `${k.id} (edges: ${end.edges.filter((e) => e.from === k.id).map((e) => `${e.state} ${JSON.stringify(e.lastDisconnect)} ${JSON.stringify(e.timeline.slice(-5).map((t) => `${t.event}@${t.at - t0}`))}`).join(' | ') || 'none'})`).join(', ')}`);
      for (const e of es.filter((x) => x.state !== 'disconnected')) {
        const sock = end.sockets.find((k) => k.id === e.from);
        console.log(`  open edge ${e.id}: ${e.state}, from socket closed=${sock?.closed}, heartbeat age ${e.heartbeatAgeMs}, traffic age ${e.trafficAgeMs}, timeline ${JSON.stringify(e.timeline.slice(-4).map((t) => `${t.event}${t.detail ? `(${t.detail})` : ''}@${t.at - t0}`))}`);
      }
    }
  }
  report.row('end states: "connect" workers', expectConnect.map((name) => `${name}: ${edgesOf(name).map((e) => `${e.state}, timeline ${e.timeline.length}`).join(' / ')}`).join('; '),
    '1 edge, connected', expectConnect.every((name) => edgesOf(name).length === 1 && edgesOf(name)[0].state === 'connected'));
  // A closed socket's edges must all be disconnected (else a long-gone connection looks late/dead/connected).
  const closedIds = new Set(end.sockets.filter((k) => k.closed).map((k) => k.id));
  const closedOpen = end.edges.filter((e) => closedIds.has(e.from) && e.state !== 'disconnected');
  const closedCount = end.edges.filter((e) => closedIds.has(e.from)).length;
  report.row('edges of closed sockets are disconnected', `at the end ${closedOpen.length} of ${closedCount} not disconnected${closedOpen.length ? ` (${states(closedOpen)}; timeline ends ${closedOpen.slice(0, 3).map((e) => JSON.stringify(e.timeline.slice(-4).map((t) => t.event))).join(' ')})` : ''}; stuck during the run (samples every 5 s): ${stuck.size} edges${stuck.size ? ` (e.g. ${[...stuck.values()].slice(0, 2).join('; ')})` : ''}`,
    '0, and none stuck during the run', closedOpen.length === 0 && stuck.size === 0);
  // An open socket that heartbeats must not be shown disconnected.
  const openIds = new Set(end.sockets.filter((k) => !k.closed).map((k) => k.id));
  const liveShownGone = end.edges.filter((e) => openIds.has(e.from) && e.state === 'disconnected' && e.heartbeatAgeMs !== null && e.heartbeatAgeMs < 1000);
  report.row('heartbeating open sockets are not shown disconnected', `${liveShownGone.length} such edges${liveShownGone.length ? `: ${liveShownGone.map((e) => `${e.routingId?.text} heartbeat age ${e.heartbeatAgeMs} ms, lastDisconnect ${e.lastDisconnect?.reason}, timeline ends ${JSON.stringify(e.timeline.slice(-4).map((t) => t.event))}`).join('; ')}` : ''}`,
    '0', liveShownGone.length === 0);
  const noReason = end.edges.filter((e) => e.state === 'disconnected' && e.lastDisconnect === null).length;
  report.row('every lost connection says why', `${end.edges.filter((e) => e.state === 'disconnected').length} disconnected edges, ${noReason} without lastDisconnect`, '0 without', noReason === 0);
  // Every connection is a worker's: a replaced socket's farewell (handover renames it) is no unknown peer.
  const unknownPeers = end.nodes.filter((n) => n.unknown).length;
  const agentDrops = end.nodes.filter((n) => !n.unknown).map((n) => n.dropped);
  report.row('nothing malformed, nothing unknown', `malformed ${JSON.stringify(end.collector?.malformed ?? {})}; discarded ${JSON.stringify(discarded)}; unknown-peer nodes ${unknownPeers}; agents' drops ${agentDrops.join(', ')}`,
    'no malformed; no unknown peer; unknown-socket only after an agent drop', Object.keys(end.collector?.malformed ?? {}).length === 0 && unknownPeers === 0 && ((discarded['unknown-socket'] ?? 0) === 0 || agentDrops.some((d) => d > 0)));

  // Leaks: what each process holds open after 10 s of churn vs at the end (a leak grows with cycles,
  // hundreds of them by the end). A sample may catch connections being opened or torn down: one per
  // churner, and on the ROUTER one per churner's connection; that much either way is not growth.
  const names = ['router', ...workers.map((w) => w.name)];
  const inFlight = (/** @type {number} */ i) => (i === 0 ? workers.length : 1);
  const appLines = names.map((name, i) => {
    const [a, b] = [at10.apps[i], atEnd.apps[i]];
    return `${name}: fds ${a.fds}→${b.fds}, handles ${a.handles}→${b.handles}, requests ${a.requests}→${b.requests}, non-timer resources ${nonTimers(a) === nonTimers(b) ? 'same' : `${nonTimers(a)} → ${nonTimers(b)}`}`;
  });
  const appsStable = names.every((_n, i) => {
    const [a, b] = [at10.apps[i], atEnd.apps[i]];
    return b.fds <= a.fds + inFlight(i) && b.handles <= a.handles + 1 && b.requests <= a.requests && nonTimers(a) === nonTimers(b);
  });
  report.row('apps: no leaked sockets or timers (after 10 s → end)', appLines.join('; '), 'fds (± connections in flight), handles, requests not growing', appsStable);
  const [c10, cEnd] = [at10.collector, atEnd.collector];
  report.row('collector: no leaked sockets or timers (after 10 s → end)', `fds ${c10.fds}→${cEnd.fds}, active resources ${c10.handles.length}→${cEnd.handles.length}; router process fds (from /proc) ${at10.routerFds}→${atEnd.routerFds}`,
    'not growing', cEnd.fds <= c10.fds && cEnd.handles.length <= c10.handles.length && (atEnd.routerFds ?? 0) <= (at10.routerFds ?? 0) + inFlight(0));

  // Everything ends by itself once told to.
  const apps = [router, ...workers.map((w) => w.proc)];
  for (const a of apps) a.process.stdin?.end();
  const exits = await Promise.all(apps.map((a) => Promise.race([a.exited, sleep(10_000).then(() => 'still running')])));
  const stopped = await collector.stop();
  report.row('apps and collector end by themselves', `apps: ${exits.map((e) => (typeof e === 'object' ? `${e.code ?? e.signal}` : e)).join(', ')}; collector: ${stopped.exitedByItself ? 'exited' : `still running (${stopped.resources.join(', ')})`}`,
    'all exit 0', exits.every((e) => typeof e === 'object' && e.code === 0) && stopped.exitedByItself);
  report.print([`Store: the extension's defaults (timeline ${TIMELINE}), socket cap ${SOCKET_CAP || 'default 10,000'}.`]);
});
