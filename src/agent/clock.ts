/**
 * The host's monotonic clock (CLOCK_MONOTONIC on Linux) in milliseconds with a microsecond fraction:
 * the clock of first-message stamps (protocol `mono`). Every process on the host reads the same one,
 * and a step of the wall clock does not move it. `performance.timeOrigin + performance.now()` is the
 * wall clock when this process started plus the monotonic time since: once the wall clock is stepped
 * (a resume from suspend, an NTP step, a VM restored), it disagrees with every process started after,
 * by the step, and first messages no longer pair across them (docs/ARCHITECTURE.md invariant 8).
 */
import { performance } from 'node:perf_hooks';

/** performance.now()'s zero on the monotonic clock (process.hrtime reads it; performance.now() counts from it). */
const ORIGIN = measureOrigin();

function measureOrigin(): number {
  let best = Infinity;
  let origin = 0;
  // The tightest of a few brackets: a first call can take a millisecond (lazy binding setup).
  for (let i = 0; i < 8; i++) {
    const before = performance.now();
    const mono = Number(process.hrtime.bigint()) / 1e6;
    const after = performance.now();
    if (after - before < best) {
      best = after - before;
      origin = mono - (before + after) / 2;
    }
  }
  return origin;
}

/** A performance.now() reading (now, by default) on the monotonic clock, rounded to the microsecond. */
export function monotonicMs(at = performance.now()): number {
  return Math.round((ORIGIN + at) * 1000) / 1000;
}
