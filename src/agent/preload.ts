/**
 * `node -r <this file> app.js` (or NODE_OPTIONS=--require): instruments the app's zeromq sockets
 * when ZMQ_TOPOLOGY_ENDPOINT is set, and does nothing at all otherwise.
 */
import { startAgent } from './start';

try {
  startAgent();
} catch {
  // The app runs uninstrumented rather than not at all.
}
