/**
 * The vocabulary of ZeroMQ sockets that the wire format, the model, the extension and the webview all
 * speak. Types and constants only: imports nothing (docs/ARCHITECTURE.md, "Layers").
 */

/**
 * Bytes from the app (routing ids, disconnect texts, message types): always hex; `text` as well when
 * the bytes are printable UTF-8 (no control characters).
 */
export interface Bin {
  hex: string;
  text?: string;
}

export type SocketType =
  | 'PAIR' | 'PUB' | 'SUB' | 'REQ' | 'REP' | 'DEALER' | 'ROUTER' | 'PULL' | 'PUSH' | 'XPUB' | 'XSUB' | 'STREAM'
  | 'SERVER' | 'CLIENT' | 'RADIO' | 'DISH' | 'GATHER' | 'SCATTER' | 'DGRAM' | 'PEER' | 'CHANNEL'
  | 'UNKNOWN';

export const SOCKET_TYPES: readonly SocketType[] = [
  'PAIR', 'PUB', 'SUB', 'REQ', 'REP', 'DEALER', 'ROUTER', 'PULL', 'PUSH', 'XPUB', 'XSUB', 'STREAM',
  'SERVER', 'CLIENT', 'RADIO', 'DISH', 'GATHER', 'SCATTER', 'DGRAM', 'PEER', 'CHANNEL', 'UNKNOWN',
];

/**
 * Which socket types each type can talk to (ZMTP's valid pairs, as libzmq checks them in the
 * handshake): any other pair is refused, and the connection is dropped and retried for ever.
 * STREAM speaks raw TCP and UNKNOWN is a placeholder: no judgement on either.
 */
const PEERS: Readonly<Partial<Record<SocketType, readonly SocketType[]>>> = {
  PAIR: ['PAIR'], PUB: ['SUB', 'XSUB'], SUB: ['PUB', 'XPUB'], XPUB: ['SUB', 'XSUB'], XSUB: ['PUB', 'XPUB'],
  REQ: ['REP', 'ROUTER'], REP: ['REQ', 'DEALER'], DEALER: ['REP', 'DEALER', 'ROUTER'], ROUTER: ['REQ', 'DEALER', 'ROUTER'],
  PUSH: ['PULL'], PULL: ['PUSH'], SERVER: ['CLIENT'], CLIENT: ['SERVER'], RADIO: ['DISH'], DISH: ['RADIO'],
  GATHER: ['SCATTER'], SCATTER: ['GATHER'], DGRAM: ['DGRAM'], PEER: ['PEER'], CHANNEL: ['CHANNEL'],
};

/** The types `type` can talk to; undefined for STREAM and UNKNOWN. */
export function peerTypesOf(type: SocketType): readonly SocketType[] | undefined {
  return PEERS[type];
}

/** Whether libzmq refuses the handshake between these two types (false when either is not judged). */
export function typesRefused(a: SocketType, b: SocketType): boolean {
  const peers = PEERS[a];
  return peers !== undefined && PEERS[b] !== undefined && !peers.includes(b);
}

/** libzmq monitor events, named as zeromq.js v6 names them (`event.type`). */
export type MonitorEventType =
  | 'accept' | 'accept:error' | 'bind' | 'bind:error' | 'connect' | 'connect:delay' | 'connect:retry'
  | 'close' | 'close:error' | 'disconnect' | 'end' | 'handshake' | 'handshake:error:protocol'
  | 'handshake:error:auth' | 'handshake:error:other' | 'unknown';

export const MONITOR_EVENT_TYPES: readonly MonitorEventType[] = [
  'accept', 'accept:error', 'bind', 'bind:error', 'connect', 'connect:delay', 'connect:retry',
  'close', 'close:error', 'disconnect', 'end', 'handshake', 'handshake:error:protocol',
  'handshake:error:auth', 'handshake:error:other', 'unknown',
];

export interface Runtime {
  name: 'node' | 'python' | string;
  version: string;
  /** zeromq binding and libzmq versions, e.g. "zeromq.js 6.8.0", "4.3.5". */
  binding: string;
  libzmq: string;
  /** False when libzmq lacks ZMQ_DISCONNECT_MSG (no draft API): peers are attributed from events only. */
  disconnectMsg: boolean;
}

export interface SocketOptions {
  heartbeatIvl?: number;
  heartbeatTtl?: number;
  heartbeatTimeout?: number;
  /** Whether the *app* set ZMQ_DISCONNECT_MSG (the agent's private token does not count). */
  disconnectMsg: boolean;
  linger?: number;
  sndhwm?: number;
  rcvhwm?: number;
  /**
   * Set when the app set ZMQ_ROUTER_HANDOVER to a non-zero value. The option is write-only in libzmq,
   * so an agent reports only what it saw the app set; absent = not set or unknown.
   */
  routerHandover?: boolean;
  /**
   * SUB sockets: how many prefixes the app has subscribed to (and not unsubscribed), as the agent saw
   * its calls. 0: a SUB that receives nothing (zguide's forgotten subscribe). Absent: not a SUB, or unknown.
   */
  subscriptions?: number;
}

export interface CreationSite {
  file: string;
  line: number;
  column?: number;
}
