/**
 * Child processes for benchmarks: each one prints JSON lines on stdout, is killed when it overruns
 * its time limit, and is killed if the benchmark itself exits first. Nothing outlives a benchmark.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import * as readline from 'node:readline';

const running = new Set<ChildProcess>();

function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
}
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

export interface Child {
  process: ChildProcess;
  /** Every JSON line the child printed so far. */
  lines: unknown[];
  /** Resolves with the next JSON line printed from now on. */
  nextLine(): Promise<unknown>;
  /** Resolves when the child exits (after a SIGKILL at the time limit, too). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

export function startChild(command: string, args: readonly string[], options: SpawnOptions & { timeLimitMs: number }): Child {
  const child = spawn(command, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  const lines: unknown[] = [];
  const waiters: ((line: unknown) => void)[] = [];
  readline.createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: unknown;
    try {
      line = JSON.parse(text);
    } catch {
      return; // not ours (a library printing something): ignored
    }
    lines.push(line);
    waiters.shift()?.(line);
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8000);
  });
  const limit = setTimeout(() => child.kill('SIGKILL'), options.timeLimitMs);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(limit);
      running.delete(child);
      resolve({ code, signal, stderr });
    });
  });
  const nextLine = () => new Promise<unknown>((resolve, reject) => {
    waiters.push(resolve);
    void exited.then(({ code, signal, stderr: err }) => reject(new Error(`${command} ${args.join(' ')} exited (${signal ?? code}) before printing a line:\n${err}`)));
  });
  return { process: child, lines, nextLine, exited };
}

/** Runs a child to its end and returns its last JSON line; throws when it failed or printed none. */
export async function runToEnd(command: string, args: readonly string[], options: SpawnOptions & { timeLimitMs: number }): Promise<unknown> {
  const child = startChild(command, args, options);
  child.process.stdin!.end();
  const { code, signal, stderr } = await child.exited;
  if (code !== 0 || child.lines.length === 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${signal ?? code}):\n${stderr}`);
  }
  return child.lines[child.lines.length - 1];
}

/** RSS of a process in KiB, from /proc (Linux); undefined once it is gone. */
export function rssKiB(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
