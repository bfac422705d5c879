// @ts-check
// The churn soak's processes (test/fixtures/hardening/churn-app.js, plus a router and readings):
//   churn-app.js router                      ROUTER on a free port (prints {"type":"endpoint",endpoint}), drains
//   churn-app.js sockets <endpoint> <ms> <id> a new DEALER (routing id <id>) every 100 ms: connect, HEARTBEAT, close the previous
//   churn-app.js connect <endpoint> <ms> <id> one DEALER that disconnects / reconnects every 100 ms (ends connected)
// Churners print {"type":"done",cycles} and then heartbeat every 200 ms on their last connection.
// Stdin "stats" prints {"type":"stats",cycles,handles,requests,resources,fds} (what the process holds open:
// a socket or timer the agent leaked would show here). When stdin ends, everything is closed and the
// process must end by itself.
'use strict';
const fs = require('node:fs');
const readline = require('node:readline');
const zmq = require('zeromq');

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));
const print = (/** @type {unknown} */ obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
let cycles = 0;
/** @type {() => void} */
let shutdown = () => {};

function stats() {
  const p = /** @type {NodeJS.Process & { _getActiveHandles(): unknown[], _getActiveRequests(): unknown[] }} */ (process);
  /** @type {Record<string, number>} */
  const resources = {};
  for (const r of process.getActiveResourcesInfo()) resources[r] = (resources[r] ?? 0) + 1;
  return { type: 'stats', cycles, handles: p._getActiveHandles().length, requests: p._getActiveRequests().length, resources, fds: fs.readdirSync('/proc/self/fd').length };
}

async function router() {
  // handover: a replacing DEALER takes its routing id over at once. Without it libzmq ignores a new
  // connection whose id is still held by one not yet terminated, and never reads it (4–9 of 20 rounds
  // in a plain zeromq.js check): the store then rightly shows it not connected, which is libzmq's
  // behaviour (docs/RELIABILITY.md), not the store bookkeeping this soak checks.
  const sock = new zmq.Router({ linger: 0, handover: true });
  await sock.bind('tcp://127.0.0.1:*');
  print({ type: 'endpoint', endpoint: sock.lastEndpoint });
  (async () => {
    for await (const _msg of sock) { /* drain */ }
  })().catch(() => {});
  shutdown = () => sock.close();
}

/** @param {'sockets' | 'connect'} mode @param {string} endpoint @param {number} ms @param {string} routingId */
async function churn(mode, endpoint, ms, routingId) {
  const until = Date.now() + ms;
  let current = new zmq.Dealer({ linger: 0, routingId });
  current.connect(endpoint);
  let connected = true;
  let stopped = false;
  shutdown = () => {
    stopped = true;
  };
  while (Date.now() < until && !stopped) {
    await sleep(100);
    cycles++;
    if (mode === 'sockets') {
      const next = new zmq.Dealer({ linger: 0, routingId });
      next.connect(endpoint);
      current.close();
      current = next;
      await current.send('HEARTBEAT');
    } else if (connected) {
      current.disconnect(endpoint);
      connected = false;
    } else {
      current.connect(endpoint);
      connected = true;
      await current.send('HEARTBEAT');
    }
  }
  if (stopped) {
    current.close();
    return;
  }
  if (!connected) current.connect(endpoint);
  const beat = setInterval(() => current.send('HEARTBEAT').catch(() => {}), 200);
  print({ type: 'done', cycles });
  shutdown = () => {
    clearInterval(beat);
    current.close();
  };
}

async function main() {
  const [mode, endpoint, ms, id] = process.argv.slice(2);
  // stdout's pipe handle exists from the start, so the first and last readings compare like with like.
  print({ type: 'started' });
  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === 'stats') print(stats());
  });
  lines.on('close', () => shutdown());
  if (mode === 'router') await router();
  else if (mode === 'sockets' || mode === 'connect') await churn(mode, endpoint, Number(ms), id);
  else throw new Error(`unknown mode ${mode}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
