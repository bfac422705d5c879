import {
  LIMITS, MONITOR_EVENT_TYPES, PROTOCOL_VERSION, SOCKET_TYPES, TELEMETRY_TYPES,
  type AcceptedCount, type Bin, type CreationSite, type DecodeErrorReason, type DecodeResult, type EndpointFailureState, type EndpointState, type FirstMessages, type PeerTraffic,
  type Runtime, type SnapshotSocket, type SocketInfo, type SocketOptions, type TelemetryMsg,
} from './types';

/** One telemetry message as one frame. */
export function encode(msg: TelemetryMsg): Buffer {
  return Buffer.from(JSON.stringify(msg), 'utf8');
}

/** Thrown inside the validators only; decode() turns it into a DecodeResult. */
class Invalid extends Error {
  constructor(readonly reason: DecodeErrorReason, detail: string) {
    super(detail);
  }
}

/**
 * Runs a validator whose paths are relative to `prefix()`, and puts the prefix in front of a failure's
 * path. Per-peer paths (`peers[12].msgsIn`) are then built only when something fails: building them
 * for every field of every valid record was most of the decode time of a traffic message.
 */
function under<T>(validator: (v: unknown) => T, v: unknown, prefix: string, index: number): T {
  try {
    return validator(v);
  } catch (e) {
    if (e instanceof Invalid) {
      const path = `${prefix}[${index}]`;
      throw new Invalid(e.reason, e.message.startsWith(':') || e.message.startsWith('[') ? `${path}${e.message}` : `${path}.${e.message}`);
    }
    throw e;
  }
}

type Obj = Record<string, unknown>;

function fail(path: string, what: string): never {
  throw new Invalid('bad-field', `${path}: ${what}`);
}

/** A non-negative safe integer: what int() accepts with its default range, checked without a path. */
function isCount(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'expected an object');
  return v as Obj;
}

function str(v: unknown, path: string, max: number = LIMITS.stringChars): string {
  if (typeof v !== 'string') fail(path, 'expected a string');
  if (v.length > max) fail(path, `longer than ${max} characters`);
  return v;
}

function optStr(v: unknown, path: string, max?: number): string | undefined {
  return v === undefined ? undefined : str(v, path, max);
}

function num(v: unknown, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, 'expected a finite number');
  if (v < min || v > max) fail(path, `out of range [${min}, ${max}]`);
  return v;
}

function int(v: unknown, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = num(v, path, min, max);
  if (!Number.isInteger(n)) fail(path, 'expected an integer');
  return n;
}

function optInt(v: unknown, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  return v === undefined ? undefined : int(v, path, min, max);
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') fail(path, 'expected a boolean');
  return v;
}

function arr(v: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(v)) fail(path, 'expected an array');
  if (v.length > max) fail(path, `more than ${max} items`);
  return v;
}

function oneOf<T extends string>(v: unknown, path: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) fail(path, `not one of the known values`);
  return v as T;
}

const HEX = /^(?:[0-9a-f]{2})*$/;

function bin(v: unknown, path: string, maxBytes: number = LIMITS.binBytes): Bin {
  const o = obj(v, path);
  const hex = str(o.hex, `${path}.hex`, maxBytes * 2);
  if (!HEX.test(hex)) fail(`${path}.hex`, 'expected lower-case hex');
  const text = optStr(o.text, `${path}.text`, maxBytes);
  return text === undefined ? { hex } : { hex, text };
}

function optBin(v: unknown, path: string, maxBytes?: number): Bin | undefined {
  return v === undefined ? undefined : bin(v, path, maxBytes);
}

function time(v: unknown, path: string): number {
  return num(v, path, 0, 8.64e15);
}

function optTime(v: unknown, path: string): number | undefined {
  return v === undefined ? undefined : time(v, path);
}

function runtime(v: unknown, path: string): Runtime {
  const o = obj(v, path);
  return {
    name: str(o.name, `${path}.name`, 64),
    version: str(o.version, `${path}.version`, 64),
    binding: str(o.binding, `${path}.binding`, 128),
    libzmq: str(o.libzmq, `${path}.libzmq`, 64),
    disconnectMsg: bool(o.disconnectMsg, `${path}.disconnectMsg`),
  };
}

