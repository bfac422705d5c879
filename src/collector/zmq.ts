/**
 * The one place the collector (and the extension host) loads zeromq. It is required at run time, never
 * bundled (webpack.config.js keeps it external): webpack breaks zeromq's native loader (docs/ARCHITECTURE.md, invariant 5).
 */
import type * as Zmq from 'zeromq';

export type ZeroMQ = typeof Zmq;

/** ZMQ_DISCONNECT_MSG (draft): a ROUTER receives [routing id, text] when that peer's connection goes. */
export const ZMQ_DISCONNECT_MSG = 111;

let loaded: ZeroMQ | undefined;

/** zeromq, or an Error that says why it could not be loaded and what to check. */
export function loadZeromq(): ZeroMQ {
  if (loaded) return loaded;
  try {
    // A plain require inside the try: webpack keeps zeromq external (a real Node require at this
    // point), so a missing or broken native module surfaces here, where we can say why.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('zeromq') as ZeroMQ;
    return loaded;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(
      `Could not load the zeromq native module (zeromq 6.8.0 with its prebuilt binary for ${process.platform}-${process.arch}, ` +
      `Node ABI ${process.versions.modules}): ${why}. The collector cannot run without it; reinstall the extension or run ` +
      '`npm install zeromq@6.8.0` next to the CLI.',
      { cause: err },
    );
  }
}

/** The protected string-option setter of a zeromq socket, reached without giving up types elsewhere. */
interface StringOptionAccess {
  setStringOption(option: number, value: string | Buffer | null): void;
}

export function setStringOption(socket: Zmq.Socket, option: number, value: string | Buffer): void {
  (socket as unknown as StringOptionAccess).setStringOption(option, value);
}
