/**
 * The running collector and the store it feeds, as the commands and views see them: start, stop,
 * restart, the current endpoint and phase, and the store's diffs re-emitted so the views do not care
 * when the store is replaced (a restart applies new thresholds by starting from a fresh store; the
 * agents re-send hello + snapshot when they reconnect).
 *
 * zeromq is loaded only by src/collector/zmq.ts (the collector's loader, Node's own require, never
 * bundled), when the collector starts: a binary that does not load leaves the rest of the extension
 * working, and the user is told why.
 */
import * as vscode from 'vscode';
import { Collector, isLoopbackAddress, type FrameTap } from '../collector/collector';
import { loadZeromq } from '../collector/zmq';
import { KernelPeerWatcher } from '../collector/kernelPeers';
import { TopologyStore } from '../model/store';
import type { CollectorPhase, TopologyDiff, TopologySnapshot } from '../shared/snapshot';
import type { CollectorKeySource, CollectorSecurity } from './collectorKeys.vscode';
import { describeError, type Log } from './log.vscode';
import type { Settings } from './settings';

/**
 * How long a taken collector port is tried again before falling back to a free one: after a window
 * reload the old extension host still holds it for a moment, and the agents know only that port.
 */
const BUSY_PORT_RETRY_MS = 5000;

export class ZeroMqLoadError extends Error {
  constructor(readonly reason: unknown) {
    super(describeError(reason));
  }
}

export class CollectorControl implements vscode.Disposable {
  private storeValue: TopologyStore;
  private storeSubscription: { dispose(): void };
  /** Names the processes behind the store's peers without an agent (this host's kernel table). */
  private kernelPeers: KernelPeerWatcher | undefined;
  private collector: Collector | undefined;
  private phaseValue: CollectorPhase = 'stopped';
  private endpointValue: string | undefined;
  private errorValue: string | undefined;
  /** Refusals are logged at most this often: a misconfigured agent may retry many times a second. */
  private lastRefusalLog = 0;
  /** Serialises start/stop/restart so quick clicks cannot interleave them. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Given to every collector this starts (the recordings' tap on the frames it decodes). */
  private frameTapValue: FrameTap | undefined;

  private readonly changeEmitter = new vscode.EventEmitter<void>();
  private readonly diffEmitter = new vscode.EventEmitter<TopologyDiff>();
  private readonly resetEmitter = new vscode.EventEmitter<void>();
  /** Phase, endpoint or error changed. */
  readonly onDidChangeState = this.changeEmitter.event;
  /** The store's throttled diffs. */
  readonly onDiff = this.diffEmitter.event;
  /** The store was replaced: take a fresh snapshot. */
  readonly onDidReset = this.resetEmitter.event;

  /** `keys` supplies CURVE material when the address is not loopback; without it such a start fails. */
  constructor(private readonly log: Log, private settings: Settings, private readonly keys?: CollectorKeySource) {
    this.storeValue = this.createStore();
    this.storeSubscription = this.storeValue.onDiff((d) => this.diffEmitter.fire(d));
  }

  get store(): TopologyStore {
    return this.storeValue;
  }
  get phase(): CollectorPhase {
    return this.phaseValue;
  }
  get endpoint(): string | undefined {
    return this.endpointValue;
  }
  get lastError(): string | undefined {
    return this.errorValue;
  }
  /** The running collector's CURVE public key, which agents need as ZMQ_TOPOLOGY_SERVER_KEY; undefined on plain loopback. */
  get serverKey(): string | undefined {
    return this.collector?.agentEnv.ZMQ_TOPOLOGY_SERVER_KEY;
  }
  get currentSettings(): Settings {
    return this.settings;
  }

  snapshot(): TopologySnapshot {
    return this.storeValue.snapshot();
  }

  /** New settings take effect at the next start (address/port) or restart (store options). */
  updateSettings(settings: Settings): void {
    this.settings = settings;
  }

