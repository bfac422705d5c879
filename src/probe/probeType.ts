/**
 * Which socket type the extension probes an endpoint with, so that it can never take or disturb the
 * app's messages. docs/PROBES.md explains the table and the evidence (test/integration/probe-table).
 */
import type { SocketType } from '../protocol/types';

/** The only socket types a probe ever uses; none of them is ever asked to send. */
export type ProbeSocketType = 'DEALER' | 'SUB' | 'PUB' | 'PUSH';

/**
 * `handshake`: a valid ZMTP peer of the remote that is structurally unable to receive the app's work.
 * `refused`: not a valid peer, so the remote refuses the ZMTP handshake and never attaches a pipe;
 * the refusal still proves that a ZMTP peer listens there.
 */
export type ProbeOutcome = 'handshake' | 'refused';

export interface ProbePlan {
  remoteType: SocketType;
  probeType: ProbeSocketType;
  expect: ProbeOutcome;
  why: string;
}

export interface Unprobeable {
  remoteType: SocketType;
  probeType: null;
  why: string;
}

const INERT_REFUSAL =
  'PUB is not a valid ZMTP peer of it, so the handshake is refused and no pipe is ever attached; a PUB can never ' +
  'receive a message and the probe publishes nothing. The refusal proves a ZMTP peer is listening.';

const PLANS: Record<SocketType, Omit<ProbePlan, 'remoteType'> | { probeType: null; why: string }> = {
  ROUTER: {
    probeType: 'DEALER', expect: 'handshake',
    why: 'A ROUTER sends only to the routing id the app names. The probe never sends, so the app never learns its ' +
      'routing id (zmq-topology-probe-…) and cannot address it.',
  },
  REP: {
    probeType: 'DEALER', expect: 'handshake',
    why: 'A REP only replies to the peer whose request it serves; the probe sends no request.',
  },
  PUB: {
    probeType: 'SUB', expect: 'handshake',
    why: 'A PUB sends a peer only what matches its subscriptions; the probe subscribes to nothing.',
  },
  XPUB: {
    probeType: 'SUB', expect: 'handshake',
    why: 'An XPUB sends a peer only what matches its subscriptions; the probe subscribes to nothing, so the app also ' +
      'receives no subscription message from it.',
  },
  SUB: {
    probeType: 'PUB', expect: 'handshake',
    why: 'A SUB only receives, and the probe publishes nothing (a PUB cannot receive).',
  },
  XSUB: {
    probeType: 'PUB', expect: 'handshake',
    why: 'The probe publishes nothing and a PUB cannot receive; the subscriptions the XSUB forwards to it are dropped.',
  },
  PULL: {
    probeType: 'PUSH', expect: 'handshake',
    why: 'A PULL only receives; the probe pushes nothing and a PUSH cannot receive.',
  },
  PUSH: {
    probeType: 'PUB', expect: 'refused',
    why: `A PUSH round-robins jobs onto every PULL peer, so a PULL probe would take jobs. ${INERT_REFUSAL}`,
  },
  DEALER: {
    probeType: 'PUB', expect: 'refused',
    why: `A DEALER round-robins its messages onto every REP/DEALER/ROUTER peer, so any of them would take messages. ${INERT_REFUSAL}`,
  },
  REQ: {
    probeType: 'PUB', expect: 'refused',
    why: `A REQ round-robins requests onto any REP/DEALER/ROUTER peer and then waits for that peer's reply: a probe ` +
      `would swallow a request and stall the app. ${INERT_REFUSAL}`,
  },
  PAIR: {
    probeType: 'PUB', expect: 'refused',
    why: `A PAIR takes exactly one peer: a PAIR probe could occupy the slot meant for the app's partner. ${INERT_REFUSAL}`,
  },
  SERVER: { probeType: 'PUB', expect: 'refused', why: `Draft type; the probe uses stable types only. ${INERT_REFUSAL}` },
  CLIENT: { probeType: 'PUB', expect: 'refused', why: `Draft type (round-robins like a DEALER). ${INERT_REFUSAL}` },
  RADIO: { probeType: 'PUB', expect: 'refused', why: `Draft type; the probe uses stable types only. ${INERT_REFUSAL}` },
  DISH: { probeType: 'PUB', expect: 'refused', why: `Draft type; the probe uses stable types only. ${INERT_REFUSAL}` },
  GATHER: { probeType: 'PUB', expect: 'refused', why: `Draft type; the probe uses stable types only. ${INERT_REFUSAL}` },
  SCATTER: { probeType: 'PUB', expect: 'refused', why: `Draft type (round-robins like a PUSH). ${INERT_REFUSAL}` },
  PEER: { probeType: 'PUB', expect: 'refused', why: `Draft type; the probe uses stable types only. ${INERT_REFUSAL}` },
  CHANNEL: { probeType: 'PUB', expect: 'refused', why: `Draft type (one peer, like a PAIR). ${INERT_REFUSAL}` },
  UNKNOWN: {
    probeType: 'PUB', expect: 'refused',
    why: `The remote type is not known. ${INERT_REFUSAL} Against a SUB/XSUB it completes the handshake, harmlessly.`,
  },
  STREAM: {
    probeType: null,
    why: 'A STREAM socket speaks raw TCP: every connection, even a silent one, reaches the app as a connect ' +
      'notification message, and ZMTP greeting bytes would arrive as data.',
  },
  DGRAM: { probeType: null, why: 'A DGRAM socket uses UDP: there is no connection to watch.' },
};

/** Pure: the probe socket type for a remote socket type, and why it cannot take the app's messages. */
export function probeSocketTypeFor(remoteType: SocketType): ProbePlan | Unprobeable {
  const plan = PLANS[remoteType] ?? PLANS.UNKNOWN;
  return { remoteType, ...plan };
}
