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
 * - where several fit (identical messages sent at close times), peers in the order their messages
 *   arrived take the fitting connection that sent first ('timing': messages travel in order).
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
 * start of `received` are left out (they were sent before `sent` began). Returns the matched pairs'
 * count, or -1 when they contradict.
 */
function follows(received: readonly Stamp[], sent: readonly Stamp[], skip: number): number {
  const n = Math.min(received.length - skip, sent.length);
  if (n <= 0) return skip > 0 ? -1 : 0; // a message is passed over only to match what follows it
  for (let i = 0; i < n; i++) {
    const r = received[i + skip];
    const s = sent[i];
    if (r[1] !== s[1] || r[0] < s[0] - CAUSALITY_SLACK_MS) return -1;
  }
  return n;
}

/** Whether P and C are one connection as far as their logs tell; false also when the logs tell nothing. */
export function compatible(peer: PeerEvidence, connection: ConnectionEvidence): boolean {
  for (const skipIn of [0, 1]) {
    const toRouter = follows(peer.in, connection.out, skipIn);
    if (toRouter < 0) continue;
    for (const skipOut of [0, 1]) {
      const toPeer = follows(connection.in, peer.out, skipOut);
      if (toPeer < 0) continue;
      if (toRouter + toPeer > 0) return true;
    }
  }
  return false;
}

function firstStamp(log: { in: readonly Stamp[]; out: readonly Stamp[] }, primary: 'in' | 'out'): number {
  const other = primary === 'in' ? 'out' : 'in';
  return log[primary][0]?.[0] ?? log[other][0]?.[0] ?? Infinity;
}

/**
 * Pairs peers with connections. `taken`: connections already given elsewhere (another ROUTER's
 * peers), never offered. Peers that fit no free connection are left out of the result.
 */
export function pairPeers(peers: readonly PeerEvidence[], connections: readonly ConnectionEvidence[], taken: ReadonlySet<string> = new Set()): Map<string, Pairing> {
  const fits = new Map<string, ConnectionEvidence[]>();
  for (const peer of peers) {
    const list = connections.filter((c) => !taken.has(c.key) && compatible(peer, c));
    if (list.length > 0) fits.set(peer.key, list);
  }
  const result = new Map<string, Pairing>();
  const given = new Set<string>();
  const free = (key: string) => (fits.get(key) ?? []).filter((c) => !given.has(c.key));
  let how: EvidenceKind = 'content';
  const propagate = (): void => {
    for (let changed = true; changed;) {
      changed = false;
      for (const peer of peers) {
        if (result.has(peer.key)) continue;
        const left = free(peer.key);
        if (left.length !== 1) continue;
        result.set(peer.key, { connection: left[0].key, how });
        given.add(left[0].key);
        changed = true;
      }
    }
  };
  propagate();
  // Ambiguous: in arrival order, each peer takes the fitting connection that sent first.
  const waiting = peers.filter((p) => !result.has(p.key) && free(p.key).length > 1).sort((a, b) => firstStamp(a, 'in') - firstStamp(b, 'in'));
  for (const peer of waiting) {
    if (result.has(peer.key)) continue;
    const left = free(peer.key);
    if (left.length === 0) continue;
    const pick = left.reduce((best, c) => (firstStamp(c, 'out') < firstStamp(best, 'out') ? c : best));
    how = 'timing';
    result.set(peer.key, { connection: pick.key, how });
    given.add(pick.key);
    propagate();
  }
  return result;
}
