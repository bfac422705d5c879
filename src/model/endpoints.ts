/**
 * Endpoint parsing and matching: when does a connect endpoint reach a bind endpoint?
 * Pure functions; the only outside input is this host's names and addresses (os module).
 */
import * as os from 'node:os';

export interface ParsedEndpoint {
  transport: string;
  /** tcp (and other host:port transports): lower-cased host without brackets. */
  host?: string;
  /** tcp: the port, or undefined while it is a wildcard (`*`, `0`) not yet resolved. */
  port?: number;
  /** ipc path, inproc name, or whatever follows `transport://` for other transports. */
  address: string;
}

const ENDPOINT = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i;

export function parseEndpoint(endpoint: string): ParsedEndpoint | undefined {
  const m = ENDPOINT.exec(endpoint.trim());
  if (!m) return undefined;
  const transport = m[1].toLowerCase();
  const address = m[2];
  if (transport === 'ipc' || transport === 'inproc') return { transport, address };
  // host:port, possibly "source;host:port" (zmq allows a source address before ';').
  const target = address.includes(';') ? address.slice(address.lastIndexOf(';') + 1) : address;
  const colon = target.lastIndexOf(':');
  if (colon < 0) return { transport, address };
  const rawHost = target.slice(0, colon);
  const rawPort = target.slice(colon + 1);
  const host = rawHost.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const port = /^\d{1,5}$/.test(rawPort) && Number(rawPort) > 0 && Number(rawPort) <= 65535 ? Number(rawPort) : undefined;
  return { transport, host, port, address };
}

/** Hosts that mean "every interface" in a bind. */
const WILDCARD_HOSTS = new Set(['*', '0.0.0.0', '::', '0:0:0:0:0:0:0:0']);
/** Names of the loopback interface (with 127.0.0.0/8 and its IPv4-mapped form, isLoopback). */
const LOOPBACK_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', '::1', '0:0:0:0:0:0:0:1']);

function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || host.startsWith('127.') || host.startsWith('::ffff:127.');
}

let thisHostNames: Set<string> | undefined;

/** This host's names and interface addresses, read once (they rarely change while we run). */
export function localHostNames(): Set<string> {
  if (!thisHostNames) {
    const names = new Set<string>();
    const hostname = os.hostname().toLowerCase();
    names.add(hostname);
    names.add(hostname.split('.')[0]);
    for (const list of Object.values(os.networkInterfaces())) {
      for (const info of list ?? []) names.add(info.address.toLowerCase().replace(/%.*$/, ''));
    }
    thisHostNames = names;
  }
  return thisHostNames;
}

export function isLocalHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return WILDCARD_HOSTS.has(h) || isLoopback(h) || localHostNames().has(h);
}

const IP_LITERAL = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]*)$/;

/**
 * Keys under which an endpoint is found by matching. Two endpoints match when they share a key.
 * `nodeHost` is the host the owning process reported (so loopback on one machine never matches
 * loopback on another); `nodeId` scopes inproc to one process. On this host, a bind on the loopback
 * address is reached only through loopback, a bind on one interface's address only through that
 * side, a wildcard bind through both (a client connecting to the machine's LAN address is refused by
 * a server bound to 127.0.0.1: no edge between them); a host *name* may resolve to either, so it
 * matches both. A bind reachable from outside is also found by the node's host name, so a connect from
 * elsewhere to `tcp://thathost:port` finds it.
 * Returns [] when the endpoint cannot be matched yet (unparsable, or a wildcard port not resolved).
 */
export function matchKeys(endpoint: string, nodeHost: string, nodeId: string): string[] {
  const p = parseEndpoint(endpoint);
  if (!p) return [];
  if (p.transport === 'inproc') return [`inproc:${nodeId}:${p.address}`];
  if (p.transport === 'ipc') return [`ipc:${p.address}`];
  if (p.host === undefined) return [`${p.transport}:${p.address}`];
  if (p.port === undefined) return [];
  const origin = nodeHost.toLowerCase();
  if (isLocalHost(p.host) || p.host === origin) {
    const loop = `${p.transport}:loop@${origin}:${p.port}`;
    const lan = `${p.transport}:lan@${origin}:${p.port}`;
    const outside = `${p.transport}:${origin}:${p.port}`;
    if (isLoopback(p.host)) return [loop];
    if (IP_LITERAL.test(p.host) && !WILDCARD_HOSTS.has(p.host)) return [lan, outside];
    return [loop, lan, outside];
  }
  return [`${p.transport}:${p.host}:${p.port}`];
}

/** Host-independent match keys of endpoints seen lately: monitor events repeat a few addresses. */
const keyCache = new Map<string, string[]>();
const KEY_CACHE_ENTRIES = 1024;

function hostlessKeys(endpoint: string): string[] {
  let keys = keyCache.get(endpoint);
  if (keys === undefined) {
    if (keyCache.size >= KEY_CACHE_ENTRIES) keyCache.clear();
    keys = matchKeys(endpoint, '', '');
    keyCache.set(endpoint, keys);
  }
  return keys;
}

/** Whether a monitor event's address (as libzmq reports it) names the same endpoint as `endpoint`. */
export function sameEndpoint(a: string, b: string): boolean {
  if (a === b) return true;
  const keysA = hostlessKeys(a);
  if (keysA.length === 0) return false;
  const keysB = hostlessKeys(b);
  return keysA.some((k) => keysB.includes(k));
}
