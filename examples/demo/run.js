// Starts the whole demo system: a broker, three workers, one flaky worker (restarted each time it
// dies) and two clients, each its own process named via ZMQ_TOPOLOGY_NODE. As in most apps, the
// DEALERs set no routing id, except worker-2 and client-1 (so both kinds are on show). Run it instrumented
// (`zmq-topology run -- node examples/demo/run.js`, or from VS Code: "ZeroMQ: Start Demo") and the
// children are instrumented too: they inherit NODE_OPTIONS and this process's -r flags. All but one: a
// status watcher runs without the agent, as most processes beside an app do.
'use strict';
const { fork } = require('node:child_process');
const path = require('node:path');
const { log } = require('./common');

const children = new Set();
let stopping = false;

/** `-r X`, `--require X` and `--require=X` taken out of a list of Node flags: a child without the agent. */
function withoutRequires(flags) {
  const kept = [];
  for (let i = 0; i < flags.length; i++) {
    if (flags[i] === '-r' || flags[i] === '--require') i++;
    else if (!flags[i].startsWith('--require=')) kept.push(flags[i]);
  }
  return kept;
}

function start(name, script, args = [], { restart = false, agent = true } = {}) {
  const env = { ...process.env, ZMQ_TOPOLOGY_NODE: name };
  // Without the agent: no -r flag, and no NODE_OPTIONS (where a launcher puts the agent's --require).
  if (!agent) delete env.NODE_OPTIONS;
  const child = fork(path.join(__dirname, script), [name, ...args], {
    execArgv: agent ? process.execArgv : withoutRequires(process.execArgv),
    env,
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
  start('status-watcher', 'watcher.js', [], { agent: false });
}, 300);
