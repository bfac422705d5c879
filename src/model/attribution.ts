/**
 * Which connecting socket is a ROUTER's anonymous peer? libzmq gives a peer that sets no routing id
 * an automatic one (0x00 + 4 bytes) that only the ROUTER knows, so the two ends' reports of one
 * connection cannot be joined by id. Both agents log the first messages of each connection with a
 * precise time and a fingerprint (protocol FirstMessages); this module pairs the ROUTER's peers with
 * the connecting sockets' connections from that evidence alone. Pure: no store, no clock.
 *
 * A peer P and a connection C are *compatible* when what P sent the ROUTER is what C sent (the
 * fingerprints agree in order) and never arrived before it was sent (causality, with a tolerance for
 * how late an agent stamps a message), and the same for what the ROUTER sent P and C received. At most
 * the peer's first message may be missing from C's log (sent while C's previous connection was
 * going down). Then:
 * - a peer compatible with exactly one connection left gets it ('content');
 * - where several fit (identical messages sent at close times), the pairs are chosen whose messages
 *   took the least time to arrive in all ('timing'): on a live connection a message takes well under a
 *   millisecond, while a wrong pair's messages seem to take as long as the gap between the senders.
 * A connection is given to at most one peer.
 */

/** [time in ms, with a sub-ms fraction, on one clock for all; fingerprint]. */
export type Stamp = readonly [number, string];

export interface PeerEvidence {
  /** The routing id's hex. */
  key: string;
  /** What the ROUTER received from the peer / sent to it: its first messages. */
  in: readonly Stamp[];
  out: readonly Stamp[];
}

export interface ConnectionEvidence {
  key: string;
  /** What the connecting socket sent / received on this connection: its first messages. */
  out: readonly Stamp[];
  in: readonly Stamp[];
}

export type EvidenceKind = 'content' | 'timing';

export interface Pairing {
  connection: string;
  how: EvidenceKind;
}

/** How much earlier than its sending a message may seem to arrive (stamps are taken by busy event loops). */
export const CAUSALITY_SLACK_MS = 5;

/**
 * Whether `received` (one end's log) can be what `sent` (the other end's log) sent: the shorter is a
 * prefix of the longer by fingerprint, each arrival not before its sending; `skip` entries at the
 * start of `received` are left out (they were sent before `sent` began). Returns each matched
 * message's delay (arrival − sending, in ms), or undefined when the logs contradict.
 */
function follows(received: readonly Stamp[], sent: readonly Stamp[], skip: number): number[] | undefined {
  const n = Math.min(received.length - skip, sent.length);
  if (n <= 0) return skip > 0 ? undefined : []; // a message is passed over only to match what follows it
  const delays: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = received[i + skip];
    const s = sent[i];
    if (r[1] !== s[1] || r[0] < s[0] - CAUSALITY_SLACK_MS) return undefined;
    delays.push(r[0] - s[0]);
  }
  return delays;
}

/**
 * How well P and C fit as one connection: undefined when their logs contradict or tell nothing;
 * else a cost, the mean squared delay of the messages matched (the lower, the likelier). The
 * connection's first message is left out of it when others were matched: it may have waited for the
 * connection to be made, so its delay says little.
 */
export function fit(peer: PeerEvidence, connection: ConnectionEvidence): number | undefined {
  let best: number | undefined;
  for (const skipIn of [0, 1]) {
    const toRouter = follows(peer.in, connection.out, skipIn);
    if (!toRouter) continue;
    for (const skipOut of [0, 1]) {
      const toPeer = follows(connection.in, peer.out, skipOut);
      if (!toPeer || toRouter.length + toPeer.length === 0) continue;
      const delays = toRouter.length > 1 || toPeer.length > 0 ? [...toRouter.slice(1), ...toPeer] : toRouter;
      const cost = delays.reduce((sum, d) => sum + d * d, 0) / delays.length;
      if (best === undefined || cost < best) best = cost;
    }
  }
  return best;
}

/** Whether P and C are one connection as far as their logs tell; false also when the logs tell nothing. */
export function compatible(peer: PeerEvidence, connection: ConnectionEvidence): boolean {
  return fit(peer, connection) !== undefined;
}

/** Sizes past which the ambiguous rest is paired greedily instead of optimally (O(n³)). */
const OPTIMAL_PAIRING_MAX = 300;

