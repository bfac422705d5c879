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

/** The live process that binds the demo's ports from `base`, when one reports here (a demo already running). */
export function runningDemo(snapshot: TopologySnapshot, base: number): NodeView | undefined {
  const ports = new Set([base, base + 1, base + 2].map(String));
  const binder = snapshot.sockets.find((s) => !s.closed && !s.unknown && s.binds.some((b) => ports.has(b.slice(b.lastIndexOf(':') + 1))));
  const node = binder && snapshot.nodes.find((n) => n.id === binder.nodeId);
  return node && node.state !== 'exited' ? node : undefined;
}
