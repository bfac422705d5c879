/**
 * A real collector + store in the test process, and instrumented child processes around it.
 * Everything started here is stopped by stop(), which tests call in `after`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { Collector } from '../../src/collector/collector';
import { TopologyStore, type StoreOptions } from '../../src/model/store';
import type { TopologySnapshot } from '../../src/shared/snapshot';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const NODE_AGENT = path.join(ROOT, 'out', 'src', 'agent', 'preload.js');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');

export interface Child {
  process: ChildProcess;
  /** Resolves with the child's first stdout line (fixtures print their endpoint there). */
  firstLine: Promise<string>;
  exited: Promise<void>;
}

export class System {
  readonly children = new Set<ChildProcess>();

  private constructor(readonly store: TopologyStore, public collector: Collector, public endpoint: string) {}

  static async start(storeOptions: Partial<StoreOptions> = {}, port = 0): Promise<System> {
    const store = new TopologyStore({ sweepIntervalMs: 50, notifyIntervalMs: 50, ...storeOptions });
    store.start();
    const collector = new Collector(store, { port, fallbackToFreePort: false });
    const endpoint = await collector.start();
    return new System(store, collector, endpoint);
  }

  /** Starts `node -r agent script args` with the agent pointed at this collector. */
  spawnNode(script: string, args: string[], options: { name?: string; env?: Record<string, string>; instrument?: boolean } = {}): Child {
    const instrument = options.instrument ?? true;
    const child = spawn(process.execPath, [...(instrument ? ['-r', NODE_AGENT] : []), script, ...args], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
      env: {
        ...process.env,
        ...(instrument ? { ZMQ_TOPOLOGY_ENDPOINT: this.endpoint } : {}),
        ...(options.name ? { ZMQ_TOPOLOGY_NODE: options.name } : {}),
        ...options.env,
      },
    });
    return this.track(child, script);
  }

  private track(child: ChildProcess, script: string): Child {
    this.children.add(child);
    const exited = new Promise<void>((resolve) => child.once('exit', () => {
      this.children.delete(child);
      resolve();
    }));
    const firstLine = new Promise<string>((resolve, reject) => {
      readline.createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code, signal) => reject(new Error(`${path.basename(script)} exited (${signal ?? code}) before printing a line`)));
    });
    firstLine.catch(() => {});
    return { process: child, firstLine, exited };
  }

  /** Starts a Python script with the pyzmq agent on PYTHONPATH, pointed at this collector. */
  spawnPython(python: string, script: string, args: string[], name: string, env: Record<string, string> = {}): Child {
    return this.track(spawn(python, [script, ...args], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
      env: {
        ...process.env,
        PYTHONPATH: path.join(ROOT, 'agents', 'python'),
        PYTHONDONTWRITEBYTECODE: '1',
        PYTHONUNBUFFERED: '1',
        ZMQ_TOPOLOGY_ENDPOINT: this.endpoint,
        ZMQ_TOPOLOGY_NODE: name,
        ...env,
      },
    }), script);
  }

  /** Polls the store until `check` returns a truthy value; fails with `what` and the last snapshot. */
  async waitFor<T>(what: string, check: (s: TopologySnapshot) => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: TopologySnapshot | undefined;
    for (;;) {
      last = this.store.snapshot();
      const result = check(last);
      if (result) return result;
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last snapshot:\n${JSON.stringify(last, null, 1).slice(0, 4000)}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async restartCollector(port: number): Promise<void> {
    await this.collector.stop();
    this.collector = new Collector(this.store, { port, fallbackToFreePort: false });
    this.endpoint = await this.collector.start();
  }

  async stop(): Promise<void> {
    const waits = [...this.children].map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    }));
    await Promise.all(waits);
    await this.collector.stop();
    this.store.dispose();
  }
}

/** Port of a tcp endpoint. */
export function portOf(endpoint: string): number {
  return Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
}
