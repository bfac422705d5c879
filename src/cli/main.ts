/**
 * zmq-topology: the same collector and model as the extension, for a terminal (SSH, CI, tests).
 *   collect   embedded collector; live table on a TTY, or --json (one snapshot per line)
 *   env       shell lines that instrument processes started in that shell
 *   run       one command instrumented (children too); exit code is the command's
 *   demo      collector + the demo system instrumented + the live table
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Collector } from '../collector/collector';
import { isZ85Key, loadOrCreateKeyFile, parseAllowedKeys, type CurveKeyPair } from '../collector/keys';
import { loadZeromq } from '../collector/zmq';
import { KernelPeerWatcher } from '../collector/kernelPeers';
import { DEFAULT_STORE_OPTIONS, TopologyStore } from '../model/store';
import { agentEnv, shellExports, type Shell } from '../agent/environment';
import { AGENT_VERSION } from '../agent/agent';
import {
  formatOffset, formatSummary, parseInstant, readRecordingFile, Recorder, RecordingError, Replay, summarize, tapStore, type Recording, type StoreTap,
} from '../recording';
import { agentPaths } from './paths';
import { renderTable } from './table';

export const DEFAULT_PORT = 5599;
export const DEFAULT_ENDPOINT = `tcp://127.0.0.1:${DEFAULT_PORT}`;

const USAGE = `Usage: zmq-topology <command> [options]

Commands:
  collect [--port N] [--address A] [--curve-keys FILE] [--allowed-client-keys FILE] [--no-fallback] [--json]
          [--interval MS] [--duration S] [--record FILE [--record-max-mb N]]
      Run a collector (default tcp://127.0.0.1:${DEFAULT_PORT}; port 0 = any free port; when the port is
      taken a free one is used unless --no-fallback). Shows a live table on a terminal; --json prints one
      snapshot per line (JSON Lines) every --interval ms (default 1000) and a final one when it stops.
      --duration S stops it after S seconds with exit code 0.
      An --address other than loopback requires --curve-keys FILE: the collector's CURVE key pair, read
      from FILE or created there (mode 0600). Agents then need ZMQ_TOPOLOGY_SERVER_KEY (printed at start).
      --allowed-client-keys FILE admits only the agents whose public keys it lists (docs/REMOTE.md).
      --record FILE writes everything that changes the model to FILE (.zmqrec, docs/RECORDING.md), flushed
      every second; --record-max-mb caps its size (default 1024 MiB): past it the recording stops, the
      collector goes on. Exit codes: 0 ok; 1 the collector or the recording could not start; 2 bad usage;
      3 the recording stopped early (size cap reached, or the file could not be written).
  replay FILE [--at T] [--json] [--exclusive]
      Without --at: a summary of the recording (duration, agents, inputs, disconnects and exits with their
      times); --json prints it as JSON. With --at T: the model's snapshot at T (docs/SNAPSHOT.md) as one
      JSON line with --json, else the table. T is an offset from the recording's start (12.5s, 1500ms, 2m)
      or epoch milliseconds. Inputs stamped exactly T are included, unless --exclusive.
      Exit codes: 0 ok; 1 not a recording (or unreadable); 2 bad usage or T outside the recording;
      3 the recording is truncated or corrupted: a message says how much was read, and the output is
      what was readable.
  env [--endpoint E] [--server-key KEY] [--name NAME] [--shell sh|fish|powershell]
      Print the variables that instrument Node and Python processes started in this shell.
  run [--endpoint E] [--server-key KEY] [--name NAME] -- <command> [args...]
      Run one command instrumented (its child processes too). Exit code is the command's.
  demo [--port N] [--json] [--duration S] [--record FILE]
      Start a collector and the demo system (broker, workers, clients) instrumented, with the live table.

Environment: ZMQ_TOPOLOGY_ENDPOINT is the collector address used by env/run (default ${DEFAULT_ENDPOINT});
ZMQ_TOPOLOGY_SERVER_KEY the CURVE collector's public key (--server-key).`;

class UsageError extends Error {}

interface Flags {
  values: Map<string, string>;
  switches: Set<string>;
  rest: string[];
}

const VALUE_FLAGS = new Set([
  '--port', '--address', '--interval', '--duration', '--endpoint', '--name', '--shell', '--curve-keys', '--allowed-client-keys', '--server-key',
  '--record', '--record-max-mb', '--at',
]);

function parseFlags(args: string[]): Flags {
  const flags: Flags = { values: new Map(), switches: new Set(), rest: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      flags.rest = args.slice(i + 1);
      break;
    }
    const [name, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    if (VALUE_FLAGS.has(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      flags.values.set(name, value);
    } else if (arg.startsWith('--')) {
      flags.switches.add(arg);
    } else {
      flags.rest = args.slice(i);
      break;
    }
  }
  return flags;
}

function numberFlag(flags: Flags, name: string, fallback: number, min: number, max: number): number {
  const raw = flags.values.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`${name} must be a number from ${min} to ${max}, got "${raw}"`);
  return n;
}

function instrumentedEnv(endpoint: string, name?: string, serverKey?: string): NodeJS.ProcessEnv {
  const paths = agentPaths();
  return { ...process.env, ...agentEnv({ endpoint, serverKey, nodeName: name, nodeAgent: paths.nodeAgent, pythonAgentDir: paths.pythonAgentDir, base: process.env }) };
}

/** --server-key, else ZMQ_TOPOLOGY_SERVER_KEY from the environment (kept as it is). */
function serverKeyFlag(flags: Flags): string | undefined {
  const key = flags.values.get('--server-key') ?? process.env.ZMQ_TOPOLOGY_SERVER_KEY;
  // An agent given a malformed key reports unauthenticated and is refused: say so here instead.
  if (key !== undefined && !isZ85Key(key)) throw new UsageError('--server-key (or ZMQ_TOPOLOGY_SERVER_KEY) must be the collector\'s Z85 public key, 40 characters');
  return key;
}