function options(v: unknown, path: string): SocketOptions {
  const o = obj(v, path);
  const out: SocketOptions = { disconnectMsg: bool(o.disconnectMsg, `${path}.disconnectMsg`) };
  for (const key of ['heartbeatIvl', 'heartbeatTtl', 'heartbeatTimeout', 'linger', 'sndhwm', 'rcvhwm'] as const) {
    const n = o[key] === undefined ? undefined : int(o[key], `${path}.${key}`, -1, 2 ** 31);
    if (n !== undefined) out[key] = n;
  }
  if (o.routerHandover !== undefined) out.routerHandover = bool(o.routerHandover, `${path}.routerHandover`);
  if (o.subscriptions !== undefined) out.subscriptions = int(o.subscriptions, `${path}.subscriptions`, 0, 2 ** 31);
  return out;
}

function site(v: unknown, path: string): CreationSite | undefined {
  if (v === undefined) return undefined;
  const o = obj(v, path);
  const s: CreationSite = { file: str(o.file, `${path}.file`, 4096), line: int(o.line, `${path}.line`, 0, 1e9) };
  const column = optInt(o.column, `${path}.column`, 0, 1e9);
  if (column !== undefined) s.column = column;
  return s;
}

function socketInfo(o: Obj, path: string): SocketInfo {
  const info: SocketInfo = {
    socket: int(o.socket, `${path}.socket`),
    type: oneOf(o.type, `${path}.type`, SOCKET_TYPES),
    options: options(o.options, `${path}.options`),
    createdAt: time(o.createdAt, `${path}.createdAt`),
  };
  const name = optStr(o.name, `${path}.name`, 256);
  if (name !== undefined) info.name = name;
  const routingId = optBin(o.routingId, `${path}.routingId`);
  if (routingId !== undefined) info.routingId = routingId;
  const s = site(o.site, `${path}.site`);
  if (s !== undefined) info.site = s;
  if (o.proxied !== undefined && bool(o.proxied, `${path}.proxied`)) info.proxied = true;
  return info;
}

function messageTypes(v: unknown, path: string): Record<string, number> {
  const o = obj(v, path);
  const keys = Object.keys(o);
  if (keys.length > LIMITS.messageTypesPerPeer) fail(path, `more than ${LIMITS.messageTypesPerPeer} message types`);
  const out: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const k of keys) {
    if (k.length > 2 * LIMITS.binBytes + 2) fail(path, 'message type name too long');
    const n = o[k];
    out[k] = isCount(n) ? n : int(n, `${path}[${JSON.stringify(k.slice(0, 32))}]`);
  }
  return out;
}

function optMissed(v: unknown): { missed?: number } {
  const missed = optInt(v, 'missed');
  return missed === undefined ? {} : { missed };
}

/** One peer's traffic record; paths relative to the record (see under()). */
function peerTraffic(v: unknown): PeerTraffic {
  const o = obj(v, '');
  const p: PeerTraffic = {
    socket: int(o.socket, 'socket'),
    msgsIn: int(o.msgsIn, 'msgsIn'),
    msgsOut: int(o.msgsOut, 'msgsOut'),
    bytesIn: int(o.bytesIn, 'bytesIn'),
    bytesOut: int(o.bytesOut, 'bytesOut'),
    types: messageTypes(o.types, 'types'),
  };
  const peer = optBin(o.peer, 'peer');
  if (peer !== undefined) p.peer = peer;
  const lastMessageIn = optTime(o.lastMessageIn, 'lastMessageIn');
  if (lastMessageIn !== undefined) p.lastMessageIn = lastMessageIn;
  const lastMessageOut = optTime(o.lastMessageOut, 'lastMessageOut');
  if (lastMessageOut !== undefined) p.lastMessageOut = lastMessageOut;
  const lastHeartbeatIn = optTime(o.lastHeartbeatIn, 'lastHeartbeatIn');
  if (lastHeartbeatIn !== undefined) p.lastHeartbeatIn = lastHeartbeatIn;
  const lastHeartbeatOut = optTime(o.lastHeartbeatOut, 'lastHeartbeatOut');
  if (lastHeartbeatOut !== undefined) p.lastHeartbeatOut = lastHeartbeatOut;
  if (o.first !== undefined) p.first = firstMessages(o.first, 'first');
  return p;
}

const FINGERPRINT = /^[0-9a-f]{8}$/;

