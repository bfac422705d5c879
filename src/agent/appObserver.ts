/**
 * The `events` object the app sees on an instrumented socket. The agent owns the socket's only
 * monitor (libzmq allows one) and re-serves every event here. The object inherits from zeromq.js's
 * own Observer.prototype and only supplies `receive`, `close` and `closed`: `for await`, `on`/`off`
 * and the emitter-mode switch are zeromq.js's own code, so they behave exactly as natively.
 */
import type { ZmqEvent, ZmqModule, ZmqObserver } from './zmq';

/**
 * libzmq's monitor pipe holds about 2000 events (send + receive high-water marks of 1000) before it
 * drops new ones; an app that does not read its events loses them the same way here.
 */
export const APP_EVENT_LIMIT = 2000;

export interface AppObserverHandle {
  readonly observer: ZmqObserver;
  /** An event from the agent's monitor, for the app. */
  push(event: ZmqEvent): void;
}

function errnoError(message: string, code: string, errno: number): Error {
  return Object.assign(new Error(message), { errno, code });
}

/**
 * `onPending(+1 / -1)` tracks whether the app waits on events: a pending native receive keeps the
 * process alive, and the agent's exit detection must see that the app still waits.
 */
export function createAppObserver(zmq: ZmqModule, onPending: (delta: 1 | -1) => void): AppObserverHandle {
  const queue: ZmqEvent[] = [];
  let waiter: ((event: ZmqEvent | undefined) => void) | undefined;
  let closed = false;
  const observer = Object.create(zmq.Observer.prototype) as ZmqObserver;

  const take = (event: ZmqEvent): ZmqEvent => {
    // Natively the observer closes itself when it reads the monitor's last event.
    if (event.type === 'end') closed = true;
    return event;
  };

  Object.defineProperties(observer, {
    closed: { configurable: true, get: () => closed },
    close: {
      configurable: true,
      writable: true,
      value: function close(): void {
        if (closed) return;
        closed = true;
        queue.length = 0;
        // Natively a pending receive resolves with undefined when the observer closes.
        const pending = waiter;
        waiter = undefined;
        pending?.(undefined);
      },
    },
    // Configurable: zeromq.js's emitter mode redefines it as a throwing getter.
    receive: {
      configurable: true,
      writable: true,
      value: function receive(): Promise<ZmqEvent> {
        if (closed) throw errnoError('Socket is closed', 'EBADF', 9);
        if (waiter !== undefined) {
          throw errnoError('Observer is busy reading; only one receive operation may be in progress at any time', 'EBUSY', 16);
        }
        const next = queue.shift();
        if (next !== undefined) return Promise.resolve(take(next));
        onPending(1);
        return new Promise<ZmqEvent>((resolve) => {
          waiter = (event) => {
            onPending(-1);
            resolve(event as ZmqEvent);
          };
        });
      },
    },
  });

  return {
    observer,
    push(event: ZmqEvent): void {
      if (closed) return;
      if (waiter !== undefined) {
        const deliver = waiter;
        waiter = undefined;
        deliver(take(event));
      } else if (queue.length < APP_EVENT_LIMIT) {
        queue.push(event);
      }
    },
  };
}
