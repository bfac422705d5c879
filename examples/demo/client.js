// A client: DEALER to the broker's frontend sending a REQUEST every 500 ms, and a SUB on the
// broker's status channel.
'use strict';
const zmq = require('zeromq');
const { FRONTEND, STATUS, log } = require('./common');

const name = process.argv[2] || `client-${process.pid}`;
// Most apps set no routing id and the ROUTER knows them by libzmq's automatic one; `--routing-id`
// sets the process name as the socket's id, as some apps do.
const routingId = process.argv.includes('--routing-id') ? { routingId: name } : {};

async function requests() {
  const socket = new zmq.Dealer({ ...routingId, linger: 0 });
  socket.connect(FRONTEND);
  let n = 0;
  const send = setInterval(() => {
    socket.send(['REQUEST', `job ${++n}`]).catch(() => {});
  }, 500);
  let replies = 0;
  for await (const [type] of socket) {
    if (type.toString() === 'REPLY' && ++replies % 20 === 0) log(name, `${replies} replies`);
  }
  clearInterval(send);
}

async function statusFeed() {
  const sub = new zmq.Subscriber({ linger: 0 });
  sub.connect(STATUS);
  sub.subscribe('status');
  for await (const [, body] of sub) {
    if (process.env.ZMQ_DEMO_VERBOSE) log(name, `status ${body}`);
  }
}

Promise.all([requests(), statusFeed()]).catch((err) => {
  console.error(`[${name}]`, err);
  process.exit(1);
});
