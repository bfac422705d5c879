/**
 * Real VS Code for the benchmarks that need it (screen, activation): the e2e suite's harness
 * (test/e2e/harness.ts: the packaged .vsix in code-server, headless Debian chromium), plus what the
 * demo e2e test reads from the extension's Output channel: the collector endpoint and the agent
 * environment a user would paste into a shell.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseShellExports } from '../../test/e2e/demoProcesses';
import { codeServer, ensureVsix, Workbench } from '../../test/e2e/harness';

export const CHANNEL = 'ZeroMQ Topology';
const ENVIRONMENT_PRINTED = /Collector listening on tcp:\/\/[\d.]+:\d+[\s\S]*Instrument a process by starting it with this environment[\s\S]*^export NODE_OPTIONS=.*$/m;

export interface BenchWorkbench {
  workbench: Workbench;
  vsix: string;
  /** When openWorkbench() began (Date.now()). */
  navigatedAt: number;
  /** When the explorer showed its rows (the workbench is usable). */
  loadedAt: number;
}

/**
 * code-server (installed once), the .vsix (repackaged only when stale), one fresh server + browser,
 * the workbench loaded on a scratch folder. `settings` always get a collector on a free port.
 */
export async function startWorkbench(name: string, settings: Record<string, unknown> = {}): Promise<BenchWorkbench> {
  await codeServer.ensureCodeServer();
  const vsix = await ensureVsix();
  const workbench = await Workbench.start({ name, vsix, settings: { 'zmqTopology.collector.port': 0, ...settings } });
  try {
    const navigatedAt = Date.now();
    await workbench.openWorkbench();
    return { workbench, vsix, navigatedAt, loadedAt: Date.now() };
  } catch (error) {
    await workbench.captureFailure('load-workbench');
    await workbench.close();
    throw error;
  }
}

export interface AgentEnvironment {
  endpoint: string;
  /** The variables the Output channel printed (ZMQ_TOPOLOGY_ENDPOINT, NODE_OPTIONS, …). */
  env: Record<string, string>;
  /** The whole channel log at that moment (timestamps of activation are in it). */
  log: string;
}

/** Waits until the extension printed its collector endpoint and the agent environment. */
export async function agentEnvironment(workbench: Workbench, timeoutMs = 60000): Promise<AgentEnvironment> {
  const log = await workbench.waitForOutputLog(CHANNEL, ENVIRONMENT_PRINTED, timeoutMs);
  const endpoint = /Collector listening on (tcp:\/\/[\d.]+:\d+)/.exec(log)?.[1];
  const env = parseShellExports(log.slice(log.lastIndexOf('Instrument a process by starting it with this environment')));
  if (!endpoint || env.ZMQ_TOPOLOGY_ENDPOINT !== endpoint) throw new Error(`the printed agent environment does not point at ${endpoint ?? '(no endpoint)'}:\n${log}`);
  return { endpoint, env, log };
}

/** The process environment for an instrumented child: ours without node:test's leftovers, plus the agent's. */
export function instrumentedEnv(agentEnv: Record<string, string>, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base = { ...process.env };
  delete base.NODE_OPTIONS;
  delete base.NODE_TEST_CONTEXT;
  return { ...base, ...agentEnv, ...extra };
}

/** The installed extension's folder inside the server's extensions folder. */
export function installedExtension(workbench: Workbench): string {
  const dirs = fs.readdirSync(workbench.server.extensionsDir).filter((d) => d.startsWith('zmq-topology.zmq-topology-'));
  if (dirs.length !== 1) throw new Error(`expected one installed zmq-topology in ${workbench.server.extensionsDir}: ${dirs.join(', ')}`);
  return path.join(workbench.server.extensionsDir, dirs[0]);
}

/** Bytes of every file under `dir`. */
export function treeSize(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const sub = treeSize(full);
      bytes += sub.bytes;
      files += sub.files;
    } else if (entry.isFile()) {
      bytes += fs.statSync(full).size;
      files++;
    }
  }
  return { bytes, files };
}
