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
  /**
   * The socket is connected to several endpoints and deals its messages among them (round-robin), and
   * its agent cannot tell which connection a message took: the log is all of them together, and one
   * peer's messages are a subsequence of it, not a prefix.
   */
  dealt?: boolean;
  /**
   * The connection's stamps are on the ROUTER's clock (one host's monotonic clock): a message then
   * never arrives before it was sent (sends are stamped before the send, arrivals after), so a pair
   * whose messages seem to is all but ruled out. Across clocks the offset's error allows it.
   */
  oneClock?: boolean;
}

export type EvidenceKind = 'content' | 'timing';

export interface Pairing {
  connection: string;
  how: EvidenceKind;
}

/** How much earlier than its sending a message may seem to arrive (stamps are taken by busy event loops). */
export const CAUSALITY_SLACK_MS = 5;

/**
 * On one clock, how much more a message that seems to arrive before it was sent weighs than one as
 * late: a loaded event loop delays an arrival's stamp by milliseconds (so delays alone can favour the
 * wrong pair of two senders a millisecond apart), but it never makes one early.
 */
const EARLY_WEIGHT = 10;

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
  if (connection.dealt) return fitDealt(peer, connection);
  let best: number | undefined;
  for (const skipIn of [0, 1]) {
    const toRouter = follows(peer.in, connection.out, skipIn);
    if (!toRouter) continue;
    for (const skipOut of [0, 1]) {
      const toPeer = follows(connection.in, peer.out, skipOut);
      if (!toPeer || toRouter.length + toPeer.length === 0) continue;
      const cost = meanSquaredDelay(toRouter, toPeer, connection.oneClock === true);
      if (best === undefined || cost < best) best = cost;
    }
  }
  return best;
}

/**
 * The cost of a fit: the mean squared delay, the first message to the ROUTER counted only when it is
 * all there is; `oneClock`: an early arrival weighs EARLY_WEIGHT times its delay.
 */
function meanSquaredDelay(toRouter: readonly number[], toPeer: readonly number[], oneClock: boolean): number {
  const delays = toRouter.length > 1 || toPeer.length > 0 ? [...toRouter.slice(1), ...toPeer] : toRouter;
  return delays.reduce((sum, d) => {
    const weighed = oneClock && d < 0 ? d * EARLY_WEIGHT : d;
    return sum + weighed * weighed;
  }, 0) / delays.length;
}

/**
 * fit() for a dealt connection log: the peer's messages to the ROUTER are matched, in order, into
 * the log's sends and the ROUTER's messages to the peer into its receipts, each to the first entry
 * left with the same fingerprint that the arrival can follow. Matching stops at the first message
 * not found: the log holds only the first few messages of all the socket's connections together,
 * so the rest went past it. Undefined when nothing matched (no evidence, never a contradiction: a
 * connection made late may have got none of the logged messages).
 */
function fitDealt(peer: PeerEvidence, connection: ConnectionEvidence): number | undefined {
  const toRouter = within(peer.in, connection.out, true);
  const toPeer = within(peer.out, connection.in, false);
  return toRouter.length + toPeer.length === 0 ? undefined : meanSquaredDelay(toRouter, toPeer, connection.oneClock === true);
}

/**
 * The delays of `part`'s messages matched in order into `whole` (the dealt log); `partArrived`: the
 * part is what arrived (delay = part's time − whole's), else what was sent.
 */
