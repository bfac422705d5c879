/**
 * Start Demo, the pure part: whether the demo's ports are free, whether a demo already reports here,
 * and free ports for a second one. The demo binds ZMQ_DEMO_PORT (default 5555) and the next two
 * (examples/demo/common.js). No vscode.
 */
import * as net from 'node:net';
import type { NodeView, TopologySnapshot } from '../shared/snapshot';

export const DEMO_BASE_PORT = 5555;
const DEMO_PORTS = 3;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Whether the demo's three ports from `base` are free on loopback. */
export async function demoPortsFree(base: number): Promise<boolean> {
  for (let port = base; port < base + DEMO_PORTS; port++) if (!(await portFree(port))) return false;
  return true;
}

/** A base port with the demo's three ports free, searching upwards from `from`; undefined when none is found. */
export async function freeDemoBase(from: number, tries = 50): Promise<number | undefined> {
  for (let base = from; base < from + tries * DEMO_PORTS && base + DEMO_PORTS <= 65535; base += DEMO_PORTS) {
    if (await demoPortsFree(base)) return base;
  }
  return undefined;
}

/**
 * The live process that binds the demo's ports and reports here (a demo already running): from `base`,
 * or, without one, from any base (a demo started on free ports): the process run.js names "broker",
 * binding three ports in a row.
 */
export function runningDemo(snapshot: TopologySnapshot, base?: number): NodeView | undefined {
  const portOf = (endpoint: string): number => Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
  const live = (nodeId: string) => snapshot.nodes.find((n) => n.id === nodeId && n.state !== 'exited' && !n.unknown);
  const bound = (nodeId: string) => new Set(snapshot.sockets.filter((s) => s.nodeId === nodeId && !s.closed && !s.unknown).flatMap((s) => s.binds.map(portOf)));
  if (base !== undefined) {
    const binder = snapshot.sockets.find((s) => !s.closed && !s.unknown && s.binds.some((b) => [base, base + 1, base + 2].includes(portOf(b))));
    return binder && live(binder.nodeId);
  }
  return snapshot.nodes.find((n) => {
    if (n.name !== 'broker' || !live(n.id)) return false;
    const ports = bound(n.id);
    return [...ports].some((p) => ports.has(p + 1) && ports.has(p + 2));
  });
}
