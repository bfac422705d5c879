#!/usr/bin/env node
// @ts-check
// Collector gone, the long run (the short one is test/integration/hardening-collector-gone.test.ts):
//   npx tsc -p . && node scripts/soak/collector-gone.js [--minutes 10] [--round-ms 1000] [--python 0]
// Instrumented apps (zeromq.js, and pyzmq when /usr/bin/python3 imports zmq) stream DEALER → ROUTER
// for --minutes while nothing listens at their collector endpoint, alternated round by round with
// their uninstrumented twins (one app runs at a time; the order flips every cycle). Measures the
// paired throughput ratio, the agents' memory (Node: heap after gc + RSS; Python: RSS after
// gc.collect()) and their own queue/drop counters. Then a collector starts on that endpoint: the
// picture (each app's node, its 2 sockets, its connected edge) must appear within 2 s, with the
// agents' drop counters in it. Prints a table; exit code 1 when a check fails.
'use strict';
const path = require('node:path');
const { APPS, Report, SoakCollector, arg, findPython, freePort, mb, median, procStat, run, spread, thirdsGrowth, sleep } = require('./lib');

const MINUTES = arg('minutes', 10);
const ROUND_MS = arg('round-ms', 1000);
const WITH_PYTHON = arg('python', 1) !== 0;
const RATIO_TARGET = 0.97;
const PICTURE_MS = 2000;
/**
 * The agents' queue bounds: Node keeps nothing while alone (src/agent/telemetry.ts QUEUE_LIMIT applies
 * when connected); Python keeps timeline messages up to QUEUE_MAX (agents/python/zmq_topology/agent.py).
 * @type {Record<string, number>}
 */
const QUEUE_LIMIT = { node: 1000, python: 10_000 };

/**
 * @typedef {{ type: 'run', msgs: number, ms: number, memory: { rss: number, heapUsed?: number },
 *   agent: { queued: number, dropped: number, connected?: boolean } | null }} Run
 * @typedef {import('../../test/fixtures/hardening/procs').Proc} Proc
 */

/** @param {Proc} app @param {number} ms @returns {Promise<Run>} */
async function runOnce(app, ms) {
  const from = app.lines.length;
  app.send(`run ${ms}`);
  return /** @type {Promise<Run>} */ (app.line((/** @type {{ type?: string }} */ v) => v?.type === 'run', ms + 30_000, from));
}

