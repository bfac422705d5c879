// @ts-check
// A DEALER → ROUTER stream of 64-byte messages over loopback TCP in one process (the benchmark's
// scenario (a), both ends in one process so one CPU time slice covers both). Prints {"type":"ready"}.
// Each stdin line "run MS" streams for MS ms, waits until every message sent has arrived, and prints
// {"type":"run",msgs,ms,memory,agent}: memory after a gc (with --expose-gc); agent = the Node agent's
// telemetry queue length and drop count when one runs in this process (read for the soak report only).
// Twice a second a short-lived DEALER connects to the ROUTER and closes: monitor events, which an agent
// with no collector must drop and count (its queue stays bounded). Ends by itself when stdin ends.
'use strict';
const readline = require('node:readline');
const zmq = require('zeromq');

const PAYLOAD = Buffer.alloc(64, 0x61);
const BATCH = 100;

/** The agent's telemetry sender, when the agent runs here (a private field: observation only). */
function agentTelemetry() {
  const agent = /** @type {Record<symbol, { telemetry?: { queued: number, dropped: number, connected: boolean } } | undefined>} */ (
    /** @type {unknown} */ (globalThis))[Symbol.for('zmq-topology.agent')];
  const t = agent?.telemetry;
  return t ? { queued: t.queued, dropped: t.dropped, connected: t.connected } : null;
}

async function main() {
  const router = new zmq.Router({ linger: 0 });
  // Routing ids, so the ROUTER's peers resolve to these sockets (two anonymous DEALERs on one endpoint
  // would be ambiguous: "unknown peer" nodes by design).
  const dealer = new zmq.Dealer({ linger: 0, routingId: 'stream' });
  await router.bind('tcp://127.0.0.1:*');
  dealer.connect(router.lastEndpoint ?? '');
  let received = 0;
  /** @type {(() => void) | undefined} */
  let onReceived;
  (async () => {
    for await (const _msg of router) {
      received++;
      onReceived?.();
    }
  })().catch(() => {});
  await dealer.send(PAYLOAD);
  let sent = 1;
  const settled = () => new Promise((resolve) => {
    if (received === sent) return resolve(undefined);
    onReceived = () => {
      if (received === sent) {
        onReceived = undefined;
        resolve(undefined);
      }
    };
  });
  await settled();
  let churned = 0;
  const churn = setInterval(() => {
    const d = new zmq.Dealer({ linger: 0, routingId: `churn-${++churned}` });
    d.connect(router.lastEndpoint ?? '');
    setTimeout(() => d.close(), 200);
  }, 500);
  process.stdout.write(`${JSON.stringify({ type: 'ready' })}\n`);
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const m = /^run (\d+)$/.exec(line.trim());
    if (!m) continue;
    const t0 = Date.now();
    const until = t0 + Number(m[1]);
    const from = sent;
    while (Date.now() < until) {
      for (let i = 0; i < BATCH; i++) await dealer.send(PAYLOAD);
      sent += BATCH;
    }
    await settled();
    const ms = Date.now() - t0;
    if (typeof global.gc === 'function') global.gc();
    const { rss, heapUsed } = process.memoryUsage();
    process.stdout.write(`${JSON.stringify({ type: 'run', msgs: sent - from, ms, memory: { rss, heapUsed }, agent: agentTelemetry() })}\n`);
  }
  clearInterval(churn);
  await new Promise((r) => setTimeout(r, 250));
  dealer.close();
  router.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
