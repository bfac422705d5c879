/**
 * The running agentless probes, kept in step with the `zmqTopology.probes` setting (the one source of
 * truth: the commands edit it, a settings change starts and stops probes to match). Each probe's
 * telemetry goes into the current store as agent `probe:<id>`; when the store is replaced (collector
 * restart) the probes start over so the new store gets their hello. State changes worth knowing
 * (retrying, disconnected, refused) go to the Output channel.
 *
 * zeromq is loaded by src/collector/zmq.ts (the one loader, which says why when it cannot); the probe
 * module is required only after that succeeded, so a broken binary never breaks activation.
 */
import * as vscode from 'vscode';
import { loadZeromq } from '../collector/zmq';
import type { ProbeManager } from '../probe/probeManager';
import type { TelemetryMsg } from '../protocol/types';
import type { CollectorControl } from './collectorControl.vscode';
import type { Log } from './log.vscode';
import { probeStateMessages, probeSyncPlan } from './probes';
import { readProbeSettings, SECTION, SETTINGS, type ProbeSetting } from './settings';
import { showError } from './log.vscode';

/** What the probes need of the extension: the collector (whose store they feed) and the log. */
export interface ProbeServiceDeps {
  control: CollectorControl;
  log: Log;
}

type ProbeModule = typeof import('../probe/probeManager');

/** How often probe states are looked at for the Output channel. */
const STATE_POLL_MS = 1000;

export class ProbeService implements vscode.Disposable {
  private manager: ProbeManager | undefined;
  /** Running probe id → its setting. */
  private readonly running = new Map<string, ProbeSetting>();
  private states = new Map<string, string>();
  private poll: NodeJS.Timeout | undefined;
  /** Serialises syncs: settings can change while a removal is still closing sockets. */
  private queue: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(private readonly ctx: ProbeServiceDeps, private readonly agentVersion: string) {}

  /** The setting as it is now (invalid entries reported once per sync). */
  wanted(): ProbeSetting[] {
    const { probes, warnings } = readProbeSettings(vscode.workspace.getConfiguration(SECTION).get(SETTINGS.probes));
    for (const w of warnings) this.ctx.log.info(`Setting ignored: ${w}`);
    return probes;
  }

  list(): { id: string; setting: ProbeSetting; state?: string; lastError?: string }[] {
    const statuses = new Map((this.manager?.list() ?? []).map((s) => [s.id, s]));
    return [...this.running].map(([id, setting]) => ({ id, setting, state: statuses.get(id)?.state, lastError: statuses.get(id)?.lastError }));
  }

  /** Starts and stops probes so they match the setting. */
  sync(): Promise<void> {
    return this.enqueue(async () => {
      const wanted = vscode.workspace.isTrusted ? this.wanted() : [];
      const plan = probeSyncPlan(wanted, [...this.running].map(([id, s]) => ({ id, endpoint: s.endpoint, remoteType: s.socketType })));
      for (const id of plan.remove) await this.stop(id);
      if (plan.add.length === 0) return;
      const manager = this.ensureManager();
      if (!manager) return;
      for (const setting of plan.add) {
        try {
          const id = manager.add({ endpoint: setting.endpoint, socketType: setting.socketType });
          this.running.set(id, setting);
          this.ctx.log.info(`Probe ${setting.endpoint} started (remote ${setting.socketType}, node "probe ${setting.endpoint}")`);
        } catch (err) {
          await showError(this.ctx.log, `ZeroMQ Topology: cannot probe ${setting.endpoint}`, err);
        }
      }
      this.ensurePolling();
    });
  }

  /** The store was replaced: start every probe again so the new store hears its hello. */
  restartAll(): Promise<void> {
    return this.enqueue(async () => {
      for (const id of [...this.running.keys()]) await this.stop(id, true);
    }).then(() => this.sync());
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(() => (this.disposed ? undefined : task()));
    this.queue = run.catch((err) => this.ctx.log.error('Probe update failed', err));
    return this.queue;
  }

  private async stop(id: string, quiet = false): Promise<void> {
    const setting = this.running.get(id);
    this.running.delete(id);
    this.states.delete(id);
    await this.manager?.remove(id);
    if (setting && !quiet) this.ctx.log.info(`Probe ${setting.endpoint} removed`);
    if (this.running.size === 0) this.stopPolling();
  }

  private ensureManager(): ProbeManager | undefined {
    if (this.manager) return this.manager;
    try {
      loadZeromq();
    } catch (err) {
      void showError(this.ctx.log, 'ZeroMQ Topology: probes need zeromq, which did not load', err);
      return undefined;
    }
    // Required here, not imported at the top: this module loads zeromq itself (see the header).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const probe = require('../probe/probeManager') as ProbeModule;
    this.manager = new probe.ProbeManager(
      // After dispose the store may be gone too (deactivation disposes the collector first): nothing is fed then.
      (agentKey: string, msg: TelemetryMsg) => {
        if (!this.disposed) this.ctx.control.store.apply(agentKey, msg, Date.now());
      },
      { agentVersion: this.agentVersion },
    );
    return this.manager;
  }

  private ensurePolling(): void {
    if (this.poll || this.running.size === 0) return;
    this.poll = setInterval(() => this.reportStates(), STATE_POLL_MS);
  }

  private stopPolling(): void {
    clearInterval(this.poll);
    this.poll = undefined;
  }

  private reportStates(): void {
    if (!this.manager) return;
    const { lines, states } = probeStateMessages(this.states, this.manager.list());
    this.states = states;
    for (const line of lines) this.ctx.log.info(line);
  }

  dispose(): void {
    this.disposed = true;
    this.stopPolling();
    const manager = this.manager;
    this.manager = undefined;
    this.running.clear();
    // Sockets closed; errors are logged, never thrown at deactivation.
    manager?.dispose().catch((err) => this.ctx.log.error('Closing the probes failed', err));
  }
}

