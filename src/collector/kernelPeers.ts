/**
 * Who holds the connections that no agent reports: the host's kernel table, read the way `ss -tnp`
 * reads it (/proc/net/tcp{,6} for the connections, /proc/<pid>/fd for the processes owning their
 * sockets). A bound socket's "peers without an agent" edge then names those processes, where they run
 * on this host, and gives the address of those that do not. ipc: /proc/net/unix has no peers, so the
 * unix sockets' pairs come from `ss -xn` (iproute2; the kernel's sock_diag). Linux only; elsewhere, or
 * without `ss` for ipc, the edge keeps its count alone. Plain Node, no vscode.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseEndpoint } from '../model/endpoints';
import type { TopologyStore } from '../model/store';
import type { KernelPeer } from '../shared/snapshot';

/** One row of /proc/net/tcp{,6}. Addresses as `ip:port` (IPv6 bracketed, IPv4-mapped ones as IPv4). */
export interface TcpRow {
  local: string;
  localPort: number;
  remote: string;
  established: boolean;
  inode: number;
}

const ESTABLISHED = '01';
/** The longest command line shown: enough for an interpreter and its script. */
const COMMAND_CHARS = 160;

/** The rows of a /proc/net/tcp or tcp6 file's text; lines that do not parse are skipped. */
export function parseTcpTable(text: string): TcpRow[] {
  const rows: TcpRow[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const local = hexAddress(f[1]);
    const remote = hexAddress(f[2]);
    const inode = Number(f[9]);
    if (!local || !remote || !Number.isInteger(inode)) continue;
    rows.push({ local: local.text, localPort: local.port, remote: remote.text, established: f[3] === ESTABLISHED, inode });
  }
  return rows;
}

/** `0100007F:1F90` → 127.0.0.1:8080; 32 hex digits are IPv6, four 32-bit words in host (little-endian) order. */
function hexAddress(field: string): { text: string; port: number } | undefined {
  const [ip, portHex] = field.split(':');
  const port = parseInt(portHex ?? '', 16);
  if (!Number.isInteger(port) || !/^[0-9A-Fa-f]+$/.test(ip ?? '')) return undefined;
  const words = ip.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => [w.slice(6, 8), w.slice(4, 6), w.slice(2, 4), w.slice(0, 2)].map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return { text: `${bytes.join('.')}:${port}`, port };
  if (bytes.length !== 16) return undefined;
  // ::ffff:a.b.c.d is an IPv4 peer of a dual-stack socket: the same address as its IPv4 row.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return { text: `${bytes.slice(12).join('.')}:${port}`, port };
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return { text: `[${groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}]:${port}`, port };
}

/** The host's tcp connections (IPv4 and IPv6); empty where there is no /proc. */
export function readTcpTables(procRoot = '/proc'): TcpRow[] {
  const rows: TcpRow[] = [];
  for (const file of ['tcp', 'tcp6']) {
    try {
      rows.push(...parseTcpTable(fs.readFileSync(path.join(procRoot, 'net', file), 'utf8')));
    } catch {
      // No such table (no IPv6, no /proc): nothing from it.
    }
  }
  return rows;
}

/** An established unix socket as `ss -xn` lists it: its own address (a bound path, `@abstract`, or `*`), its inode, its peer's. */
export interface UnixRow {
  local: string;
  inode: number;
  peerInode: number;
}

/**
 * The established rows of `ss -xn`'s text (`u_str ESTAB 0 0 /tmp/a.ipc 35678 * 35677`). A path may hold
 * spaces, so the columns are read from both ends.
 */
export function parseUnixTable(text: string): UnixRow[] {
  const rows: UnixRow[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || !f[0].startsWith('u_') || f[1] !== 'ESTAB') continue;
    const inode = Number(f[f.length - 3]);
    const peerInode = Number(f[f.length - 1]);
    if (!Number.isInteger(inode) || !Number.isInteger(peerInode) || peerInode <= 0) continue;
    rows.push({ local: f.slice(4, f.length - 3).join(' '), inode, peerInode });
  }
  return rows;
}

/**
 * The host's established unix sockets; empty where `ss` is missing or fails (the ipc edges keep their
 * counts). A child process, never waited for synchronously: the extension host goes on meanwhile.
 */
