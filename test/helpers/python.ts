import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

/** The first interpreter that can import pyzmq, or undefined. */
function findPython(): string | undefined {
  const candidates = [process.env.ZMQ_TOPOLOGY_TEST_PYTHON, '/usr/bin/python3', 'python3', 'python'];
  for (const candidate of candidates) {
    if (!candidate) continue;
    const probe = spawnSync(candidate, ['-c', 'import zmq'], { stdio: 'ignore', timeout: 10_000 });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

const PYTHON = findPython();

/** A Python with pyzmq; a test that needs one fails (never skips) with how to get one. */
export function python(): string {
  assert.ok(PYTHON, 'no Python that can `import zmq` was found (tried $ZMQ_TOPOLOGY_TEST_PYTHON, /usr/bin/python3, '
    + 'python3, python): install pyzmq, e.g. `apt-get install -y python3-zmq`');
  return PYTHON;
}
