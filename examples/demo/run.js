// Starts the whole demo system: a broker, three workers, one flaky worker (restarted each time it
// dies) and two clients, each its own process named via ZMQ_TOPOLOGY_NODE. As in most apps, the
// DEALERs set no routing id, except worker-2 and client-1 (so both kinds are on show). Run it instrumented
// (`zmq-topology run -- node examples/demo/run.js`, or from VS Code: "ZeroMQ: Start Demo") and the
// children are instrumented too: they inherit NODE_OPTIONS and this process's -r flags.
'use strict';
const { fork } = require('node:child_process');
const path = require('node:path');
const { log } = require('./common');

const children = new Set();
let stopping = false;

function start(name, script, args = [], { restart = false } = {}) {
  const child = fork(path.join(__dirname, script), [name, ...args], {
    execArgv: process.execArgv,
    env: { ...process.env, ZMQ_TOPOLOGY_NODE: name },
    stdio: 'inherit',
  });
  children.add(child);
  child.on('exit', (code, signal) => {
    children.delete(child);
    if (stopping) return;
    log('demo', `${name} exited (${signal ?? code})${restart ? ', restarting in 2 s' : ''}`);
    if (restart) setTimeout(() => !stopping && start(name, script, args, { restart }), 2000);
  });
}

function stop() {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  setTimeout(() => process.exit(0), 500).unref();
}

process.on('SIGINT', stop);
process.on('SIGTERM', stop);
process.on('disconnect', stop);

start('broker', 'broker.js');
// Give the broker a moment to bind so the first connects do not show as retries.
setTimeout(() => {
  for (const n of [1, 2, 3]) start(`worker-${n}`, 'worker.js', n === 2 ? ['--routing-id'] : []);
  start('worker-flaky', 'worker.js', ['--flaky'], { restart: true });
  for (const n of [1, 2]) start(`client-${n}`, 'client.js', n === 1 ? ['--routing-id'] : []);
}, 300);
