/**
 * The extension's recordings (issue 16, docs/RECORDING.md): one tap on the live store that feeds the
 * always-on ring (the live graph's timeline) and, while the user records, a .zmqrec file. The
 * collector's frames reach both through one frame tap, so telemetry is copied as it arrived, never
 * serialised again. Pure (no vscode): recordings.vscode.ts adds the status bar and the collector's
 * restarts; the integration test drives this very class on a real collector.
 */
import type { FrameTap } from '../collector/collector';
import type { TopologyStore } from '../model/store';
import type { TelemetryMsg } from '../protocol/types';
import { Recorder, tapStore, type InputSink, type RecordingHeader, type StoreTap } from '../recording';
import { InputRing } from '../recording/ring';
import type { CollectorStatus, KernelPeer } from '../shared/snapshot';

export interface RecordingsOptions {
  /** Minutes the ring keeps (0: no ring). */
  ringMinutes: number;
  storeOptions: RecordingHeader['store'] & { retryStorm: { count: number; windowMs: number } };
  /** What writes the files, e.g. "zmq-topology vscode 0.1.0". */
  producer: string;
  /** The ring's block timer (default true; tests cut by hand). */
  ringTimer?: boolean;
  /** The ring's store copies this far apart (default: see InputRing). */
  ringCheckpointEveryMs?: number;
  now?: () => number;
}

export interface ActiveRecording {
  path: string;
  bytes: number;
  records: number;
  startedAt: number;
}

export class Recordings implements InputSink {
  private store: TopologyStore | undefined;
  private tap: StoreTap | undefined;
  private setFrameTap: ((tap: FrameTap | undefined) => void) | undefined;
  private ringValue: InputRing | undefined;
  private recorder: Recorder | undefined;
  private recordingStartedAt = 0;
  private readonly listeners = new Set<() => void>();

  constructor(private options: RecordingsOptions) {}

  /**
   * Taps `store` (a fresh ring over it); `setFrameTap` installs the collector's frame tap. A recording
   * of the previous store is stopped (its file ends there): the new store starts from nothing.
   */
  attach(store: TopologyStore, setFrameTap: (tap: FrameTap | undefined) => void): void {
    this.unhook();
    if (this.recorder) void this.stopRecording('the collector restarted with a new model');
    this.store = store;
    this.setFrameTap = setFrameTap;
    this.tap = tapStore(store, this);
    setFrameTap((key, frame, msg, at) => this.telemetryFrame(key, frame, msg, at));
    this.ringValue = this.options.ringMinutes > 0 ? this.newRing(store) : undefined;
    this.changed();
  }

  /** Unhooks from the store; a recording in progress is stopped (resolves when its file is complete). */
  async detach(reason = 'stopped'): Promise<void> {
    this.unhook();
    if (this.recorder) await this.stopRecording(reason);
    this.changed();
  }

  /** A new ring length applies at once (the ring starts afresh; 0 turns it off). */
  setRingMinutes(minutes: number): void {
    if (minutes === this.options.ringMinutes) return;
    this.options = { ...this.options, ringMinutes: minutes };
    this.ringValue?.dispose();
    this.ringValue = this.store && minutes > 0 ? this.newRing(this.store) : undefined;
    this.changed();
  }

  get ring(): InputRing | undefined {
    return this.ringValue;
  }

  get ringMinutes(): number {
    return this.options.ringMinutes;
  }

  get recording(): ActiveRecording | undefined {
    const r = this.recorder;
    return r?.active ? { path: r.path, bytes: r.bytesWritten, records: r.records, startedAt: this.recordingStartedAt } : undefined;
  }

