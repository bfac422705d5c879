/**
 * Finds every copy of zeromq the app loads and patches it once: the exported socket classes are
 * replaced by constructors that build the very same object (same prototype, so `instanceof`, name
 * and statics are unchanged) and hand it to the agent. zeromq.js's v5-compat layer builds its
 * sockets from these exports at call time, and ESM imports of zeromq go through Module._load too.
 */
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import type { Agent, ZmqCopy } from './agent';
import type { NativeExports, SocketClass, ZmqDealer, ZmqModule, ZmqSocket } from './zmq';

const SOCKET_CLASSES = ['Pair', 'Publisher', 'Subscriber', 'Request', 'Reply', 'Dealer', 'Router', 'Pull', 'Push', 'XPublisher', 'XSubscriber', 'Stream'];
const DRAFT_CLASSES = ['Server', 'Client', 'Radio', 'Dish', 'Gather', 'Scatter', 'Datagram'];

/** Requests that mean "the app loaded zeromq" (bare names, or resolved files for ESM imports). */
const ZEROMQ_REQUEST = /^zeromq(?:\/v5-compat|\/draft)?(?:\.js)?$|[\\/]zeromq[\\/](?:lib[\\/](?:index|compat|draft)|v5-compat|draft)\.js$/;

interface ModuleInternals {
  _load(request: string, parent: unknown, isMain: boolean): unknown;
  _resolveFilename(request: string, parent: unknown, isMain: boolean): string;
}

const patchedRoots = new Set<string>();

/** The zeromq package folder a resolved file belongs to. */
function packageRoot(file: string): string | undefined {
  let dir = path.dirname(file);
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if ((JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'zeromq') return dir;
      } catch {
        // Not a readable manifest: keep looking upwards.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function replaceClass(exportsObject: Record<string, unknown>, name: string, agent: Agent, copy: ZmqCopy): void {
  const Base = exportsObject[name] as SocketClass | undefined;
  if (typeof Base !== 'function') return;
  agent.instrumentClass(Base.prototype, copy);
  const Patched = function (this: unknown, ...args: unknown[]): ZmqSocket {
    if (new.target === undefined) throw new TypeError(`Class constructor ${Base.name} cannot be invoked without 'new'`);
    const socket = Reflect.construct(Base, args, new.target) as ZmqSocket;
    agent.adopt(socket);
    return socket;
  };
  Object.defineProperty(Patched, 'name', { value: Base.name });
  Object.defineProperty(Patched, 'length', { value: Base.length });
  Object.setPrototypeOf(Patched, Base);
  // The same prototype object: instances are indistinguishable from unpatched ones.
  Patched.prototype = Base.prototype;
  exportsObject[name] = Patched;
}

function patchProxy(native: NativeExports, agent: Agent): void {
  const Base = native.Proxy;
  // A Proxy moves messages natively, past the agent: no token on its sockets, the views say why they
  // show no traffic, and its run() is an app operation in flight.
  native.Proxy = class Proxy extends Base {
    constructor(frontEnd: ZmqSocket, backEnd: ZmqSocket) {
      super(frontEnd, backEnd);
      agent.proxied(frontEnd);
      agent.proxied(backEnd);
    }

    override run(): Promise<void> {
      return agent.track(super.run());
    }
  };
}

/** Patches the copy of zeromq in `root` unless already done. */
export function patchCopy(root: string, agent: Agent): void {
  if (patchedRoots.has(root)) return;
  patchedRoots.add(root);
  const load = Module.createRequire(path.join(root, 'package.json'));
  const zmq = load('./lib/index.js') as ZmqModule;
  const exportsObject = zmq as unknown as Record<string, unknown>;
  const Dealer = exportsObject.Dealer as new (options?: object) => ZmqDealer;
  let bindingVersion = 'unknown';
  try {
    bindingVersion = String((JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: unknown }).version);
  } catch {
    // Reported as unknown.
  }
  const copy: ZmqCopy = { zmq, Dealer, bindingVersion };
  for (const name of SOCKET_CLASSES) replaceClass(exportsObject, name, agent, copy);
  // The draft classes live in their own module (zeromq/draft re-exports it); loading it directly
  // avoids the warning zeromq/draft prints.
  const draft = load('./lib/draft.js') as Record<string, unknown>;
  for (const name of DRAFT_CLASSES) replaceClass(draft, name, agent, copy);
  patchProxy(load('./lib/native.js') as NativeExports, agent);
  agent.addCopy(copy);
}

/** Patches copies of zeromq that were loaded before the agent started. */
export function patchLoaded(agent: Agent): void {
  for (const file of Object.keys(require.cache)) {
    if (/[\\/]zeromq[\\/]lib[\\/]index\.js$/.test(file)) {
      const root = packageRoot(file);
      if (root) patchCopy(root, agent);
    }
  }
}

/** From now on every load of zeromq is patched before the app gets it. */
export function hookLoads(agent: Agent): void {
  const internals = Module as unknown as ModuleInternals;
  const load = internals._load;
  internals._load = function _load(this: unknown, request: string, parent: unknown, isMain: boolean): unknown {
    const result = load.call(this, request, parent, isMain);
    if (typeof request === 'string' && ZEROMQ_REQUEST.test(request)) {
      try {
        const root = packageRoot(internals._resolveFilename(request, parent, false));
        if (root) patchCopy(root, agent);
      } catch {
        // An app whose zeromq the agent cannot patch still runs, uninstrumented.
      }
    }
    return result;
  };
}