interface Session {
  store: TopologyStore;
  collector: Collector;
  endpoint: string;
  /** Names the processes behind peers without an agent (this host's kernel table). */
  kernelPeers: KernelPeerWatcher;
  recording?: { recorder: Recorder; tap: StoreTap; stoppedEarly?: string };
}

/** Exit code of collect/demo when the recording stopped before the collector did. */
const EXIT_RECORDING_INCOMPLETE = 3;
/** Exit code of replay when the file is damaged (what was readable is still printed). */
const EXIT_DAMAGED = 3;

/** --record FILE: a recorder tapped on the store before the collector starts, so it sees every input. */
function startRecording(flags: Flags, store: TopologyStore): Session['recording'] {
  const file = flags.values.get('--record');
  if (flags.values.has('--record-max-mb') && file === undefined) throw new UsageError('--record-max-mb needs --record FILE');
  if (file === undefined) return undefined;
  if (file === '' || file.startsWith('--')) throw new UsageError(`--record needs a file name, got "${file}"`);
  const maxMb = numberFlag(flags, '--record-max-mb', 1024, 0.001, 1024 * 1024);
  const { warnAfterMs, deadAfterMs, timelineLength, retryStorm } = DEFAULT_STORE_OPTIONS;
  const session: NonNullable<Session['recording']> = {} as NonNullable<Session['recording']>;
  session.recorder = new Recorder({
    path: file, producer: `zmq-topology cli ${AGENT_VERSION}`, store: { warnAfterMs, deadAfterMs, timelineLength, retryStorm },
    maxBytes: Math.floor(maxMb * 1024 * 1024),
    onStopped: (reason) => {
      session.stoppedEarly = reason;
      process.stderr.write(`zmq-topology: recording to ${file} stopped: ${reason}. The collector goes on; the file is readable up to here.\n`);
    },
  });
  session.tap = tapStore(store, session.recorder);
  process.stderr.write(`Recording to ${file}\n`);
  return session;
}

/** Stops the collector, then the recording (its End record follows the collector's last status). */
async function stopSession(session: Session): Promise<number> {
  await session.collector.stop();
  session.kernelPeers.dispose();
  session.store.dispose();
  const rec = session.recording;
  if (!rec) return 0;
  session.collector.frameTap = undefined;
  await rec.recorder.stop();
  rec.tap.dispose();
  if (rec.stoppedEarly) return EXIT_RECORDING_INCOMPLETE;
  process.stderr.write(`Recorded ${rec.recorder.records} inputs, ${rec.recorder.bytesWritten} bytes, to ${rec.recorder.path}\n`);
  return 0;
}