/** A connection's first-messages log: at most LIMITS.firstMessages [time, 8-hex-digit fingerprint] pairs each way. */
function firstMessages(v: unknown, path: string): FirstMessages {
  const o = obj(v, path);
  const log = (w: unknown, at: string): [number, string][] => arr(w, at, LIMITS.firstMessages).map((entry, i) => {
    const pair = arr(entry, `${at}[${i}]`, 2);
    if (pair.length !== 2) fail(`${at}[${i}]`, 'expected [time, fingerprint]');
    const fp = str(pair[1], `${at}[${i}][1]`, 8);
    if (!FINGERPRINT.test(fp)) fail(`${at}[${i}][1]`, 'expected 8 lower-case hex digits');
    return [time(pair[0], `${at}[${i}][0]`), fp];
  });
  const first: FirstMessages = { out: log(o.out, `${path}.out`), in: log(o.in, `${path}.in`) };
  const conn = optInt(o.conn, `${path}.conn`, 1);
  if (conn !== undefined) first.conn = conn;
  return first;
}

function peerTrafficList(v: unknown, path: string): PeerTraffic[] {
  const list = arr(v, path, LIMITS.peersPerTraffic);
  const peers: PeerTraffic[] = new Array<PeerTraffic>(list.length);
  for (let i = 0; i < list.length; i++) peers[i] = under(peerTraffic, list[i], path, i);
  return peers;
}

function endpointState(v: unknown, path: string): EndpointState {
  const o = obj(v, path);
  const e: EndpointState = {
    op: oneOf(o.op, `${path}.op`, ['bind', 'connect'] as const),
    requested: str(o.requested, `${path}.requested`, LIMITS.endpointChars),
    at: time(o.at, `${path}.at`),
  };
  const resolved = optStr(o.resolved, `${path}.resolved`, LIMITS.endpointChars);
  if (resolved !== undefined) e.resolved = resolved;
  const up = optTime(o.up, `${path}.up`);
  if (up !== undefined) e.up = up;
  return e;
}

function failureState(v: unknown, path: string): EndpointFailureState {
  const o = obj(v, path);
  return {
    op: oneOf(o.op, `${path}.op`, ['bind', 'connect', 'unbind', 'disconnect'] as const),
    requested: str(o.requested, `${path}.requested`, LIMITS.endpointChars),
    error: str(o.error, `${path}.error`, LIMITS.stringChars),
    at: time(o.at, `${path}.at`),
    times: int(o.times, `${path}.times`, 1, 2 ** 31),
  };
}

function acceptedCount(v: unknown, path: string): AcceptedCount {
  const o = obj(v, path);
  return { address: str(o.address, `${path}.address`, LIMITS.endpointChars), open: int(o.open, `${path}.open`, 0, 2 ** 31) };
}

function snapshotSocket(v: unknown, path: string): SnapshotSocket {
  const o = obj(v, path);
  const s: SnapshotSocket = {
    ...socketInfo(o, path),
    endpoints: arr(o.endpoints, `${path}.endpoints`, LIMITS.endpointsPerSocket).map((e, i) => endpointState(e, `${path}.endpoints[${i}]`)),
    peers: peerTrafficList(o.peers, `${path}.peers`),
    closed: bool(o.closed, `${path}.closed`),
  };
  if (o.failed !== undefined) s.failed = arr(o.failed, `${path}.failed`, LIMITS.failuresPerSocket).map((f, i) => failureState(f, `${path}.failed[${i}]`));
  if (o.accepted !== undefined) s.accepted = arr(o.accepted, `${path}.accepted`, LIMITS.endpointsPerSocket).map((a, i) => acceptedCount(a, `${path}.accepted[${i}]`));
  return s;
}

