#!/usr/bin/env node
// @ts-check
// Collector restarts and extension-host restarts mid-run, several times (the short run is
// test/integration/hardening-restart.test.ts):
//   npx tsc -p . && node scripts/soak/restart.js [--restarts 5] [--workers 8]
// A ROUTER and --workers DEALER workers (test/fixtures/system, heartbeats every 200 ms) run instrumented.
// Before each restart one new worker joins and one worker is SIGKILLed (the collector sees it exit); a
// second one is SIGKILLed while no collector runs (nobody sees it exit).
//  A. collector restart, store kept (Restart Collector): the Collector in this process is stopped and a
//     new one started on the same port, same TopologyStore.
//  B. extension-host restart: the collector process (collector-child.js, its own store) is SIGKILLed
//     and a new one started on the same port with a new store.
// Checked each time: the full live picture (every live process live, one connected edge per live
// worker, with its routing id) back within 2 s of the new collector listening; no duplicated node,
// socket or edge ids, no two edges for one connection, no two nodes for one process; what the dead
// workers look like (A: exited stays exited, killed-while-down turns stale; B: neither is shown live).
// Prints a table; exit code 1 when a check fails.
'use strict';
const path = require('node:path');
const { BUILT, SYSTEM, Report, SoakCollector, arg, freePort, run, sleep, spread } = require('./lib');

/** @type {typeof import('../../src/collector/collector').Collector} */
const Collector = require(path.join(BUILT, 'out', 'src', 'collector', 'collector.js')).Collector;
/** @type {typeof import('../../src/model/store').TopologyStore} */
const TopologyStore = require(path.join(BUILT, 'out', 'src', 'model', 'store.js')).TopologyStore;

const RESTARTS = arg('restarts', 5);
const WORKERS = arg('workers', 8);
const REBUILD_MS = 2000;
/** The extension's defaults (src/model/store.ts DEFAULT_STORE_OPTIONS): stale after 6 s without telemetry. */
const DEAD_AFTER_MS = 6000;

/** @typedef {import('../../src/shared/snapshot').TopologySnapshot} Snapshot */

/** Duplicates of each kind, as text (empty when none). @param {Snapshot} s */
function duplicates(s) {
  const dup = (/** @type {string[]} */ xs) => xs.filter((x, i) => xs.indexOf(x) !== i);
  const found = {
    nodeIds: dup(s.nodes.map((n) => n.id)),
    socketIds: dup(s.sockets.map((k) => k.id)),
    edgeIds: dup(s.edges.map((e) => e.id)),
    connections: dup(s.edges.map((e) => `${e.from}->${e.to}`)),
    processes: dup(s.nodes.filter((n) => !n.unknown).map((n) => `${n.host}:${n.pid}`)),
  };
  return Object.entries(found).filter(([, xs]) => xs.length).map(([k, xs]) => `${k}: ${xs.join(',')}`).join('; ');
}

/**
 * The full live picture: router + every live worker live, one connected edge per live worker with its
 * routing id; with `since`, every live node reported at or after it (to the new collector). `ignore`:
 * workers killed while no collector ran, which a kept store cannot know about yet (checked apart).
 * @param {Snapshot} s @param {string[]} live worker names @param {number} [since] @param {string[]} [ignore]
 */
function complete(s, live, since, ignore = /** @type {string[]} */ ([])) {
  const liveNodes = s.nodes.filter((n) => n.state === 'live' && !ignore.includes(n.name));
  const names = liveNodes.map((n) => n.name).sort();
  if (JSON.stringify(names) !== JSON.stringify(['router', ...live].sort())) return false;
  if (since !== undefined && liveNodes.some((n) => n.lastSeenAt < since)) return false;
  const connected = s.edges.filter((e) => e.state === 'connected' && !e.exited && !ignore.includes(e.routingId?.text ?? '')).map((e) => e.routingId?.text).sort();
  return JSON.stringify(connected) === JSON.stringify([...live].sort());
}

