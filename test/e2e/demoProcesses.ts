/**
 * The demo system's processes (examples/demo inside the installed extension) started by a test with
 * the agent environment the extension printed, one process per role so the test knows every pid and
 * nothing restarts behind its back (examples/demo/run.js restarts a flaky worker every ~20 s).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

/** `export NAME='value'` lines (sh syntax, as Copy Agent Environment and the Output channel print them). */
export function parseShellExports(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const match of text.matchAll(/^export ([A-Za-z_][A-Za-z0-9_]*)=('(?:[^']|'\\'')*')$/gm)) {
    env[match[1]!] = match[2]!.slice(1, -1).replace(/'\\''/g, "'");
  }
  return env;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function osPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A base port with `count` free ports from it (ZMQ_DEMO_PORT uses base, base + 1, base + 2). */
export async function freePortRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = await osPort();
    if (base + count > 65535) continue;
    let free = true;
    for (let i = 1; i < count && free; i++) free = await portFree(base + i);
    if (free) return base;
  }
  throw new Error(`no run of ${count} free ports found`);
}

export interface DemoProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  /** stdout + stderr so far. */
  output(): string;
}

export class DemoSystem {
  private readonly processes: DemoProcess[] = [];
  private readonly onExit = (): void => this.killAllNow();

  /**
   * @param demoDir the folder with broker.js, worker.js and client.js
   * @param env the agent environment to add (ZMQ_TOPOLOGY_ENDPOINT, NODE_OPTIONS, …)
   * @param basePort ZMQ_DEMO_PORT
   */
  constructor(readonly demoDir: string, private readonly env: Record<string, string>, readonly basePort: number) {
    for (const script of ['broker.js', 'worker.js', 'client.js', 'watcher.js']) {
      if (!fs.existsSync(path.join(demoDir, script))) throw new Error(`${path.join(demoDir, script)} is missing`);
    }
    // A crashed test run must not leave the demo behind.
    process.once('exit', this.onExit);
  }

  /** Starts `node <script> <name>` instrumented as process `name` (the watcher, as the demo runs it, without the agent). */
  start(name: string, script: 'broker.js' | 'worker.js' | 'client.js' | 'watcher.js', options: { agent?: boolean } = {}): DemoProcess {
    const base = { ...process.env };
    // From `node --test`: they would instrument nothing and confuse the child.
    delete base.NODE_TEST_CONTEXT;
    delete base.NODE_OPTIONS;
    const agentEnv = options.agent === false ? {} : { ...this.env, ZMQ_TOPOLOGY_NODE: name };
    const child = spawn(process.execPath, [path.join(this.demoDir, script), name], {
      cwd: this.demoDir,
      env: { ...base, ...agentEnv, ZMQ_DEMO_PORT: String(this.basePort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid === undefined) throw new Error(`could not start ${script}`);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const started: DemoProcess = { name, pid: child.pid, child, output: () => output };
    this.processes.push(started);
    return started;
  }

  /** Waits until the process printed something matching `pattern`. */
  async waitForOutput(proc: DemoProcess, pattern: RegExp, timeoutMs = 30000): Promise<void> {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      if (pattern.test(proc.output())) return;
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) break;
    }
    throw new Error(`${proc.name} (pid ${proc.pid}) did not print ${pattern} (${proc.child.exitCode ?? proc.child.signalCode ?? 'still running'}); output:\n${proc.output()}`);
  }

  get all(): readonly DemoProcess[] {
    return this.processes;
  }

  /** Everything the processes printed, for failure messages. */
  describe(): string {
    return this.processes.map((p) => `--- ${p.name} (pid ${p.pid}, ${p.child.exitCode ?? p.child.signalCode ?? 'running'})\n${p.output()}`).join('\n');
  }

  /** SIGTERM every process still running, SIGKILL what is left after 3 s. */
  async stop(): Promise<void> {
    const running = () => this.processes.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
    for (const p of running()) p.child.kill('SIGTERM');
    for (const deadline = Date.now() + 3000; running().length > 0 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50));
    this.killAllNow();
    process.removeListener('exit', this.onExit);
  }

  private killAllNow(): void {
    for (const p of this.processes) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    }
  }
}