  start(): Promise<void> {
    return this.enqueue(() => this.doStart());
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.doStop());
  }

  /** Stops, replaces the store (so threshold and history settings apply), starts again. */
  restart(): Promise<void> {
    return this.enqueue(async () => {
      await this.doStop();
      this.replaceStore();
      await this.doStart();
    });
  }

  clearExited(): void {
    this.storeValue.clearExited();
  }

  /** The tap on the running collector's decoded frames, kept across restarts (host/recordings.ts). */
  setFrameTap(tap: FrameTap | undefined): void {
    this.frameTapValue = tap;
    if (this.collector) this.collector.frameTap = tap;
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private createStore(): TopologyStore {
    const store = new TopologyStore({ ...this.settings.store });
    store.start();
    this.kernelPeers?.dispose();
    this.kernelPeers = new KernelPeerWatcher(store);
    this.kernelPeers.start();
    return store;
  }

  private replaceStore(): void {
    this.storeSubscription.dispose();
    this.storeValue.dispose();
    this.storeValue = this.createStore();
    this.storeSubscription = this.storeValue.onDiff((d) => this.diffEmitter.fire(d));
    this.resetEmitter.fire();
  }

  private setPhase(phase: CollectorPhase, endpoint: string | undefined, error: string | undefined): void {
    this.phaseValue = phase;
    this.endpointValue = endpoint;
    this.errorValue = error;
    this.changeEmitter.fire();
  }

  /** Throws ZeroMqLoadError or the collector's own error; callers tell the user. */
  private async doStart(): Promise<void> {
    if (this.collector) return;
    const { address, port } = this.settings;
    this.setPhase('starting', undefined, undefined);
    try {
      loadZeromq();
    } catch (err) {
      const loadError = new ZeroMqLoadError(err);
      this.setPhase('failed', undefined, loadError.message);
      throw loadError;
    }
    let security: CollectorSecurity | undefined;
    try {
      // Off loopback the collector requires CURVE (docs/ARCHITECTURE.md invariant 4): keys from secret storage.
      security = !isLoopbackAddress(address) && this.keys ? await this.keys.security() : undefined;
    } catch (err) {
      this.setPhase('failed', undefined, describeError(err));
      throw err;
    }
    const collector = new Collector(this.storeValue, {
      address, port, fallbackToFreePort: true, busyPortRetryMs: BUSY_PORT_RETRY_MS, curve: security?.curve, allowedClientKeys: security?.allowedClientKeys,
    });
    collector.frameTap = this.frameTapValue;
    collector.on('refused', (reason: string, peer?: string) => {
      if (Date.now() - this.lastRefusalLog < 10_000) return;
      this.lastRefusalLog = Date.now();
      this.log.info(`Collector refused ${peer ?? 'a connection'}: ${reason} (further refusals are counted in the status, logged at most every 10 s)`);
    });
    collector.on('error', (err: Error) => this.log.error('Collector error', err));
    collector.on('fallback', (port: number, endpoint: string) => {
      const local = isLoopbackAddress(address);
      this.log.info(`Port ${port} stayed taken for ${BUSY_PORT_RETRY_MS / 1000} s (another collector or app?), so the collector uses ${endpoint}. ` +
        (local ? `Agents given port ${port} find it within a few seconds of losing their collector (they read the note it left for them); ` +
          'processes started from now on get the new endpoint.' : 'Agents must be given this endpoint.'));
      const message = `ZeroMQ Topology: port ${port} is taken, so the collector listens on ${endpoint}. ` +
        (local ? `Instrumented processes that report to port ${port} move here once nothing answers there; if something still answers ` +
          '(another app, or the extension host of a window that closed without saying so, kept by a remote server for a while), ' +
          'restart them with the new agent environment.' : 'Give instrumented processes the new agent environment.');
      void vscode.window.showWarningMessage(message, 'Copy Agent Environment', 'Show Output').then((choice) => {
        if (choice === 'Copy Agent Environment') void vscode.commands.executeCommand('zmqTopology.copyAgentEnv');
        else if (choice === 'Show Output') this.log.show();
      });
    });
    collector.on('agent', (agentKey: string, what: 'joined' | 'gone', reason?: string) => {
      this.log.info(`Agent ${what}: ${agentKey}${reason ? ` (${reason})` : ''}`);
    });
    try {
      const endpoint = await collector.start();
      this.collector = collector;
      this.log.info(`Collector listening on ${endpoint}${security ? ` with CURVE (${security.allowedClientKeys.length > 0
        ? `${security.allowedClientKeys.length} allowed client key(s)` : 'any client that knows the server key'}); agents need ZMQ_TOPOLOGY_SERVER_KEY=${security.curve.publicKey}` : ''}`);
      this.setPhase('running', endpoint, undefined);
    } catch (err) {
      collector.removeAllListeners();
      await collector.stop().catch(() => undefined);
      this.setPhase('failed', undefined, describeError(err));
      throw err;
    }
  }

  private async doStop(): Promise<void> {
    const collector = this.collector;
    if (!collector) {
      if (this.phaseValue !== 'stopped') this.setPhase('stopped', undefined, undefined);
      return;
    }
    this.collector = undefined;
    try {
      await collector.stop();
      this.log.info(`Collector stopped (was ${this.endpointValue ?? 'unknown endpoint'})`);
    } finally {
      collector.removeAllListeners();
      this.setPhase('stopped', undefined, undefined);
    }
  }

  dispose(): void {
    const collector = this.collector;
    this.collector = undefined;
    if (collector) {
      collector.stop().catch((err) => this.log.error('Stopping the collector failed', err)).finally(() => collector.removeAllListeners());
    }
    this.storeSubscription.dispose();
    this.kernelPeers?.dispose();
    this.storeValue.dispose();
    this.changeEmitter.dispose();
    this.diffEmitter.dispose();
    this.resetEmitter.dispose();
  }
}