async function startCollector(flags: Flags): Promise<Session> {
  const keyFile = flags.values.get('--curve-keys');
  const allowFile = flags.values.get('--allowed-client-keys');
  if (allowFile && !keyFile) throw new UsageError('--allowed-client-keys needs --curve-keys (the allow-list is checked under CURVE)');
  let curve: CurveKeyPair | undefined;
  if (keyFile) {
    const zmq = loadZeromq();
    const { keys, created } = loadOrCreateKeyFile(keyFile, () => zmq.curveKeyPair());
    process.stderr.write(`${created ? 'Created' : 'Using'} the collector's CURVE key pair in ${keyFile}\n`);
    curve = keys;
  }
  const allowedClientKeys = allowFile ? parseAllowedKeys(fs.readFileSync(allowFile, 'utf8'), allowFile) : undefined;
  const store = new TopologyStore();
  const recording = startRecording(flags, store);
  store.start();
  const collector = new Collector(store, {
    address: flags.values.get('--address') ?? '127.0.0.1',
    port: numberFlag(flags, '--port', DEFAULT_PORT, 0, 65535),
    fallbackToFreePort: !flags.switches.has('--no-fallback'),
    curve,
    allowedClientKeys,
  });
  if (recording) collector.frameTap = (key, frame, msg, at) => recording.recorder.telemetryFrame(key, frame, msg, at);
  collector.on('error', (err: Error) => process.stderr.write(`collector: ${err.message}\n`));
  collector.on('refused', (reason: string, address?: string) => process.stderr.write(`collector: refused ${address ?? 'a connection'}: ${reason}\n`));
  try {
    const endpoint = await collector.start();
    const kernelPeers = new KernelPeerWatcher(store);
    kernelPeers.start();
    return { store, collector, endpoint, kernelPeers, ...(recording ? { recording } : {}) };
  } catch (err) {
    store.dispose();
    await recording?.recorder.stop(`the collector did not start: ${(err as Error).message}`);
    throw err;
  }
}

/** Shows the picture until `until` resolves, then prints a final JSON snapshot in --json mode. */
async function watch(session: Session, flags: Flags, until: Promise<void>): Promise<void> {
  const json = flags.switches.has('--json');
  const interval = numberFlag(flags, '--interval', json ? 1000 : 500, 50, 3_600_000);
  const tty = process.stdout.isTTY === true && !json;
  const draw = () => {
    const snapshot = session.store.snapshot();
    if (json) {
      process.stdout.write(`${JSON.stringify(snapshot)}\n`);
    } else {
      const table = renderTable(snapshot, { width: process.stdout.columns ?? 120, color: tty });
      process.stdout.write(tty ? `\x1b[H\x1b[2J${table}\n` : `${table}\n\n`);
    }
  };
  const timer = setInterval(draw, interval);
  try {
    await until;
  } finally {
    clearInterval(timer);
    if (json) draw();
  }
}

/** Resolves on SIGINT/SIGTERM or after --duration. */
function stopSignal(flags: Flags): Promise<void> {
  const duration = numberFlag(flags, '--duration', 0, 0, 365 * 86400);
  return new Promise((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (duration > 0) setTimeout(done, duration * 1000);
  });
}

async function collect(flags: Flags): Promise<number> {
  const session = await startCollector(flags);
  const serverKey = session.collector.agentEnv.ZMQ_TOPOLOGY_SERVER_KEY;
  // On a wildcard bind, agents elsewhere need this host's name or address instead of 0.0.0.0.
  const shown = session.endpoint.replace(/^tcp:\/\/(0\.0\.0\.0|\[::\])/, 'tcp://<this-host>');
  process.stderr.write(`Collector listening on ${session.endpoint}${serverKey ? ' (CURVE)' : ''}\nInstrument processes with:\n` +
    `  eval "$(zmq-topology env --endpoint ${shown}${serverKey ? ` --server-key '${serverKey}'` : ''})"\n`);
  let code = 0;
  try {
    await watch(session, flags, stopSignal(flags));
  } finally {
    code = await stopSession(session);
  }
  return code;
}

function env(flags: Flags): number {
  const endpoint = flags.values.get('--endpoint') ?? process.env.ZMQ_TOPOLOGY_ENDPOINT ?? DEFAULT_ENDPOINT;
  const shell = (flags.values.get('--shell') ?? 'sh') as Shell;
  if (!['sh', 'fish', 'powershell'].includes(shell)) throw new UsageError(`--shell must be sh, fish or powershell`);
  const paths = agentPaths();
  const vars = agentEnv({ endpoint, serverKey: serverKeyFlag(flags), nodeName: flags.values.get('--name'), nodeAgent: paths.nodeAgent, pythonAgentDir: paths.pythonAgentDir, base: process.env });
  process.stdout.write(`${shellExports(vars, shell)}\n`);
  return 0;
}

/** Exit code of a child as a shell reports it: its code, or 128 + signal number. */
function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const signals: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };
  return 128 + (signal ? signals[signal] ?? 1 : 1);
}

function forwardSignals(child: ChildProcess): () => void {
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, forward);
  return () => {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, forward);
  };
}

