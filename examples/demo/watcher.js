// A status display someone runs beside the system without the agent, as most processes on a real
// system are: a SUB on the broker's status channel. Nothing reports it; the broker's agent counts its
// connection, and the graph draws it on the broker's PUB as a peer without an agent.
'use strict';
const zmq = require('zeromq');
const { STATUS, log } = require('./common');

const name = process.argv[2] || `watcher-${process.pid}`;

(async () => {
  const sub = new zmq.Subscriber({ linger: 0 });
  sub.connect(STATUS);
  sub.subscribe('status');
  let seen = 0;
  for await (const [, body] of sub) {
    if (++seen % 20 === 0) log(name, `${seen} status updates, latest ${body}`);
  }
})().catch((err) => {
  console.error(`[${name}]`, err);
  process.exit(1);
});