  /** Status bar and commands re-read the state. */
  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /**
   * Starts writing `file`; throws a clear error when it cannot (already recording, no store, the file).
   * `onStopped` hears a recording that stopped by itself (size cap, a write error).
   */
  startRecording(file: string, maxBytes: number | undefined, onStopped: (reason: string) => void): void {
    if (this.recorder?.active) throw new Error(`already recording to ${this.recorder.path}`);
    if (!this.store) throw new Error('the collector has no model to record');
    const now = this.options.now ?? (() => Date.now());
    this.recorder = new Recorder({
      path: file, producer: this.options.producer, store: this.options.storeOptions, now, ...(maxBytes ? { maxBytes } : {}),
      // What the ring holds goes first, so the file shows the processes that were already running.
      ...(this.ringValue ? { preamble: this.ringValue.blocks() } : {}),
      onStopped: (reason) => {
        this.changed();
        onStopped(reason);
      },
    });
    this.recordingStartedAt = now();
    this.changed();
  }

  /** Stops the recording (End record written); resolves with what was written. */
  async stopRecording(reason = 'stopped'): Promise<{ path: string; bytes: number; records: number } | undefined> {
    const r = this.recorder;
    if (!r) return undefined;
    this.recorder = undefined;
    await r.stop(reason);
    this.changed();
    return { path: r.path, bytes: r.bytesWritten, records: r.records };
  }

  /** Writes the ring (its window and what built the picture before it) to `file`. */
  async saveRing(file: string): Promise<{ bytes: number; startAt: number; endAt: number; preludeDropped: number }> {
    if (!this.ringValue) throw new Error('the live ring is off (zmqTopology.recording.ringMinutes is 0)');
    return this.ringValue.saveTo(file, this.options.producer);
  }

  dispose(): Promise<void> {
    this.listeners.clear();
    return this.detach();
  }

  // ─── InputSink: one tap feeds the ring and the file ──────────────────────────────────────────────

  telemetryFrame(agentKey: string, frame: Buffer, msg: TelemetryMsg, receivedAt: number): void {
    this.ringValue?.telemetryFrame(agentKey, frame, msg, receivedAt);
    this.recorder?.telemetryFrame(agentKey, frame, msg, receivedAt);
  }

  telemetry(agentKey: string, msg: TelemetryMsg, receivedAt: number): void {
    this.ringValue?.telemetry(agentKey, msg, receivedAt);
    this.recorder?.telemetry(agentKey, msg, receivedAt);
  }

  agentGone(agentKey: string, reason: string, at: number): void {
    this.ringValue?.agentGone(agentKey, reason, at);
    this.recorder?.agentGone(agentKey, reason, at);
  }

  malformed(agentKey: string | undefined, reason: string, detail: string): void {
    this.ringValue?.malformed(agentKey, reason, detail);
    this.recorder?.malformed(agentKey, reason, detail);
  }

  collectorStatus(status: CollectorStatus): void {
    this.ringValue?.collectorStatus(status);
    this.recorder?.collectorStatus(status);
  }

  clearExited(): void {
    this.ringValue?.clearExited();
    this.recorder?.clearExited();
  }

  kernelPeers(found: ReadonlyMap<string, KernelPeer[]>): void {
    this.ringValue?.kernelPeers(found);
    this.recorder?.kernelPeers(found);
  }

  private unhook(): void {
    this.setFrameTap?.(undefined);
    this.setFrameTap = undefined;
    this.tap?.dispose();
    this.tap = undefined;
    this.ringValue?.dispose();
    this.ringValue = undefined;
    this.store = undefined;
  }

  private newRing(store: TopologyStore): InputRing {
    return new InputRing(store, {
      windowMs: this.options.ringMinutes * 60_000, storeOptions: this.options.storeOptions,
      ...(this.options.now ? { now: this.options.now } : {}), timer: this.options.ringTimer ?? true,
      ...(this.options.ringCheckpointEveryMs ? { checkpointEveryMs: this.options.ringCheckpointEveryMs } : {}),
    });
  }

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }
}

/** "812 KiB", "3.4 MiB": a recording's size for the status bar. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KiB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}
