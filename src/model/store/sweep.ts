/** The liveness scheduler: the one sweep timer, and a sweep of its own for an edge due between sweeps. */
import type { TimelineEntry } from '../../shared/snapshot';
import { forgetChanges, scheduleNotify } from './changes';
import { judgeRoutingIdClashes } from './clashes';
import { addTimeline } from './graph';
import { edgeExited, edgeJudgedAt, edgeLivenessAge, edgeStateOfAge } from './liveness';
import { repairStuckPeers, resolveIfDirty } from './resolution';
import type { StoreState } from './state';

/** The shortest gap between two sweeps run for edges crossing a threshold between regular sweeps. */
const DUE_SWEEP_GAP_MS = 20;

/**
 * The one periodic job: liveness transitions onto the timelines, then a (throttled) notification.
 * An edge that crosses a threshold before the next sweep gets a sweep of its own at that moment, so
 * "late" and "dead" show when they are due, not up to one sweep interval later. Returns that moment
 * (Infinity: no edge is due), so a replay can run the sweeps the live timer would have run.
 */
export function sweep(st: StoreState, now = st.now()): number {
  resolveIfDirty(st); // the big ROUTERs' pending re-pairings (resolution.ts PAIR_AT_ONCE_MAX_PEERS)
  repairStuckPeers(st, now);
  judgeRoutingIdClashes(st);
  const { warnAfterMs, deadAfterMs } = st.options;
  let nextDue = Infinity;
  for (const edge of st.edges.values()) {
    // One age per edge per sweep, as of its agents' word (the due time below is on the collector's clock).
    const age = edgeLivenessAge(st, edge, edgeJudgedAt(st, edge, now));
    const state = edgeStateOfAge(st, edge, edgeExited(st, edge), age);
    if (age !== null && (state === 'connected' || state === 'late')) {
      // (connected → quiet is due at the warn threshold too)
      nextDue = Math.min(nextDue, now - age + (state === 'connected' ? warnAfterMs : deadAfterMs) + 1);
    }
    if (state === edge.sweptState) continue;
    const was = edge.sweptState;
    edge.sweptState = state;
    st.dirtyEdges.add(edge.id);
    // Going quiet is no event (a REQ between requests would fill its timeline); only heartbeats are late or dead.
    const entry = (event: TimelineEntry['event']) => addTimeline(st, edge, { at: now, event, ...(age === null ? {} : { detail: `heartbeat age ${age} ms` }) });
    if (state === 'late' || state === 'dead') st.urgentChange = true;
    if (state === 'late') entry('heartbeat-late');
    else if (state === 'dead') entry('heartbeat-dead');
    else if (state === 'connected' && (was === 'late' || was === 'dead')) entry('recovered');
  }
  scheduleDueSweep(st, now, nextDue);
  if (st.listeners.size > 0) scheduleNotify(st);
  else forgetChanges(st);
  return nextDue;
}

function scheduleDueSweep(st: StoreState, now: number, dueAt: number): void {
  clearTimeout(st.dueTimer);
  st.dueTimer = undefined;
  if (!st.sweepTimer || dueAt >= now + st.options.sweepIntervalMs) return;
  // Edges due one after another (heartbeats at many phases) cost at most one extra sweep per gap.
  st.dueTimer = setTimeout(() => timedSweep(st), Math.max(DUE_SWEEP_GAP_MS, dueAt - now));
  st.dueTimer.unref();
}

/**
 * A sweep run by the store's own timers. Timers run at least once an interval while the process runs:
 * a gap longer than that by STALL_MS means it stood still, and the telemetry of that time is queued
 * behind the timers (Node runs them before it polls for input), so the sweep would read every
 * heartbeat as old as the stall. Edges are judged as of before it until that telemetry is in (liveness.ts).
 */
export function timedSweep(st: StoreState): void {
  const now = st.now();
  const last = st.lastTimedSweepAt;
  if (last !== undefined && now - last > st.options.sweepIntervalMs + STALL_MS) {
    st.stall = { endedAt: now, ms: now - last, clearBy: now + STALL_CLEAR_MS };
  }
  st.lastTimedSweepAt = now;
  sweep(st, now);
}

/** A gap between timed sweeps this much longer than the interval is a stall of the process. */
const STALL_MS = 1000;
/** The longest edges are judged as of before a stall when no input written after it arrives (its agents are gone too). */
const STALL_CLEAR_MS = 10_000;
