/**
 * Typed views of the parts of zeromq.js v6 the agent touches. Only types are imported: at run time
 * the agent always uses the app's own copy of zeromq (docs/ARCHITECTURE.md invariant 5: never bundle or load a second one).
 */
import type * as Zmq from 'zeromq';

export type ZmqModule = typeof Zmq;
export type ZmqSocket = Zmq.Socket;
export type ZmqDealer = Zmq.Dealer;
export type ZmqEvent = Zmq.Event;
export type ZmqObserver = Zmq.Observer;
export type MessageLike = Zmq.MessageLike;

/** A socket class as the app sees it: `new Router(options)`. */
export type SocketClass = new (...args: unknown[]) => ZmqSocket;

/** The addon's export object (zeromq/lib/native): its `Proxy` property is writable. */
export interface NativeExports {
  Proxy: new (frontEnd: ZmqSocket, backEnd: ZmqSocket) => Zmq.Proxy;
  Observer: typeof Zmq.Observer;
}

/** Option ids (zmq.h) the agent reads or writes. */
export const OPT = {
  routingId: 5,
  subscribe: 6,
  unsubscribe: 7,
  linger: 17,
  sndhwm: 23,
  rcvhwm: 24,
  lastEndpoint: 32,
  routerHandover: 56,
  heartbeatIvl: 75,
  heartbeatTtl: 76,
  heartbeatTimeout: 77,
  disconnectMsg: 111,
} as const;

/** The raw option accessors zeromq.js declares `protected`; they are public at run time. */
interface RawOptions {
  getStringOption(option: number): string | null;
  setStringOption(option: number, value: string | Buffer | null): void;
  getInt32Option(option: number): number;
}

export function rawOptions(socket: ZmqSocket): RawOptions {
  return socket as unknown as RawOptions;
}

/** A socket's methods the agent wraps, as plain functions to call with the socket as `this`. */
export interface SocketMethods {
  send?: (this: ZmqSocket, ...args: unknown[]) => Promise<void>;
  receive?: (this: ZmqSocket) => Promise<Buffer[]>;
  bind: (this: ZmqSocket, address: string) => Promise<void>;
  unbind: (this: ZmqSocket, address: string) => Promise<void>;
  connect: (this: ZmqSocket, ...args: unknown[]) => void;
  disconnect: (this: ZmqSocket, address: string) => void;
  close: (this: ZmqSocket) => void;
  setStringOption: (this: ZmqSocket, option: number, value: string | Buffer | null) => void;
  setBoolOption: (this: ZmqSocket, option: number, value: boolean) => void;
}
