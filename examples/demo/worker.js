// A worker: DEALER to the broker's backend, READY once, HEARTBEAT every second, answers REQUESTs.
// `--flaky` makes it crash (SIGKILL itself) after about 20 seconds, as real workers do.
'use strict';
const zmq = require('zeromq');
const { BACKEND, HEARTBEAT_MS, log } = require('./common');

const name = process.argv[2] || `worker-${process.pid}`;
// Most apps set no routing id and the ROUTER knows them by libzmq's automatic one; `--routing-id`
// sets the process name as the socket's id, as some apps do.
const routingId = process.argv.includes('--routing-id') ? { routingId: name } : {};
const flaky = process.argv.includes('--flaky');

async function main() {
  const socket = new zmq.Dealer({ ...routingId, linger: 0 });
  socket.connect(BACKEND);
  await socket.send(['READY']);
  log(name, `ready on ${BACKEND}${flaky ? ' (flaky)' : ''}`);

  const beat = setInterval(() => {
    socket.send(['HEARTBEAT']).catch(() => {});
  }, HEARTBEAT_MS);

  if (flaky) {
    setTimeout(() => {
      log(name, 'crashing');
      process.kill(process.pid, 'SIGKILL');
    }, 15000 + Math.random() * 10000);
  }

  for await (const [type, client, body] of socket) {
    if (type.toString() !== 'REQUEST') continue;
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
    await socket.send(['REPLY', client, Buffer.from(`done: ${body}`)]);
  }
  clearInterval(beat);
}

main().catch((err) => {
  console.error(`[${name}]`, err);
  process.exit(1);
});
