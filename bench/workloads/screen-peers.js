// @ts-check
// The two processes of the screen benchmark (bench/screen.ts), started with the agent environment the
// extension prints, so the graph in VS Code shows one ROUTER ← DEALER edge per dealer.
//
//   node screen-peers.js router
//     binds tcp://127.0.0.1:* with ZMQ_DISCONNECT_MSG "DEALER_GONE", prints {"endpoint"}, and reads
//     everything; it never sends, so the edge's heartbeats are the dealer's alone (the model takes the
//     newest heartbeat seen in either direction: a router that beats back would keep a hung dealer's
//     edge fresh).
//   node screen-peers.js dealer <endpoint> <heartbeatMs> <routingId>
//     connects and sends HEARTBEAT every heartbeatMs, printing {"hb": Date.now()} after each send,
//     so the benchmark knows when the last heartbeat left before it SIGSTOPs the process.
'use strict';
const zmq = require('zeromq');

const ZMQ_DISCONNECT_MSG = 111;
const [role, endpoint, heartbeatMs, routingId] = process.argv.slice(2);

async function router() {
  const socket = new zmq.Router({ linger: 0 });
  // zeromq.js keeps setStringOption protected in its types; this file is plain JS.
  socket.setStringOption(ZMQ_DISCONNECT_MSG, 'DEALER_GONE');
  await socket.bind('tcp://127.0.0.1:*');
  process.stdout.write(`${JSON.stringify({ endpoint: socket.lastEndpoint })}\n`);
  for await (const _ of socket) { /* heartbeats and DEALER_GONE: nothing to answer */ }
}

function dealer() {
  if (!endpoint || !routingId) throw new Error('usage: screen-peers.js dealer <endpoint> <heartbeatMs> <routingId>');
  // A routing id of its own: the model attributes the router's per-peer traffic to this socket by it.
  const socket = new zmq.Dealer({ linger: 0, routingId });
  socket.connect(endpoint);
  setInterval(() => {
    socket.send('HEARTBEAT').then(() => process.stdout.write(`${JSON.stringify({ hb: Date.now() })}\n`), () => {});
  }, Number(heartbeatMs) || 200);
}

if (role === 'router') {
  router().catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else if (role === 'dealer') {
  dealer();
} else {
  console.error('usage: screen-peers.js router | dealer <endpoint> <heartbeatMs> <routingId>');
  process.exit(2);
}
