/**
 * Programmatic use, for apps not started with `node -r`: `instrument(socket, { name })`.
 * Starts the agent (from ZMQ_TOPOLOGY_ENDPOINT or `endpoint`) if needed, patches the zeromq copies
 * already loaded, and registers the socket. Call it before touching `socket.events`: the agent
 * takes over the socket's one monitor.
 */
import { startAgent } from './start';
import type { ZmqSocket } from './zmq';

export interface InstrumentOptions {
  /** Display name of the socket. */
  name?: string;
  /** Collector endpoint, when ZMQ_TOPOLOGY_ENDPOINT is not set. */
  endpoint?: string;
  /** Display name of the process (ZMQ_TOPOLOGY_NODE). */
  node?: string;
}

/** Returns the socket itself; without a collector endpoint it does nothing. */
export function instrument<T extends ZmqSocket>(socket: T, options: InstrumentOptions = {}): T {
  try {
    startAgent({ endpoint: options.endpoint, node: options.node })?.adopt(socket, options.name);
  } catch {
    // Instrumentation is never worth an app failure.
  }
  return socket;
}
