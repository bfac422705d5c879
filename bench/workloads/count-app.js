// @ts-check
// The instruction-count benchmark's zeromq.js program (bench/instructions.ts): a ROUTER and a DEALER on
// tcp loopback, 64-byte messages DEALER → ROUTER. The side being measured handles exactly N messages
// and exits; the other side (N = 0) runs until killed.
//
//   node count-app.js router <N>              binds, prints {"endpoint"}, receives N messages
//   node count-app.js dealer <N> <endpoint>   sends N messages
'use strict';
const zmq = require('zeromq');

const [role, count, endpoint] = process.argv.slice(2);
const n = Number(count);

async function main() {
  if (role === 'router') {
    const socket = new zmq.Router({ linger: 0 });
    await socket.bind('tcp://127.0.0.1:*');
    process.stdout.write(`${JSON.stringify({ endpoint: socket.lastEndpoint })}\n`);
    for (let i = 0; n === 0 || i < n; i++) await socket.receive();
  } else {
    const socket = new zmq.Dealer({ linger: 0 });
    socket.connect(/** @type {string} */ (endpoint));
    const payload = Buffer.alloc(64, 0x61);
    for (let i = 0; n === 0 || i < n; i++) await socket.send(payload);
  }
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