run(async (group) => {
  const report = new Report(`collector gone for ${MINUTES} min, then a collector starts`);
  const port = await freePort();
  const endpoint = `tcp://127.0.0.1:${port}`;
  const python = WITH_PYTHON ? findPython() : undefined;
  const nodeApp = path.join(APPS, 'stream-app.js');
  const pyApp = path.join(APPS, 'stream_app.py');
  /** @type {{ runtime: string, name: string, plain: Proc, instrumented: Proc }[]} */
  const pairs = [{
    runtime: 'node', name: 'gone-node',
    plain: group.node(nodeApp, [], { nodeArgs: ['--expose-gc'] }),
    instrumented: group.node(nodeApp, [], { nodeArgs: ['--expose-gc'], agent: endpoint, name: 'gone-node' }),
  }];
  if (python) {
    pairs.push({
      runtime: 'python', name: 'gone-python',
      plain: group.python(python, pyApp, []),
      instrumented: group.python(python, pyApp, [], { agent: endpoint, name: 'gone-python' }),
    });
  }
  await Promise.all(pairs.flatMap((p) => [p.plain, p.instrumented]).map((a) => a.line((/** @type {{ type?: string }} */ v) => v?.type === 'ready', 20_000)));
  console.log(`${pairs.map((p) => p.runtime).join(' + ')} apps ready${python ? '' : ' (no Python with pyzmq: Node only)'}; no collector at ${endpoint} for ${MINUTES} min, rounds of ${ROUND_MS} ms`);

  /** @type {Record<string, { ratios: number[], plainRates: number[], agentRates: number[], heap: number[], rss: number[], plainRss: number[], fds: number[], queued: number[], dropped: number[] }>} */
  const m = {};
  for (const p of pairs) m[p.runtime] = { ratios: [], plainRates: [], agentRates: [], heap: [], rss: [], plainRss: [], fds: [], queued: [], dropped: [] };
  const start = Date.now();
  let cycle = 0;
  while (Date.now() - start < MINUTES * 60_000) {
    for (const p of pairs) {
      // Alternated, order flipped each cycle, so neither side always runs on a warmer (or busier) CPU.
      const order = cycle % 2 === 0 ? [p.plain, p.instrumented] : [p.instrumented, p.plain];
      const a = await runOnce(order[0], ROUND_MS);
      const b = await runOnce(order[1], ROUND_MS);
      const [plain, agent] = order[0] === p.plain ? [a, b] : [b, a];
      const r = m[p.runtime];
      r.plainRates.push(plain.msgs / (plain.ms / 1000));
      r.agentRates.push(agent.msgs / (agent.ms / 1000));
      r.ratios.push(r.agentRates[r.agentRates.length - 1] / r.plainRates[r.plainRates.length - 1]);
      if (agent.memory.heapUsed !== undefined) r.heap.push(agent.memory.heapUsed);
      r.rss.push(agent.memory.rss);
      r.plainRss.push(plain.memory.rss);
      r.fds.push(procStat(/** @type {number} */ (p.instrumented.process.pid))?.fds ?? NaN);
      if (agent.agent) {
        r.queued.push(agent.agent.queued);
        r.dropped.push(agent.agent.dropped);
      }
    }
    cycle++;
    if (cycle % 20 === 0) {
      const mins = ((Date.now() - start) / 60_000).toFixed(1);
      console.log(`${mins} min: ${pairs.map((p) => `${p.runtime} median ratio ${median(m[p.runtime].ratios).toFixed(3)}, rss ${mb(m[p.runtime].rss.at(-1) ?? 0)} MB`).join('; ')}`);
    }
  }

  for (const p of pairs) {
    const r = m[p.runtime];
    const overall = r.agentRates.reduce((x, y) => x + y, 0) / r.plainRates.reduce((x, y) => x + y, 0);
    report.row(`${p.runtime}: throughput instrumented / plain, no collector (paired ${ROUND_MS} ms rounds)`,
      `${spread(r.ratios)}; overall ${overall.toFixed(3)}; plain ${Math.round(median(r.plainRates))} msg/s, instrumented ${Math.round(median(r.agentRates))} msg/s (medians)`,
      `median >= ${RATIO_TARGET}`, median(r.ratios) >= RATIO_TARGET);
    if (r.heap.length) {
      const growth = thirdsGrowth(r.heap.slice(1));
      report.row(`${p.runtime}: agent app heap after gc over ${MINUTES} min`, `${mb(r.heap[1] ?? r.heap[0])} → ${mb(r.heap.at(-1) ?? 0)} MB; growth first→last third ${(growth / 2 ** 20).toFixed(2)} MB`,
        'growth <= 1 MB', growth <= 2 ** 20);
    }
    const rssGrowth = thirdsGrowth(r.rss.slice(1));
    const plainGrowth = thirdsGrowth(r.plainRss.slice(1));
    report.row(`${p.runtime}: instrumented app RSS over ${MINUTES} min (plain twin beside it)`,
      `${mb(r.rss[1] ?? r.rss[0])} → ${mb(r.rss.at(-1) ?? 0)} MB, growth first→last third ${mb(rssGrowth)} MB (plain: ${mb(r.plainRss[1] ?? r.plainRss[0])} → ${mb(r.plainRss.at(-1) ?? 0)} MB, growth ${mb(plainGrowth)} MB)`,
      'growth <= 5 MB', rssGrowth <= 5 * 2 ** 20);
    report.row(`${p.runtime}: agent telemetry queue while alone`, `max ${Math.max(...r.queued)} queued; drops counted by the agent ${r.dropped[0]} → ${r.dropped.at(-1)}; app fds ${Math.min(...r.fds)}–${Math.max(...r.fds)} (growth first→last third ${thirdsGrowth(r.fds)})`,
      `queue <= ${QUEUE_LIMIT[p.runtime]} (the agent's bound), fds growth <= 2`, Math.max(...r.queued) <= QUEUE_LIMIT[p.runtime] && thirdsGrowth(r.fds) <= 2);
  }

  // The collector starts while the instrumented apps stream (their edges carry traffic, as in real
  // life): the picture must appear within 2 s (process start included).
  const during = pairs.map((p) => runOnce(p.instrumented, 6000));
  await sleep(500);
  const collector = await SoakCollector.start(group, { port });
  const expected = pairs.map((p) => p.name);
  const { value: snap, at } = await collector.waitFor('every instrumented app with its ROUTER, DEALER and connected edge', (/** @type {import('../../src/shared/snapshot').TopologySnapshot} */ s) => {
    const ok = expected.every((name) => {
      const node = s.nodes.find((n) => n.name === name && n.state === 'live');
      const sockets = node ? s.sockets.filter((k) => k.nodeId === node.id && !k.closed) : [];
      const dealer = sockets.find((k) => k.type === 'DEALER' && k.routingId?.text === 'stream');
      return sockets.some((k) => k.type === 'ROUTER') && dealer && s.edges.some((e) => e.from === dealer.id && e.state === 'connected' && e.routingId?.text === 'stream');
    });
    return ok && s;
  }, 10_000, { full: true, everyMs: 20 });
  report.row('picture after the collector starts (node, ROUTER, DEALER, connected edge with its routing id, per app)',
    `${at - collector.spawnedAt} ms after spawning the collector process (${at - collector.listeningAt} ms after it listened); upper bounds (20 ms polls)`,
    `<= ${PICTURE_MS} ms after listening`, at - collector.listeningAt <= PICTURE_MS);
  const duringRuns = await Promise.all(during);
  for (const [i, p] of pairs.entries()) {
    const rate = duringRuns[i].msgs / (duringRuns[i].ms / 1000);
    report.row(`${p.runtime}: throughput while the collector starts and takes the snapshot`, `${Math.round(rate)} msg/s over 6 s, ${(rate / median(m[p.runtime].agentRates)).toFixed(2)} × its median while alone (all instrumented apps streaming at once beside the collector start: CPU shared, not a paired ratio)`, 'information', null);
  }
  report.row('only instrumented apps appear', `${snap.nodes.length} nodes (${snap.nodes.map((n) => n.name).join(', ')}), ${snap.edges.length} edges (the stream + churned DEALERs still kept)`,
    `${pairs.length} nodes, no unknown peer`, snap.nodes.length === pairs.length);

  // Drops visible in the picture: the agent's counter, as reported in its snapshot/beats.
  await sleep(2500); // a beat or two
  const after = (await collector.snapshot()).snapshot;
  for (const p of pairs) {
    const own = (await runOnce(p.instrumented, 200)).agent;
    const node = after.nodes.find((n) => n.name === p.name);
    const alone = m[p.runtime].dropped.at(-1) ?? 0;
    // Drops after the collector came (a full queue) may be counted between the two readings: a range.
    report.row(`${p.runtime}: drops while alone shown in the picture`, `node.dropped ${node?.dropped}; the agent's own counter: ${alone} when the collector started, ${own?.dropped} now`,
      'alone <= node.dropped <= now', node !== undefined && own !== null && node.dropped >= alone && node.dropped <= own.dropped);
  }

  // With the collector there: telemetry flowing, a few paired rounds for comparison (information).
  for (const p of pairs) {
    const ratios = [];
    for (let i = 0; i < 6; i++) {
      const order = i % 2 === 0 ? [p.plain, p.instrumented] : [p.instrumented, p.plain];
      const a = await runOnce(order[0], ROUND_MS);
      const b = await runOnce(order[1], ROUND_MS);
      const [plain, agent] = order[0] === p.plain ? [a, b] : [b, a];
      ratios.push((agent.msgs / agent.ms) / (plain.msgs / plain.ms));
    }
    report.row(`${p.runtime}: throughput instrumented / plain with the collector (6 paired rounds)`, spread(ratios), 'information', null);
  }

  // Everything ends by itself once its input ends.
  const apps = pairs.flatMap((p) => [p.plain, p.instrumented]);
  for (const a of apps) a.process.stdin?.end();
  const exits = await Promise.all(apps.map((a) => Promise.race([a.exited, sleep(10_000).then(() => 'still running')])));
  const stopped = await collector.stop();
  report.row('apps and collector end by themselves', `apps: ${exits.map((e) => JSON.stringify(e)).join(', ')}; collector: ${stopped.exitedByItself ? 'exited' : `still running (${stopped.resources.join(', ')})`}`,
    'all exit 0', exits.every((e) => typeof e === 'object' && e.code === 0) && stopped.exitedByItself);

  report.print([
    `Reference, bench agent (docs/PERFORMANCE.md, 2026-11-22): "dropping" (agent, no collector) / plain, stream 64 B: Node 0.797 (0.573–0.872), Python 0.439 (0.237–0.578), separate ROUTER/DEALER processes.`,
    'One app runs at a time; each ratio pairs two adjacent rounds. Both ends of the stream are in one instrumented process here.',
  ]);
});
