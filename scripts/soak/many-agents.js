#!/usr/bin/env node
// @ts-check
// Many agents, the long run (the short one is in test/integration/hardening-load.test.ts):
//   npx tsc -p . && node scripts/soak/many-agents.js [--processes 200] [--sockets 10] [--steady-s 15]
// --processes instrumented Node processes (test/fixtures/hardening/many-sockets-app.js) started at once,
// each with a ROUTER and --sockets - 1 DEALERs; every DEALER connects to the first process's ROUTER (the
// hub) and heartbeats once a second. Default 200 × 10 = 2,000 sockets, 1,800 edges. Fewer processes
// with more sockets reach the same count: --processes 20 --sockets 100.
// Measured: time until every node, socket and connected edge is in the store; each process's own start
// time; the collector's CPU and event-loop delay (the extension host's responsiveness) during the ramp
// and in steady state; agents' drop counters against the collector's discard and malformed counters
// (nothing dropped silently); then every process ends and is shown exited; the collector ends by itself.
// Prints a table; exit code 1 when a check fails.
'use strict';
const os = require('node:os');
const path = require('node:path');
const { HARDENING, Report, SoakCollector, arg, mb, procStat, run, sleep, spread } = require('./lib');

const PROCESSES = arg('processes', 200);
const SOCKETS = arg('sockets', 10);
const STEADY_S = arg('steady-s', 15);
const APP = path.join(HARDENING, 'many-sockets-app.js');

/** @typedef {import('./lib').Summary} Summary */

/** @param {{ at: number, ms: number, cpuMs: number }[]} stalls @param {number} t0 */
const stallText = (stalls, t0) => (stalls.length ? stalls.map((x) => `${x.ms} ms at ${((x.at - t0) / 1000).toFixed(1)} s (own CPU ${x.cpuMs} ms)`).join(', ') : 'none');

