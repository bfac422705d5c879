// Shared by the demo processes: ports, message types and the ZMQ_DISCONNECT_MSG option number.
'use strict';

const basePort = Number(process.env.ZMQ_DEMO_PORT || 5555);

module.exports = {
  FRONTEND: `tcp://127.0.0.1:${basePort}`,
  BACKEND: `tcp://127.0.0.1:${basePort + 1}`,
  STATUS: `tcp://127.0.0.1:${basePort + 2}`,
  HEARTBEAT_MS: 1000,
  // A worker missing this many heartbeats in a row is dropped by the broker (Paranoid Pirate).
  HEARTBEAT_LIVENESS: 3,
  // libzmq draft option; zeromq.js has no named property for it, and setStringOption is protected in its typings.
  ZMQ_DISCONNECT_MSG: 111,
  log(who, ...args) {
    if (!process.env.ZMQ_DEMO_QUIET) console.log(`[${who}]`, ...args);
  },
};
