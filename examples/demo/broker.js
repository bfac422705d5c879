// Paranoid-Pirate-style broker: clients on a ROUTER frontend, workers on a ROUTER backend.
// Workers announce READY and exchange HEARTBEATs with the broker every second; a worker that
// misses three is dropped. The backend sets ZMQ_DISCONNECT_MSG so a worker whose connection goes
// arrives as [workerId, "WORKER_GONE"] at once. A PUB socket beside it publishes status.
'use strict';
const zmq = require('zeromq');
const { FRONTEND, BACKEND, STATUS, HEARTBEAT_MS, HEARTBEAT_LIVENESS, ZMQ_DISCONNECT_MSG, log } = require('./common');

const frontend = new zmq.Router({ linger: 0 });
const backend = new zmq.Router({ linger: 0, heartbeatInterval: HEARTBEAT_MS, heartbeatTimeout: HEARTBEAT_MS * HEARTBEAT_LIVENESS });
backend.setStringOption(ZMQ_DISCONNECT_MSG, 'WORKER_GONE');
const status = new zmq.Publisher({ linger: 0 });

/** Ready workers, least recently used first: routing id (string) → expiry time. */
const workers = new Map();
const pending = [];
let served = 0;

function workerReady(id) {
  workers.delete(id);
  workers.set(id, Date.now() + HEARTBEAT_MS * HEARTBEAT_LIVENESS);
}

async function dispatch() {
  while (pending.length > 0 && workers.size > 0) {
    const [id] = workers.keys();
    workers.delete(id);
    const [client, body] = pending.shift();
    await backend.send([id, 'REQUEST', client, body]);
  }
}

async function serveBackend() {
  for await (const [id, type, ...rest] of backend) {
    const worker = id.toString();
    switch (type.toString()) {
      case 'READY':
      case 'HEARTBEAT':
        workerReady(worker);
        break;
      case 'REPLY': {
        const [client, body] = rest;
        workerReady(worker);
        served++;
        await frontend.send([client, 'REPLY', body]);
        break;
      }
      case 'WORKER_GONE':
        workers.delete(worker);
        log('broker', `${worker} gone`);
        break;
      default:
        log('broker', `unexpected ${type} from ${worker}`);
    }
    await dispatch();
  }
}

async function serveFrontend() {
  for await (const [client, type, body] of frontend) {
    if (type.toString() !== 'REQUEST') continue;
    pending.push([client, body ?? Buffer.alloc(0)]);
    if (pending.length > 1000) pending.shift();
    await dispatch();
  }
}

async function heartbeat() {
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_MS));
    const now = Date.now();
    for (const [id, expiry] of workers) {
      if (expiry < now) {
        workers.delete(id);
        log('broker', `${id} expired`);
      } else {
        await backend.send([id, 'HEARTBEAT']);
      }
    }
    await status.send(['status', JSON.stringify({ workers: workers.size, pending: pending.length, served })]);
  }
}

async function main() {
  await frontend.bind(FRONTEND);
  await backend.bind(BACKEND);
  await status.bind(STATUS);
  log('broker', `frontend ${FRONTEND}, backend ${BACKEND}, status ${STATUS}`);
  await Promise.all([serveBackend(), serveFrontend(), heartbeat()]);
}

main().catch((err) => {
  console.error('[broker]', err);
  process.exit(1);
});