export function readUnixTable(): Promise<UnixRow[]> {
  return new Promise((resolve) => {
    execFile('ss', ['-xn'], { encoding: 'utf8', timeout: 2000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => resolve(err ? [] : parseUnixTable(stdout)));
  });
}

/** The path an ipc endpoint binds, as the kernel names it (`ipc:///tmp/a` → `/tmp/a`, `ipc://@name` → `@name`). */
export function ipcPath(endpoint: string): string | undefined {
  return endpoint.startsWith('ipc://') && endpoint.length > 'ipc://'.length ? endpoint.slice('ipc://'.length) : undefined;
}

/**
 * Socket inode → pid, for the inodes asked about; a process whose fds cannot be read (another user's)
 * is passed over. The processes in `first` are looked at first (last reading's owners): in a steady
 * system they hold every inode asked about, and the pass stops there. The rest newest first (highest
 * pid): a connection that is new is most often a process that is new.
 */
export function ownersOfInodes(inodes: ReadonlySet<number>, procRoot = '/proc', first: Iterable<number> = []): Map<number, number> {
  const owners = new Map<number, number>();
  if (inodes.size === 0) return owners;
  let pids: string[];
  try {
    const all = fs.readdirSync(procRoot).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
    const preferred = new Set([...first].map(String).filter((pid) => all.includes(pid)));
    pids = [...preferred, ...all.filter((pid) => !preferred.has(pid))];
  } catch {
    return owners;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(path.join(procRoot, pid, 'fd'));
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(path.join(procRoot, pid, 'fd', fd));
      } catch {
        continue;
      }
      if (!target.startsWith('socket:[')) continue;
      const inode = Number(target.slice(8, -1));
      if (inodes.has(inode) && !owners.has(inode)) owners.set(inode, Number(pid));
    }
    if (owners.size === inodes.size) break;
  }
  return owners;
}

