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

/**
 * Ready workers, least recently used first: routing id as hex → { id, expiry }. Keyed by hex and
 * sent back with the id's own bytes: most workers set no routing id, and libzmq's automatic ids
 * (0x00 + 4 bytes) are not text.
 */
const workers = new Map();
const pending = [];
let served = 0;

/** How a routing id is logged: its text when it is printable, else 0x + hex. */
function label(id) {
  return /^[\x20-\x7e]+$/.test(id.toString('latin1')) ? id.toString() : `0x${id.toString('hex')}`;
}

function workerReady(id) {
  const key = id.toString('hex');
  workers.delete(key);
  workers.set(key, { id, expiry: Date.now() + HEARTBEAT_MS * HEARTBEAT_LIVENESS });
}

async function dispatch() {
  while (pending.length > 0 && workers.size > 0) {
    const [[key, { id }]] = workers;
    workers.delete(key);
    const [client, body] = pending.shift();
    await backend.send([id, 'REQUEST', client, body]);
  }
}

async function serveBackend() {
  for await (const [id, type, ...rest] of backend) {
    switch (type.toString()) {
      case 'READY':
      case 'HEARTBEAT':
        workerReady(id);
        break;
      case 'REPLY': {
        const [client, body] = rest;
        workerReady(id);
        served++;
        await frontend.send([client, 'REPLY', body]);
        break;
      }
      case 'WORKER_GONE':
        workers.delete(id.toString('hex'));
        log('broker', `${label(id)} gone`);
        break;
      default:
        log('broker', `unexpected ${type} from ${label(id)}`);
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
    for (const [key, { id, expiry }] of workers) {
      if (expiry < now) {
        workers.delete(key);
        log('broker', `${label(id)} expired`);
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