async function run(flags: Flags): Promise<number> {
  const [command, ...args] = flags.rest;
  if (!command) throw new UsageError('run needs a command after --, e.g. zmq-topology run -- node app.js');
  const endpoint = flags.values.get('--endpoint') ?? process.env.ZMQ_TOPOLOGY_ENDPOINT ?? DEFAULT_ENDPOINT;
  const child = spawn(command, args, { stdio: 'inherit', env: instrumentedEnv(endpoint, flags.values.get('--name'), serverKeyFlag(flags)) });
  const unforward = forwardSignals(child);
  return new Promise((resolve) => {
    child.on('error', (err) => {
      unforward();
      process.stderr.write(`zmq-topology run: cannot start ${command}: ${err.message}\n`);
      resolve(127);
    });
    child.on('exit', (code, signal) => {
      unforward();
      resolve(exitCodeOf(code, signal));
    });
  });
}

async function demo(flags: Flags): Promise<number> {
  const session = await startCollector(flags);
  const script = path.join(agentPaths().packageRoot, 'examples', 'demo', 'run.js');
  const child = spawn(process.execPath, [script], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...instrumentedEnv(session.endpoint, undefined, session.collector.agentEnv.ZMQ_TOPOLOGY_SERVER_KEY), ZMQ_DEMO_QUIET: '1' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.stderr.write(`Collector listening on ${session.endpoint}; demo system started (pid ${child.pid}). Ctrl-C stops both.\n`);
  let code = 0;
  try {
    await watch(session, flags, Promise.race([stopSignal(flags), exited]));
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    code = await stopSession(session);
  }
  return code;
}

/** replay's arguments: one file, options before or after it. */
function replayFlags(args: string[]): Flags {
  const positional: string[] = [];
  const options: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) positional.push(arg);
    else {
      options.push(arg);
      if (VALUE_FLAGS.has(arg) && i + 1 < args.length) options.push(args[++i]!);
    }
  }
  const flags = parseFlags(options);
  const known = new Set(['--json', '--exclusive']);
  const unknown = [...flags.switches].find((f) => !known.has(f));
  if (unknown) throw new UsageError(`replay does not know ${unknown}`);
  const extraValue = [...flags.values.keys()].find((k) => k !== '--at');
  if (extraValue) throw new UsageError(`replay does not take ${extraValue}`);
  flags.rest = positional;
  return flags;
}

function replay(flags: Flags): number {
  const [file, ...extra] = flags.rest;
  if (!file) throw new UsageError('replay needs a recording, e.g. zmq-topology replay run.zmqrec --json --at 12.5s');
  if (extra.length > 0) throw new UsageError(`replay takes one file; unexpected "${extra[0]}"`);
  const json = flags.switches.has('--json');
  let rec: Recording;
  try {
    rec = readRecordingFile(file);
  } catch (err) {
    if (err instanceof RecordingError) {
      process.stderr.write(`zmq-topology: ${file}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  if (rec.problem) process.stderr.write(`zmq-topology: ${file}: ${rec.problem.message}\n`);
  const damaged = rec.problem ? EXIT_DAMAGED : 0;
  const at = flags.values.get('--at');
  if (at === undefined) {
    const summary = summarize(rec);
    process.stdout.write(json ? `${JSON.stringify(summary)}\n` : `${formatSummary(file, summary)}\n`);
    return damaged;
  }
  let t: number;
  try {
    t = parseInstant(at, rec);
  } catch (err) {
    process.stderr.write(`zmq-topology: --at ${(err as Error).message}${rec.problem ? ' (the readable part)' : ''}\n`);
    return rec.problem ? EXIT_DAMAGED : 2;
  }
  const { snapshot, failures } = Replay.snapshotOnce(rec, t, { inclusive: !flags.switches.has('--exclusive') });
  if (failures > 0) process.stderr.write(`zmq-topology: ${failures} recorded inputs could not be applied to the model\n`);
  if (json) process.stdout.write(`${JSON.stringify(snapshot)}\n`);
  else process.stdout.write(`At ${formatOffset(t - rec.startAt)} (${new Date(t).toISOString()})\n${renderTable(snapshot, { width: process.stdout.columns ?? 120, color: process.stdout.isTTY === true })}\n`);
  return damaged;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'collect':
        return await collect(parseFlags(args));
      case 'env':
        return env(parseFlags(args));
      case 'run':
        return await run(parseFlags(args));
      case 'demo':
        return await demo(parseFlags(args));
      case 'replay':
        return replay(replayFlags(args));
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`zmq-topology: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`zmq-topology: ${(err as Error).message}\n`);
    return 1;
  }
}