function within(part: readonly Stamp[], whole: readonly Stamp[], partArrived: boolean): number[] {
  const delays: number[] = [];
  let j = 0;
  for (const [t, fp] of part) {
    let found = -1;
    for (let k = j; k < whole.length; k++) {
      const delay = partArrived ? t - whole[k][0] : whole[k][0] - t;
      if (whole[k][1] === fp && delay >= -CAUSALITY_SLACK_MS) {
        found = k;
        delays.push(delay);
        break;
      }
    }
    if (found < 0) break;
    j = found + 1;
  }
  return delays;
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
 * connection are left out of the result. Two peers whose one free fit is the same connection go to
 * the timing too: neither is certain.
 */
export function pairPeers(peers: readonly PeerEvidence[], connections: readonly ConnectionEvidence[], taken: ReadonlySet<string> = new Set()): Map<string, Pairing> {
  // Indices, not keys: a hub meeting hundreds of anonymous peers at once has ~10⁶ candidate pairs.
  const open = connections.filter((c) => !taken.has(c.key));
  const rows = peers.map((peer) => {
    const cols: number[] = [];
    const costs: number[] = [];
    for (let j = 0; j < open.length; j++) {
      const cost = fit(peer, open[j]);
      if (cost === undefined) continue;
      cols.push(j);
      costs.push(cost);
    }
    return { cols, costs };
  });
  const result = new Map<string, Pairing>();
  const given = new Uint8Array(open.length);
  /** The row's one free column, -1 when none is left, -2 when several are. */
  const onlyFree = (i: number): number => {
    let found = -1;
    for (const j of rows[i].cols) {
      if (given[j]) continue;
      if (found >= 0) return -2;
      found = j;
    }
    return found;
  };
  const paired = new Uint8Array(peers.length);
  const only = new Int32Array(peers.length);
  const wanted = new Int32Array(open.length);
  for (let changed = true; changed;) {
    changed = false;
    // A connection that is the one free fit of two peers is no certainty for either (which got it
    // went by the order peers were listed): those are left to the timing below.
    wanted.fill(0);
    for (let i = 0; i < peers.length; i++) {
      only[i] = paired[i] ? -1 : onlyFree(i);
      if (only[i] >= 0) wanted[only[i]]++;
    }
    for (let i = 0; i < peers.length; i++) {
      const j = only[i];
      if (j < 0 || wanted[j] > 1) continue;
      result.set(peers[i].key, { connection: open[j].key, how: 'content' });
      given[j] = 1;
      paired[i] = 1;
      changed = true;
    }
  }
  const rest: number[] = [];
  const colOf = new Map<number, number>(); // open index → column of the cost matrix
  for (let i = 0; i < peers.length; i++) {
    if (paired[i] || onlyFree(i) === -1) continue;
    rest.push(i);
    for (const j of rows[i].cols) if (!given[j] && !colOf.has(j)) colOf.set(j, colOf.size);
  }
  if (rest.length === 0) return result;
  const cols = [...colOf.keys()];
  // NaN: the peer does not fit the connection.
  const matrix = new Float64Array(rest.length * cols.length).fill(NaN);
  rest.forEach((i, r) => rows[i].cols.forEach((j, k) => {
    const c = colOf.get(j);
    if (c !== undefined && !given[j]) matrix[r * cols.length + c] = rows[i].costs[k];
  }));
  const costs: CostMatrix = { rows: rest.length, cols: cols.length, at: (r, c) => matrix[r * cols.length + c] };
  const pairs = rest.length * cols.length <= OPTIMAL_PAIRING_MAX * OPTIMAL_PAIRING_MAX ? cheapestPairs(costs) : mostPairs(costs, greedyPairs(costs));
  for (const [r, c] of pairs) result.set(peers[rest[r]].key, { connection: open[cols[c]].key, how: 'timing' });
  return result;
}

/** Costs of rows × columns; NaN where a row may not take a column. */
export interface CostMatrix {
  rows: number;
  cols: number;
  at(row: number, col: number): number;
}

/** The assignment of rows to columns with the least total cost (Hungarian method); NaN pairs are never made. */
function cheapestPairs(m: CostMatrix): [number, number][] {
  const n = Math.max(m.rows, m.cols);
  let max = 0;
  for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) {
    const x = m.at(r, c);
    if (x > max) max = x;
  }
  // A real pair always beats none, and none beats a forbidden one: most pairs first, then least delay.
  const none = (max + 1) * (n + 1);
  const forbidden = none * (n + 1);
  const a = (i: number, j: number): number => {
    if (i >= m.rows || j >= m.cols) return none;
    const x = m.at(i, j);
    return Number.isNaN(x) ? forbidden : x;
  };
  // Potentials u (rows), v (cols); p[j]: the row matched to column j (1-based, 0 = none).
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const p = new Int32Array(n + 1);
  const way = new Int32Array(n + 1);
  const minv = new Float64Array(n + 1);
  const used = new Uint8Array(n + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
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
  const pairs: [number, number][] = [];
  for (let j = 1; j <= n; j++) {
    const i = p[j] - 1;
    if (i < m.rows && j - 1 < m.cols && !Number.isNaN(m.at(i, j - 1))) pairs.push([i, j - 1]);
  }
  return pairs;
}

/** The cheapest pair first, then the cheapest among the rest, …: for sets too large to pair optimally. */
function greedyPairs(m: CostMatrix): [number, number][] {
  const cells: number[] = [];
  const costs: number[] = [];
  for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) {
    const x = m.at(r, c);
    if (Number.isNaN(x)) continue;
    cells.push(r * m.cols + c);
    costs.push(x);
  }
  // Ties go to the earlier peer, then the earlier connection.
  const order = Uint32Array.from(cells.keys()).sort((x, y) => costs[x] - costs[y] || x - y);
  const rowDone = new Uint8Array(m.rows);
  const colDone = new Uint8Array(m.cols);
  const pairs: [number, number][] = [];
  for (const k of order) {
    const r = Math.floor(cells[k] / m.cols);
    const c = cells[k] % m.cols;
    if (rowDone[r] || colDone[c]) continue;
    rowDone[r] = 1;
    colDone[c] = 1;
    pairs.push([r, c]);
  }
  return pairs;
}

