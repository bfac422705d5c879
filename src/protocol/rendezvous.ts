/**
 * How agents find a collector that had to bind another port than the one they were given (a window
 * reload whose new extension host found the port still held by the old one for a moment, and fell
 * back): the collector leaves a note, per user and on this machine only, saying where the endpoint
 * the agents know now really listens; an agent whose collector stops answering reads it and moves
 * (docs/PROTOCOL.md, "Finding the collector again"). Loopback endpoints only.
 *
 * The note is trusted only in a folder that belongs to this user and that nobody else can write to,
 * and only when it names a loopback endpoint and a live process: another user cannot steer agents.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface RendezvousNote {
  /** The endpoint agents were given (the configured port). */
  requested: string;
  /** Where the collector listens instead (or the same, once it has its port back). */
  endpoint: string;
  /** The collector's process: a note of a process that is gone is stale. */
  pid: number;
  at: number;
}

const LOOPBACK_TCP = /^tcp:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\]):(\d{1,5})$/;

/** The port of a loopback tcp endpoint, or undefined for anything else (remote, ipc, wildcard). */
export function loopbackPort(endpoint: string): number | undefined {
  const match = LOOPBACK_TCP.exec(endpoint.trim());
  if (!match) return undefined;
  const port = Number(match[2]);
  return port > 0 && port <= 65535 ? port : undefined;
}

function uid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/**
 * This user's folder for notes: $XDG_RUNTIME_DIR (per user, mode 0700 by definition) or a folder of
 * our own under the temp dir. Undefined when it cannot be made or is not safely ours.
 */
export function rendezvousDir(env: NodeJS.ProcessEnv = process.env, create = false): string | undefined {
  const me = uid();
  const base = env.XDG_RUNTIME_DIR && path.isAbsolute(env.XDG_RUNTIME_DIR) ? env.XDG_RUNTIME_DIR : os.tmpdir();
  const dir = path.join(base, me === undefined ? 'zmq-topology' : `zmq-topology-${me}`);
  try {
    if (create) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = fs.lstatSync(dir);
    if (!stat.isDirectory()) return undefined;
    // POSIX: ours, and no one else may write (a planted note could point agents anywhere on loopback).
    if (me !== undefined && (stat.uid !== me || (stat.mode & 0o022) !== 0)) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

function notePath(dir: string, port: number): string {
  return path.join(dir, `collector-${port}.json`);
}

/** Leaves (or replaces) the note for `requested`; atomic, mode 0600. False when it cannot. */
export function writeRendezvous(requested: string, endpoint: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const port = loopbackPort(requested);
  if (port === undefined || loopbackPort(endpoint) === undefined) return false;
  const dir = rendezvousDir(env, true);
  if (!dir) return false;
  const note: RendezvousNote = { requested, endpoint, pid: process.pid, at: Date.now() };
  const file = notePath(dir, port);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temp, JSON.stringify(note), { mode: 0o600 });
    fs.renameSync(temp, file);
    return true;
  } catch {
    fs.rmSync(temp, { force: true });
    return false;
  }
}

/** Removes the note for `requested` if it is the one this process left for `endpoint`. */
export function clearRendezvous(requested: string, endpoint: string, env: NodeJS.ProcessEnv = process.env): void {
  const port = loopbackPort(requested);
  const dir = port === undefined ? undefined : rendezvousDir(env);
  if (!dir || port === undefined) return;
  const file = notePath(dir, port);
  const note = readNote(file);
  if (note?.pid === process.pid && note.endpoint === endpoint) fs.rmSync(file, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readNote(file: string): RendezvousNote | undefined {
  try {
    const me = uid();
    const stat = fs.lstatSync(file);
    if (!stat.isFile() || stat.size > 4096 || (me !== undefined && stat.uid !== me)) return undefined;
    const note = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<RendezvousNote>;
    if (typeof note.requested !== 'string' || typeof note.endpoint !== 'string' || !Number.isInteger(note.pid) || typeof note.at !== 'number') return undefined;
    return note as RendezvousNote;
  } catch {
    return undefined;
  }
}

/**
 * Where the collector for `requested` listens now, according to a live collector's note; undefined
 * when there is no trustworthy note (then the agent keeps trying `requested`).
 */
export function findCollector(requested: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const port = loopbackPort(requested);
  const dir = port === undefined ? undefined : rendezvousDir(env);
  if (!dir || port === undefined) return undefined;
  const note = readNote(notePath(dir, port));
  if (!note || loopbackPort(note.requested) !== port || loopbackPort(note.endpoint) === undefined || !alive(note.pid)) return undefined;
  return note.endpoint;
}
