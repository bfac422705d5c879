/**
 * `node -r <this file> app.js` (or NODE_OPTIONS=--require): instruments the app's zeromq sockets
 * when ZMQ_TOPOLOGY_ENDPOINT is set, and does nothing at all otherwise.
 */
import { isMainThread } from 'node:worker_threads';
import { startAgent } from './start';

try {
  // NODE_OPTIONS loads this file in worker threads too. zeromq.js aborts the whole process when a
  // worker with a pending receive is terminated (zeromq.js issue #411), and the agent's monitors are
  // pending receives: a pool that terminates its workers would crash. Workers only when asked.
  if (isMainThread || process.env.ZMQ_TOPOLOGY_WORKER_THREADS === '1') startAgent();
} catch {
  // The app runs uninstrumented rather than not at all.
}