/** A process's command line, as `ps` shows it (its name when the line cannot be read). */
export function commandOf(pid: number, procRoot = '/proc'): string | undefined {
  try {
    const line = fs.readFileSync(path.join(procRoot, String(pid), 'cmdline'), 'utf8').split('\0').filter((a) => a.length > 0).join(' ');
    if (line.length > 0) return line.length > COMMAND_CHARS ? `${line.slice(0, COMMAND_CHARS - 1)}…` : line;
  } catch {
    // Gone already, or not ours to read: try its name.
  }
  try {
    return fs.readFileSync(path.join(procRoot, String(pid), 'comm'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A connection accepted on a bound port or path: where, the other end's address, and that end's socket inode when it is on this host. */
interface PeerEnd<K> {
  at: K;
  address: string;
  inode: number | undefined;
}

/** Each established connection accepted on one of `ports`; its other end's row is the mirror of its own, when on this host. */
function portEnds(rows: readonly TcpRow[], ports: readonly number[]): PeerEnd<number>[] {
  const wanted = new Set(ports);
  const byLocal = new Map<string, TcpRow>();
  for (const r of rows) if (r.established) byLocal.set(`${r.local}>${r.remote}`, r);
  return rows.filter((r) => r.established && wanted.has(r.localPort))
    .map((a) => ({ at: a.localPort, address: a.remote, inode: byLocal.get(`${a.remote}>${a.local}`)?.inode }));
}

/** Each established connection accepted on one of `paths`; a unix socket's peer is always on this host (`socket:[inode]`, as /proc/<pid>/fd shows it). */
function pathEnds(rows: readonly UnixRow[], paths: readonly string[]): PeerEnd<string>[] {
  const wanted = new Set(paths);
  return rows.filter((r) => wanted.has(r.local)).map((r) => ({ at: r.local, address: `socket:[${r.peerInode}]`, inode: r.peerInode }));
}

function inodesOf(ends: readonly PeerEnd<unknown>[]): Set<number> {
  return new Set(ends.flatMap((e) => (e.inode !== undefined ? [e.inode] : [])));
}

/** The peers at each of `keys`: each end with its process and command where owned, those in `exclude` left out. */
function named<K>(ends: readonly PeerEnd<K>[], keys: readonly K[], exclude: ReadonlySet<number>, procRoot: string, owners: ReadonlyMap<number, number>): Map<K, KernelPeer[]> {
  const peers = new Map<K, KernelPeer[]>(keys.map((k) => [k, []]));
  for (const end of ends) {
    const pid = end.inode !== undefined ? owners.get(end.inode) : undefined;
    if (pid !== undefined && exclude.has(pid)) continue;
    const command = pid === undefined ? undefined : commandOf(pid, procRoot);
    peers.get(end.at)!.push({ address: end.address, ...(pid !== undefined ? { pid } : {}), ...(command !== undefined ? { command } : {}) });
  }
  for (const list of peers.values()) list.sort((x, y) => (x.pid ?? Infinity) - (y.pid ?? Infinity) || x.address.localeCompare(y.address));
  return peers;
}

/**
 * The peers connected to local tcp ports and ipc paths, as the kernel has them: each established
 * connection, with the process that holds its other end when that end is on this host and readable
 * (one pass over the processes for the ends of both). Processes in `exclude` (those with an agent)
 * are left out.
 */
export function peersOf(
  tables: { tcp: readonly TcpRow[]; ports: readonly number[]; unix: readonly UnixRow[]; paths: readonly string[] },
  exclude: ReadonlySet<number>, procRoot = '/proc',
  owning: (inodes: ReadonlySet<number>) => Map<number, number> = (inodes) => ownersOfInodes(inodes, procRoot),
): { byPort: Map<number, KernelPeer[]>; byPath: Map<string, KernelPeer[]> } {
  const byPortEnds = portEnds(tables.tcp, tables.ports);
  const byPathEnds = pathEnds(tables.unix, tables.paths);
  const owners = owning(inodesOf([...byPortEnds, ...byPathEnds]));
  return { byPort: named(byPortEnds, tables.ports, exclude, procRoot, owners), byPath: named(byPathEnds, tables.paths, exclude, procRoot, owners) };
}

export interface KernelPeerOptions {
  /** How often the table is read while some edge of peers without an agent has connections. */
  intervalMs?: number;
  procRoot?: string;
  hostname?: string;
  /** The established unix sockets (default: `ss -xn`); read only while an ipc edge needs names. */
  readUnix?: () => Promise<UnixRow[]>;
}

/** How long an inode that a full pass over the processes found no owner for is not looked for again. */
const UNOWNED_RETRY_MS = 30_000;

/**
 * Names the processes behind the store's edges of peers without an agent, every `intervalMs` while
 * there are any on this host (reading every process's fds is the costly part: not done otherwise,
 * last reading's owners looked at first, and an end no pass could own not looked for again for 30 s:
 * another user's process, another network namespace).
 */
export class KernelPeerWatcher {
  private timer: NodeJS.Timeout | undefined;
  /** Inode → pid, as the last reading found them. */
  private owners = new Map<number, number>();
  /** Inode → when a full pass found no owner for it. */
  private readonly unowned = new Map<number, number>();
  private readonly intervalMs: number;
  private readonly procRoot: string;
  private readonly hostname: string;
  private readonly readUnix: () => Promise<UnixRow[]>;
  /** A reading is under way (one at a time: `ss` may take longer than the interval on a busy host). */
  private polling = false;
  private disposed = false;

  constructor(private readonly store: TopologyStore, options: KernelPeerOptions = {}) {
    this.intervalMs = options.intervalMs ?? 2000;
    this.procRoot = options.procRoot ?? '/proc';
    this.hostname = options.hostname ?? os.hostname();
    this.readUnix = options.readUnix ?? readUnixTable;
  }

  /** Whether this host has the tables at all (Linux). */
  get available(): boolean {
    return fs.existsSync(path.join(this.procRoot, 'net', 'tcp'));
  }

  start(): void {
    if (this.timer || !this.available) return;
    this.timer = setInterval(() => {
      if (this.polling) return;
      this.polling = true;
      this.poll()
        // A table that cannot be read this time (a process gone mid-read is already passed over): the
        // names stay as they were; the collector goes on.
        .catch(() => undefined)
        .finally(() => { this.polling = false; });
    }, this.intervalMs);
    this.timer.unref();
  }

  /** One reading: every edge of peers without an agent into a tcp or ipc socket bound on this host. */
  async poll(): Promise<void> {
    const { tcp, ipc } = this.wanted();
    // A child process: the host goes on meanwhile. Edges gone by its end are passed over by the store.
    const unixRows = ipc.length > 0 ? await this.readUnix() : [];
    if (this.disposed) return;
    const found = new Map<string, KernelPeer[]>();
    if (tcp.length > 0 || ipc.length > 0) {
      const { byPort, byPath } = peersOf(
        { tcp: tcp.length > 0 ? readTcpTables(this.procRoot) : [], ports: tcp.map((w) => w.port), unix: unixRows, paths: ipc.map((w) => w.path) },
        new Set(this.store.processesWithAgent(this.hostname)), this.procRoot, (inodes) => this.owning(inodes));
      for (const w of tcp) found.set(w.edgeId, byPort.get(w.port) ?? []);
      for (const w of ipc) found.set(w.edgeId, byPath.get(w.path) ?? []);
    }
    this.store.setKernelPeers(found);
  }

  /** The store's edges of peers without an agent into sockets bound on this host, by transport. */
  private wanted(): { tcp: { edgeId: string; port: number }[]; ipc: { edgeId: string; path: string }[] } {
    const here = this.store.edgesWithoutAgent().filter((e) => e.host === this.hostname && e.connections > 0);
    return {
      tcp: here.flatMap((e) => {
        const port = e.endpoint.startsWith('tcp://') ? parseEndpoint(e.endpoint)?.port : undefined;
        return port !== undefined ? [{ edgeId: e.edgeId, port }] : [];
      }),
      ipc: here.flatMap((e) => {
        const at = ipcPath(e.endpoint);
        return at !== undefined ? [{ edgeId: e.edgeId, path: at }] : [];
      }),
    };
  }

  private owning(inodes: ReadonlySet<number>): Map<number, number> {
    const now = Date.now();
    for (const [inode, since] of this.unowned) if (!inodes.has(inode) || now - since > UNOWNED_RETRY_MS) this.unowned.delete(inode);
    const sought = new Set([...inodes].filter((inode) => !this.unowned.has(inode)));
    const owners = ownersOfInodes(sought, this.procRoot, new Set(this.owners.values()));
    // Not found, though every process was looked at (the pass stops early only when all are found).
    for (const inode of sought) if (!owners.has(inode)) this.unowned.set(inode, now);
    this.owners = owners;
    return owners;
  }

  dispose(): void {
    this.disposed = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