/**
 * `pairs` grown to as many pairs as the matrix allows, changing only what it must: a row left without
 * a column takes one another row holds when that row can move to a free one (augmenting paths). The
 * greedy pass can strand rows so — its cheapest pairs take the only columns of others — and a load
 * test's hub was left with 2 of 980 anonymous peers unknown for good that way; the optimal pairing
 * never does (it makes the most pairs first).
 */
export function mostPairs(m: CostMatrix, pairs: readonly [number, number][]): [number, number][] {
  const rowOfCol = new Int32Array(m.cols).fill(-1);
  const colOfRow = new Int32Array(m.rows).fill(-1);
  for (const [r, c] of pairs) {
    rowOfCol[c] = r;
    colOfRow[r] = c;
  }
  // Columns a failed search went through cannot help another row until a search succeeds: kept
  // across rows, so failures cost one pass over the fitting cells in all, not one each.
  let seen = new Uint8Array(m.cols);
  // Depth-first along alternating paths, without recursion (a path can be as long as the rows).
  const augment = (start: number): boolean => {
    const path = [start];
    const via: number[] = [];
    const next = [0];
    while (path.length > 0) {
      const depth = path.length - 1;
      const r = path[depth];
      let c = next[depth];
      while (c < m.cols && (seen[c] || Number.isNaN(m.at(r, c)))) c++;
      if (c === m.cols) {
        path.pop();
        next.pop();
        continue;
      }
      next[depth] = c + 1;
      seen[c] = 1;
      via[depth] = c;
      if (rowOfCol[c] >= 0) {
        path.push(rowOfCol[c]);
        next.push(0);
        continue;
      }
      for (let k = 0; k <= depth; k++) {
        rowOfCol[via[k]] = path[k];
        colOfRow[path[k]] = via[k];
      }
      return true;
    }
    return false;
  };
  let grown = false;
  for (let r = 0; r < m.rows; r++) {
    if (colOfRow[r] >= 0 || !augment(r)) continue;
    grown = true;
    seen = new Uint8Array(m.cols);
  }
  if (!grown) return pairs.slice();
  const out: [number, number][] = [];
  for (let r = 0; r < m.rows; r++) if (colOfRow[r] >= 0) out.push([r, colOfRow[r]]);
  return out;
}