function validate(o: Obj): TelemetryMsg {
  if (o.v !== PROTOCOL_VERSION) {
    throw new Invalid('bad-version', `protocol version ${JSON.stringify(o.v)?.slice(0, 16)}, this collector speaks ${PROTOCOL_VERSION}`);
  }
  if (typeof o.t !== 'string' || !(TELEMETRY_TYPES as readonly string[]).includes(o.t)) {
    throw new Invalid('unknown-type', `message type ${JSON.stringify(o.t)?.slice(0, 40)}`);
  }
  const seq = int(o.seq, 'seq');
  const at = time(o.at, 'at');
  const mono = optTime(o.mono, 'mono');
  // The hot message first, built without spreads.
  if (o.t === 'traffic') {
    const msg: TelemetryMsg = { v: PROTOCOL_VERSION, seq, at, t: 'traffic', peers: peerTrafficList(o.peers, 'peers') };
    if (mono !== undefined) msg.mono = mono;
    return msg;
  }
  const base = mono === undefined ? { v: PROTOCOL_VERSION, seq, at } : { v: PROTOCOL_VERSION, seq, at, mono };
  switch (o.t) {
    case 'hello': {
      const node = optStr(o.node, 'node', 256);
      const thread = o.thread === undefined ? undefined : int(o.thread, 'thread', 1, 2 ** 32);
      const agent = obj(o.agent, 'agent');
      return {
        ...base, t: 'hello',
        instance: str(o.instance, 'instance', 64),
        pid: int(o.pid, 'pid', 0, 2 ** 32),
        host: str(o.host, 'host', 256),
        title: str(o.title, 'title', 256),
        ...(node !== undefined ? { node } : {}),
        ...(thread !== undefined ? { thread } : {}),
        argv: arr(o.argv, 'argv', 64).map((a, i) => str(a, `argv[${i}]`, 1024)),
        runtime: runtime(o.runtime, 'runtime'),
        agent: { name: str(agent.name, 'agent.name', 64), version: str(agent.version, 'agent.version', 64) },
        startedAt: time(o.startedAt, 'startedAt'),
      };
    }
    case 'socket':
      return { ...base, t: 'socket', ...socketInfo(o, 'socket') };
    case 'endpoint': {
      const resolved = optStr(o.resolved, 'resolved', LIMITS.endpointChars);
      const error = optStr(o.error, 'error', LIMITS.stringChars);
      return {
        ...base, t: 'endpoint',
        socket: int(o.socket, 'socket'),
        op: oneOf(o.op, 'op', ['bind', 'connect', 'unbind', 'disconnect'] as const),
        requested: str(o.requested, 'requested', LIMITS.endpointChars),
        ...(resolved !== undefined ? { resolved } : {}),
        ok: bool(o.ok, 'ok'),
        ...(error !== undefined ? { error } : {}),
      };
    }
    case 'event': {
      const address = optStr(o.address, 'address', LIMITS.endpointChars);
      const interval = optInt(o.interval, 'interval', 0, 2 ** 31);
      const error = optStr(o.error, 'error', LIMITS.stringChars);
      const peer = optBin(o.peer, 'peer');
      const accepted = optInt(o.accepted, 'accepted', 0, 2 ** 31);
      return {
        ...base, t: 'event',
        socket: int(o.socket, 'socket'),
        event: oneOf(o.event, 'event', MONITOR_EVENT_TYPES),
        ...(address !== undefined ? { address } : {}),
        ...(interval !== undefined ? { interval } : {}),
        ...(error !== undefined ? { error } : {}),
        ...(peer !== undefined ? { peer } : {}),
        ...(accepted !== undefined ? { accepted } : {}),
      };
    }
    case 'disconnect-msg': {
      const text = optBin(o.text, 'text', LIMITS.textBytes);
      return { ...base, t: 'disconnect-msg', socket: int(o.socket, 'socket'), peer: bin(o.peer, 'peer'), ...(text !== undefined ? { text } : {}) };
    }
    case 'close':
      return { ...base, t: 'close', socket: int(o.socket, 'socket') };
    case 'beat':
      return { ...base, t: 'beat', dropped: int(o.dropped, 'dropped'), ...optMissed(o.missed), queued: int(o.queued, 'queued') };
    case 'snapshot':
      return {
        ...base, t: 'snapshot',
        sockets: arr(o.sockets, 'sockets', LIMITS.socketsPerSnapshot).map((s, i) => snapshotSocket(s, `sockets[${i}]`)),
        dropped: int(o.dropped, 'dropped'),
        ...optMissed(o.missed),
      };
    case 'bye':
      return { ...base, t: 'bye', reason: str(o.reason, 'reason', LIMITS.stringChars) };
    default:
      throw new Invalid('unknown-type', `message type ${String(o.t).slice(0, 40)}`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Frame → validated message, or the reason it was refused. Never throws. The result holds only the
 * fields the protocol defines (extra fields are dropped), each checked for type and size.
 */
export function decode(frame: Uint8Array): DecodeResult {
  if (frame.byteLength > LIMITS.frameBytes) {
    return { ok: false, reason: 'too-large', detail: `${frame.byteLength} bytes, limit ${LIMITS.frameBytes}` };
  }
  let text: string;
  try {
    text = utf8.decode(frame);
  } catch {
    return { ok: false, reason: 'not-utf8', detail: 'frame is not valid UTF-8' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: 'not-json', detail: (e as Error).message.slice(0, 200) };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: 'not-object', detail: `top level is ${Array.isArray(parsed) ? 'an array' : typeof parsed}` };
  }
  try {
    return { ok: true, msg: validate(parsed as Obj) };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, reason: e.reason, detail: e.message };
    return { ok: false, reason: 'bad-field', detail: String(e).slice(0, 200) };
  }
}