run(async (group) => {
  const report = new Report(`collector / extension-host restarts: ${RESTARTS} of each, ${WORKERS} workers`);
  const port = await freePort();
  const endpoint = `tcp://127.0.0.1:${port}`;
  let store = new TopologyStore({});
  store.start();
  let collector = new Collector(store, { port, fallbackToFreePort: false });
  await collector.start();

  const router = group.node(path.join(SYSTEM, 'router.js'), [], { agent: endpoint, name: 'router' });
  const routerEndpoint = /** @type {string} */ (await router.line((_v, raw) => raw.startsWith('tcp://'), 15_000));
  /** @type {Map<string, import('../../test/fixtures/hardening/procs').Proc>} */
  const workers = new Map();
  let spawned = 0;
  const spawnWorker = () => {
    const id = `w-${++spawned}`;
    workers.set(id, group.node(path.join(SYSTEM, 'dealer.js'), [id, routerEndpoint], { agent: endpoint, name: id }));
    return id;
  };
  const live = () => [...workers.keys()].filter((id) => workers.get(id)?.running);
  const kill = async (/** @type {string} */ id) => {
    const p = workers.get(id);
    p?.process.kill('SIGKILL');
    await p?.exited;
  };
  /** @template T @param {() => Snapshot} snap @param {string} what @param {(s: Snapshot) => T | false | undefined} check @param {number} ms @returns {Promise<{ value: T, at: number }>} */
  const poll = async (snap, what, check, ms) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const s = snap();
      const v = check(s);
      if (v) return { value: v, at: Date.now() };
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s).slice(0, 2000)}`);
      await sleep(20);
    }
  };
  for (let i = 0; i < WORKERS; i++) spawnWorker();
  await poll(() => store.snapshot(), 'the first picture', (s) => complete(s, live()), 30_000);
  console.log(`router + ${WORKERS} workers up`);

  // ─── A: collector restart, store kept ─────────────────────────────────────────────────────────
  /** @type {number[]} */
  const rebuildA = [];
  const failuresA = { incomplete: 0, duplicates: /** @type {string[]} */ ([]), changedIds: 0, exitedNotExited: 0, downKilledLive: 0 };
  /** @type {string[]} */
  const seenExited = [];
  /** @type {string[]} */
  const killedWhileDown = [];
  /** @type {number[]} */
  const shownLiveA = [];
  for (let r = 1; r <= RESTARTS; r++) {
    // Two join, two die (one seen, one unseen): the system keeps its size.
    spawnWorker();
    spawnWorker();
    const victim = live()[0];
    await kill(victim);
    seenExited.push(victim);
    await poll(() => store.snapshot(), `${victim} exited and the newcomer connected`, (s) =>
      s.nodes.find((n) => n.name === victim)?.state === 'exited' && complete(s, live()), 15_000);
    const before = store.snapshot();
    await collector.stop();
    const downVictim = live()[0];
    await kill(downVictim);
    killedWhileDown.push(downVictim);
    collector = new Collector(store, { port, fallbackToFreePort: false });
    await collector.start();
    const listeningAt = Date.now();
    const { value: s, at } = await poll(() => store.snapshot(), 'every live agent back', (x) => complete(x, live(), listeningAt, [downVictim]) && x, 10_000)
      .catch((err) => { failuresA.incomplete++; console.error(err.message); return { value: store.snapshot(), at: NaN }; });
    rebuildA.push(at - listeningAt);
    const d = duplicates(s);
    if (d) failuresA.duplicates.push(d);
    // Same ids as before the restart: nothing re-created under a new id (the node killed while down is still there).
    const ids = (/** @type {Snapshot} */ x) => JSON.stringify([x.nodes.map((n) => n.id).sort(), x.edges.map((e) => e.id).sort()]);
    if (ids(s) !== ids(before)) failuresA.changedIds++;
    for (const id of seenExited) {
      if (s.nodes.find((n) => n.name === id)?.state !== 'exited' || s.edges.some((e) => e.routingId?.text === id && !(e.exited && e.state === 'disconnected'))) failuresA.exitedNotExited++;
    }
    // Killed while no collector ran: nobody told this store (the router's disconnect message was
    // dropped while alone, its new snapshot just leaves the peer out); it must stop looking live,
    // at the latest when its telemetry is overdue (the dead threshold).
    const { at: notLiveAt } = await poll(() => store.snapshot(), `${downVictim} no longer live`, (x) =>
      x.nodes.find((n) => n.name === downVictim)?.state !== 'live' && !x.edges.some((e) => e.routingId?.text === downVictim && e.state === 'connected'),
    DEAD_AFTER_MS + 5000).catch(() => ({ at: NaN }));
    if (Number.isNaN(notLiveAt)) failuresA.downKilledLive++;
    shownLiveA.push(notLiveAt - listeningAt);
    console.log(`A${r}: rebuilt ${at - listeningAt} ms after listening; ${downVictim} (killed while down) shown live until ${notLiveAt - listeningAt} ms after; ${s.nodes.length} nodes, ${s.edges.length} edges${d ? `; DUPLICATES ${d}` : ''}`);
  }
  const endA = store.snapshot();
  const downStates = killedWhileDown.map((id) => `${id} ${endA.nodes.find((n) => n.name === id)?.state}/${endA.edges.filter((e) => e.routingId?.text === id).map((e) => e.state).join(',')}`);
  report.row(`A. collector restart (store kept) ×${RESTARTS}: full live picture back`, `${spread(rebuildA, 0)} ms after the new collector listened; incomplete ${failuresA.incomplete}`,
    `every time <= ${REBUILD_MS} ms`, failuresA.incomplete === 0 && rebuildA.every((ms) => ms <= REBUILD_MS));
  report.row('A. no duplicates, same ids', `duplicates in ${failuresA.duplicates.length} of ${RESTARTS} (${failuresA.duplicates.join(' | ') || 'none'}); node/edge ids changed across a restart ${failuresA.changedIds} times; end: ${endA.nodes.length} nodes for ${spawned + 1} processes started`,
    'none; same ids; one node per process', failuresA.duplicates.length === 0 && failuresA.changedIds === 0 && endA.nodes.length === spawned + 1);
  report.row('A. killed before a restart: stays exited', `${seenExited.length} workers; not exited (or edge not exited+disconnected) after a restart: ${failuresA.exitedNotExited}`,
    '0', failuresA.exitedNotExited === 0);
  report.row('A. killed while no collector ran: stops looking live', `shown live (node live or edge connected) for ${spread(shownLiveA, 0)} ms after the new collector listened; still live after the dead threshold + 5 s: ${failuresA.downKilledLive}; at the end node/edge states: ${downStates.join('; ')}`,
    `not live within the dead threshold (${DEAD_AFTER_MS} ms) + 5 s`, failuresA.downKilledLive === 0);

  // ─── B: extension-host restart: SIGKILL the collector process, a new store ─────────────────────
  await collector.stop();
  store.dispose();
  let child = await SoakCollector.start(group, { port });
  const full = { full: true, everyMs: 20 };
  await child.waitFor('the picture in the collector process', (/** @type {Snapshot} */ s) => complete(s, live()), 15_000, full);
  /** @type {number[]} */
  const rebuildB = [];
  /** @type {number[]} */
  const fromSpawnB = [];
  /** @type {string[]} */
  const dupB = [];
  /** @type {string[]} */
  const deadShown = [];
  let extraB = 0;
  for (let r = 1; r <= RESTARTS; r++) {
    spawnWorker();
    spawnWorker();
    const victim = live()[0];
    await kill(victim);
    await child.waitFor(`${victim} exited`, (/** @type {Snapshot} */ s) => s.nodes.find((n) => n.name === victim)?.state === 'exited' && complete(s, live()), 15_000, full);
    await child.kill();
    const downVictim = live()[0];
    await kill(downVictim);
    child = await SoakCollector.start(group, { port });
    const { value: s, at } = await child.waitFor('the live picture rebuilt', (/** @type {Snapshot} */ x) => complete(x, live()) && x, 10_000, full)
      .catch(async (err) => { console.error(err.message); return { value: (await child.snapshot()).snapshot, at: NaN }; });
    rebuildB.push(at - child.listeningAt);
    fromSpawnB.push(at - child.spawnedAt);
    const d = duplicates(s);
    if (d) dupB.push(d);
    // A new store holds only what agents report now: the router and the live workers, nothing else.
    if (s.nodes.length !== live().length + 1 || s.edges.length !== live().length) extraB++;
    for (const id of [victim, downVictim]) {
      const node = s.nodes.find((n) => n.name === id);
      if (node?.state === 'live' || s.edges.some((e) => e.routingId?.text === id && e.state !== 'disconnected')) deadShown.push(`${id}: ${node?.state}`);
    }
    console.log(`B${r}: rebuilt ${at - child.listeningAt} ms after listening (${at - child.spawnedAt} ms after spawn); ${s.nodes.length} nodes, ${s.edges.length} edges${d ? `; DUPLICATES ${d}` : ''}`);
  }
  report.row(`B. extension-host restart (collector process SIGKILLed, new store) ×${RESTARTS}: full live picture back`,
    `${spread(rebuildB, 0)} ms after the new collector listened; ${spread(fromSpawnB, 0)} ms after its process was spawned`,
    `every time <= ${REBUILD_MS} ms after listening`, rebuildB.every((ms) => ms <= REBUILD_MS));
  report.row('B. no duplicates, nothing but the live system', `duplicates in ${dupB.length} of ${RESTARTS} (${dupB.join(' | ') || 'none'}); pictures with extra or missing nodes/edges: ${extraB}`,
    'none', dupB.length === 0 && extraB === 0);
  report.row('B. workers killed before / while down: not shown live', `${2 * RESTARTS} killed; shown live or with an open edge: ${deadShown.length}${deadShown.length ? ` (${deadShown.join('; ')})` : ''}; absent from the new store (it never saw them)`,
    '0', deadShown.length === 0);

  const stopped = await child.stop();
  report.row('collector process ends by itself after stop', stopped.exitedByItself ? 'exited' : `still running: ${stopped.resources.join(', ')}`, 'exited', stopped.exitedByItself);
  report.print([
    `A: the store never saw a worker killed while no collector ran exit; it turns stale after the dead threshold (${DEAD_AFTER_MS} ms, the extension's default) and its edge is not shown connected.`,
    'B: a new store never saw the exited workers; they are absent (docs/RELIABILITY.md: "absent, not marked exited").',
  ]);
});