/**
 * Pairs peers with connections. `taken`: connections already given elsewhere (another ROUTER's
 * peers), never offered. A peer that fits exactly one connection left gets it ('content'); the rest
 * are paired so that the messages' delays are smallest in all ('timing'): a wrong pair shows as
 * messages that took far longer than the others on an idle loopback. Peers that fit no free
 * connection are left out of the result.
 */
export function pairPeers(peers: readonly PeerEvidence[], connections: readonly ConnectionEvidence[], taken: ReadonlySet<string> = new Set()): Map<string, Pairing> {
  const costs = new Map<string, Map<string, number>>();
  for (const peer of peers) {
    const row = new Map<string, number>();
    for (const c of connections) {
      if (taken.has(c.key)) continue;
      const cost = fit(peer, c);
      if (cost !== undefined) row.set(c.key, cost);
    }
    if (row.size > 0) costs.set(peer.key, row);
  }
  const result = new Map<string, Pairing>();
  const given = new Set<string>();
  const free = (key: string): string[] => [...(costs.get(key)?.keys() ?? [])].filter((c) => !given.has(c));
  for (let changed = true; changed;) {
    changed = false;
    for (const peer of peers) {
      if (result.has(peer.key)) continue;
      const left = free(peer.key);
      if (left.length !== 1) continue;
      result.set(peer.key, { connection: left[0], how: 'content' });
      given.add(left[0]);
      changed = true;
    }
  }
  const rest = peers.filter((p) => !result.has(p.key) && free(p.key).length > 0).map((p) => p.key);
  if (rest.length === 0) return result;
  const open = [...new Set(rest.flatMap(free))];
  const cost = (peer: string, connection: string): number | undefined => costs.get(peer)?.get(connection);
  const pairs = rest.length * open.length <= OPTIMAL_PAIRING_MAX * OPTIMAL_PAIRING_MAX ? cheapestPairs(rest, open, cost) : greedyPairs(rest, open, cost);
  for (const [peer, connection] of pairs) result.set(peer, { connection, how: 'timing' });
  return result;
}

/** The assignment of rows to columns with the least total cost (Hungarian method); undefined costs are not allowed. */
function cheapestPairs(rows: readonly string[], cols: readonly string[], cost: (row: string, col: string) => number | undefined): [string, string][] {
  const n = Math.max(rows.length, cols.length);
  let max = 0;
  for (const r of rows) for (const c of cols) max = Math.max(max, cost(r, c) ?? 0);
  // A real pair always beats none, and none beats a forbidden one: most pairs first, then least delay.
  const none = (max + 1) * (n + 1);
  const forbidden = none * (n + 1);
  const a = (i: number, j: number): number => {
    if (i >= rows.length || j >= cols.length) return none;
    return cost(rows[i], cols[j]) ?? forbidden;
  };
  // Potentials u (rows), v (cols); p[j]: the row matched to column j (1-based, 0 = none).
  const u = new Array<number>(n + 1).fill(0);
  const v = new Array<number>(n + 1).fill(0);
  const p = new Array<number>(n + 1).fill(0);
  const way = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Array<number>(n + 1).fill(Infinity);
    const used = new Array<boolean>(n + 1).fill(false);
    do {
      used[j0] = true;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = a(i0 - 1, j - 1) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const pairs: [string, string][] = [];
  for (let j = 1; j <= n; j++) {
    const i = p[j] - 1;
    if (i < rows.length && j - 1 < cols.length && cost(rows[i], cols[j - 1]) !== undefined) pairs.push([rows[i], cols[j - 1]]);
  }
  return pairs;
}

/** The cheapest pair first, then the cheapest among the rest, …: for sets too large to pair optimally. */
function greedyPairs(rows: readonly string[], cols: readonly string[], cost: (row: string, col: string) => number | undefined): [string, string][] {
  const all: [number, string, string][] = [];
  for (const r of rows) for (const c of cols) {
    const x = cost(r, c);
    if (x !== undefined) all.push([x, r, c]);
  }
  all.sort((x, y) => x[0] - y[0]);
  const rowsDone = new Set<string>();
  const colsDone = new Set<string>();
  const pairs: [string, string][] = [];
  for (const [, r, c] of all) {
    if (rowsDone.has(r) || colsDone.has(c)) continue;
    rowsDone.add(r);
    colsDone.add(c);
    pairs.push([r, c]);
  }
  return pairs;
}
