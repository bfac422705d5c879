/**
 * A deep copy of a replay store, for seek checkpoints (docs/RECORDING.md "Seeking"). TopologyStore has
 * no public copy or serialise, so this copies the object graph generically: shared references stay
 * shared, prototypes are kept (class instances stay instances), frozen objects (the store's shared
 * empty arrays) and functions (the replay clock) are shared, not copied. Only for stores that were
 * never started and have no listeners (no timers to copy). When the store gains a public clone(), use
 * that instead; test/unit/recording-replay.test.ts proves a copy continues exactly like the original.
 */
import type { TopologyStore } from '../model/store';

export function cloneStore(store: TopologyStore): TopologyStore {
  return deepCopy(store, new Map()) as TopologyStore;
}

function deepCopy(value: unknown, seen: Map<object, unknown>): unknown {
  if (typeof value !== 'object' || value === null) return value; // primitives and functions (shared)
  const done = seen.get(value);
  if (done !== undefined) return done;
  if (Object.isFrozen(value)) return value;
  if (value instanceof Map) {
    const copy = new Map();
    seen.set(value, copy);
    for (const [k, v] of value) copy.set(deepCopy(k, seen), deepCopy(v, seen));
    return copy;
  }
  if (value instanceof Set) {
    const copy = new Set();
    seen.set(value, copy);
    for (const v of value) copy.add(deepCopy(v, seen));
    return copy;
  }
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array(value.length);
    seen.set(value, copy);
    for (let i = 0; i < value.length; i++) copy[i] = deepCopy(value[i], seen);
    return copy;
  }
  if (ArrayBuffer.isView(value)) {
    const copy = (value as unknown as { slice(): unknown }).slice();
    seen.set(value, copy);
    return copy;
  }
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof RegExp) return value;
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto !== Object.prototype && proto !== null && isTimer(value)) {
    throw new Error('cannot copy a store with timers running (a replay store is never started)');
  }
  const copy = Object.create(proto) as Record<string | symbol, unknown>;
  seen.set(value, copy);
  for (const key of Reflect.ownKeys(value)) {
    const desc = Object.getOwnPropertyDescriptor(value, key)!;
    if ('value' in desc) desc.value = deepCopy(desc.value, seen);
    Object.defineProperty(copy, key, desc);
  }
  return copy;
}

function isTimer(value: object): boolean {
  return typeof (value as { hasRef?: unknown }).hasRef === 'function' && typeof (value as { refresh?: unknown }).refresh === 'function';
}