run(async (group) => {
  const report = new Report(`many agents: ${PROCESSES} processes × ${SOCKETS} sockets`);
  const collector = await SoakCollector.start(group);
  const before = await collector.stats(true);
  const memBefore = os.freemem();
  const t0 = Date.now();
  const hub = group.node(APP, ['self', 'p0', String(SOCKETS)], { agent: collector.endpoint, name: 'p0' });
  const hubEndpoint = /** @type {string} */ (await hub.line((_v, raw) => raw.startsWith('tcp://'), 60_000));
  /** @type {number[]} */
  const started = [Date.now() - t0];
  const apps = [hub];
  for (let i = 1; i < PROCESSES; i++) {
    const spawnedAt = Date.now();
    const app = group.node(APP, [hubEndpoint, `p${i}`, String(SOCKETS)], { agent: collector.endpoint, name: `p${i}` });
    void app.line((_v, raw) => raw.startsWith('tcp://'), 600_000).then(() => started.push(Date.now() - spawnedAt), () => {});
    apps.push(app);
  }
  const spawnedMs = Date.now() - t0;
  console.log(`${PROCESSES} processes spawned in ${spawnedMs} ms`);
  const sockets = PROCESSES * SOCKETS;
  const edges = PROCESSES * (SOCKETS - 1);
  /** @type {{ at: number, nodes: number, sockets: number, connected: number }[]} */
  const progress = [];
  let peakRss = 0;
  const { value: full, at } = await collector.waitFor('every node, socket and connected edge', (/** @type {Summary} */ s) => {
    progress.push({ at: Date.now() - t0, nodes: s.nodes, sockets: s.sockets, connected: s.edgeStates.connected ?? 0 });
    peakRss = Math.max(peakRss, procStat(collector.pid)?.rss ?? 0);
    if (progress.length % 20 === 0) console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${s.nodes} nodes, ${s.sockets} sockets, ${s.edgeStates.connected ?? 0} connected edges; ${started.length} processes started`);
    return s.nodes === PROCESSES && s.sockets === sockets && (s.edgeStates.connected ?? 0) === edges && s;
  }, 600_000, { everyMs: 250 }).catch(async (err) => {
    console.error(err.message.slice(0, 500));
    return { value: await collector.summary(), at: NaN };
  });
  const allPresentMs = at - t0;
  const ramp = await collector.stats(true);
  const appRss = apps.map((a) => procStat(/** @type {number} */ (a.process.pid))?.rss ?? 0);
  const half = progress.find((p) => p.sockets >= sockets / 2);
  report.row('all present: nodes, sockets, connected edges', `${full.nodes}/${PROCESSES} nodes, ${full.sockets}/${sockets} sockets, ${full.edgeStates.connected ?? 0}/${edges} connected edges, ${full.unknown} unknown peers; ${Number.isNaN(allPresentMs) ? 'NOT within 10 min' : `${(allPresentMs / 1000).toFixed(1)} s after the first spawn`} (half the sockets at ${half ? (half.at / 1000).toFixed(1) : '?'} s)`,
    'all, no unknown', !Number.isNaN(allPresentMs) && full.unknown === 0);
  report.row('process start (spawn → its ROUTER bound, agent loaded)', `${spread(started.map((ms) => ms / 1000), 1)} s; all ${PROCESSES} spawned within ${spawnedMs} ms; RSS per app ${spread(appRss.map((b) => b / 2 ** 20), 0)} MB; machine free memory ${(memBefore / 2 ** 30).toFixed(1)} → ${(os.freemem() / 2 ** 30).toFixed(1)} GiB`,
    'information (Node start on 2 shared cores bounds this)', null);
  report.row('time to all present', Number.isNaN(allPresentMs) ? 'never' : `${(allPresentMs / 1000).toFixed(1)} s; the last process printed its endpoint at ${(Math.max(...started) / 1000).toFixed(1)} s after its spawn`,
    '"within a few seconds" (issue)', null);
  const rampS = (Date.now() - t0) / 1000;
  report.row('collector during the ramp', `CPU ${((ramp.cpuMs - before.cpuMs) / 1000).toFixed(1)} s in ${rampS.toFixed(1)} s (${((ramp.cpuMs - before.cpuMs) / 1000 / rampS).toFixed(2)} cores); event-loop delay max ${ramp.eventLoop.maxMs.toFixed(0)} ms, p99 ${ramp.eventLoop.p99Ms.toFixed(0)} ms; ${ramp.diffs.count} diffs, largest ${(ramp.diffs.maxBytes / 1024).toFixed(0)} KiB; RSS peak ${mb(peakRss)} MB; stalls > 500 ms: ${stallText(ramp.stalls, t0)}`,
    'information', null);

  // Steady state: heartbeats from every DEALER; the collector should keep up with time to spare.
  const steadyFrom = await collector.stats(true);
  await sleep(STEADY_S * 1000);
  const steady = await collector.stats(true);
  const s2 = await collector.summary();
  // Any edge not connected now is a wrong picture (every process and socket is alive): say why it is so.
  /** @type {string[]} */
  const notConnected = [];
  if ((s2.edgeStates.connected ?? 0) !== edges) {
    const { snapshot } = await collector.snapshot();
    for (const e of snapshot.edges.filter((x) => x.state !== 'connected').slice(0, 5)) {
      notConnected.push(`${e.routingId?.text} ${e.state} (${e.lastDisconnect?.reason ?? 'no disconnect'}; timeline ends ${JSON.stringify(e.timeline.slice(-4).map((t) => `${t.event}${t.detail ? `(${t.detail})` : ''}`))})`);
    }
  }
  report.row(`collector in steady state (${STEADY_S} s, ${edges} heartbeating edges)`, `CPU ${((steady.cpuMs - steadyFrom.cpuMs) / 1000 / STEADY_S).toFixed(2)} cores; event-loop delay max ${steady.eventLoop.maxMs.toFixed(0)} ms, p99 ${steady.eventLoop.p99Ms.toFixed(0)} ms; stalls > 500 ms: ${stallText(steady.stalls, t0)}; heap ${mb(steady.memory.heapUsed)} MB, rss ${mb(steady.memory.rss)} MB; ${steady.diffs.count} diffs (${(steady.diffs.totalBytes / STEADY_S / 1024).toFixed(0)} KiB/s); edges ${JSON.stringify(s2.edgeStates)}${notConnected.length ? `; not connected: ${notConnected.join('; ')}` : ''}`,
    'all edges stay connected', (s2.edgeStates.connected ?? 0) === edges);

  // Nothing dropped silently: what agents say they dropped vs what the collector refused or discarded.
  const discarded = s2.collector?.discarded ?? {};
  const malformed = s2.collector?.malformed ?? {};
  const unknownSocket = discarded['unknown-socket'] ?? 0;
  report.row('nothing dropped silently', `agents' own drop counters: ${s2.dropped} in total; collector malformed ${JSON.stringify(malformed)}, discarded ${JSON.stringify(discarded)}; agents connected ${s2.collector?.agents}`,
    'no malformed, no cap hit; unknown-socket only after agent drops; every socket present', Object.keys(malformed).length === 0
      && Object.keys(discarded).every((k) => k === 'unknown-socket') && (unknownSocket === 0 || s2.dropped > 0) && s2.sockets === sockets && s2.collector?.agents === PROCESSES);

  // Every process ends by itself and is shown exited; then the collector ends by itself.
  const tEnd = Date.now();
  for (const a of apps) a.process.stdin?.end();
  const exits = await Promise.all(apps.map((a) => Promise.race([a.exited, sleep(60_000).then(() => 'still running')])));
  const ok = exits.filter((e) => typeof e === 'object' && e.code === 0).length;
  const { at: exitedAt } = await collector.waitFor('every node exited', (/** @type {Summary} */ s) => (s.nodeStates.exited ?? 0) === PROCESSES, 60_000, { everyMs: 250 })
    .catch(() => ({ at: NaN }));
  const stopped = await collector.stop(10_000);
  report.row('processes end by themselves, shown exited; collector ends by itself', `${ok}/${PROCESSES} exited 0 within ${((Date.now() - tEnd) / 1000).toFixed(1)} s; all shown exited ${Number.isNaN(exitedAt) ? 'NOT within 60 s' : `${((exitedAt - tEnd) / 1000).toFixed(1)} s after stdin ended`}; collector ${stopped.exitedByItself ? 'exited' : `still running (${stopped.resources.join(', ')})`}`,
    'all', ok === PROCESSES && !Number.isNaN(exitedAt) && stopped.exitedByItself);
  report.print([`${PROCESSES} processes × ${SOCKETS} sockets (1 ROUTER + ${SOCKETS - 1} DEALERs each, every DEALER to p0's ROUTER, HEARTBEAT 1/s); collector with the extension's store defaults, polled for a summary every 250 ms.`]);
});
