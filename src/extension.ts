/**
 * Activation: wiring only. The Output channel, the collector and its store (started now), the
 * sidebar tree, the status bar, the graph panel (and its serializer), the commands, the settings, and
 * the ways to reach running nodes: debug launches (F5), instrumented terminals, agentless probes.
 * Every piece is a disposable on context.subscriptions.
 */
import * as vscode from 'vscode';
import { CollectorControl } from './host/collectorControl.vscode';
import { CollectorKeys } from './host/collectorKeys.vscode';
import { startCollector } from './commands/collectorCommands.vscode';
import { registerCommands } from './commands/registerCommands.vscode';
import type { CommandContext } from './commands/context.vscode';
import { Log } from './host/log.vscode';
import { openSocketSource } from './host/openSource.vscode';
import { changedParts, readSettings, SECTION, SETTINGS, type Settings } from './host/settings';
import { agentEnvText, extensionAgentPaths, shellKind } from './agent/environment';
import { GraphPanel, registerGraphSerializer, type GraphPanelDeps } from './views/graphPanel.vscode';
import { LiveUpdates } from './host/liveUpdates.vscode';
import { TopologyStatusBar } from './views/statusBar.vscode';
import { TopologyTreeProvider } from './views/topologyTree.vscode';
import { ViewRefresher } from './views/viewRefresher.vscode';
import { TopologyDebugConfigurationProvider } from './launch/debugLaunch.vscode';
import { DebugSessionLinks, showDebugSession } from './launch/debugSessions.vscode';
import { INSTRUMENTED_DEBUG_TYPES } from './launch/debugLaunch';
import { TerminalEnvironment } from './launch/instrumentedTerminals.vscode';
import { registerTerminalCommands } from './commands/terminalCommands.vscode';
import { registerProbeCommands } from './commands/probe.vscode';
import { ProbeService } from './host/probes.vscode';
import { RecordingsHost } from './host/recordings.vscode';
import { registerRecordingCommands } from './commands/recording.vscode';
import { RecordingEditorProvider } from './views/recordingEditor.vscode';
import { guarded } from './host/log.vscode';

function currentSettings(log: Log): Settings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const settings = readSettings((key) => config.get(key));
  for (const warning of settings.warnings) log.info(`Setting corrected: ${warning}`);
  return settings;
}

export function activate(context: vscode.ExtensionContext): void {
  const log = new Log();
  context.subscriptions.push(log);
  log.info(`ZeroMQ Topology ${String(context.extension.packageJSON.version)} activating`);

  const control = new CollectorControl(log, currentSettings(log), new CollectorKeys(context.secrets, log));
  const live = new LiveUpdates();
  // Recordings and the live ring tap the store before the collector starts, so they see every input.
  const recordings = new RecordingsHost(control, log, String(context.extension.packageJSON.version));
  context.subscriptions.push(control, live, recordings);

  const graph: GraphPanelDeps = {
    extensionUri: context.extensionUri,
    control,
    live,
    log,
    goToSource: (socketId) => openSocketSource(control.snapshot(), socketId),
    recordings: recordings.recordings,
  };
  const ctx: CommandContext = { extensionUri: context.extensionUri, extensionPath: context.extensionPath, control, live, log, graph };
  context.subscriptions.push(
    ...registerCommands(ctx),
    registerGraphSerializer(graph),
    { dispose: () => GraphPanel.disposeCurrent() },
    ...registerRecordingCommands(ctx, recordings),
    RecordingEditorProvider.register({ extensionUri: context.extensionUri, log, goToSource: graph.goToSource }),
  );

  const tree = new TopologyTreeProvider();
  const treeView = vscode.window.createTreeView('zmqTopology.topology', { treeDataProvider: tree, showCollapseAll: true });
  const status = new TopologyStatusBar();
  context.subscriptions.push(tree, treeView, status, new ViewRefresher(control, live, tree, treeView, status));

  // Reaching running nodes: F5 (launch.json), terminals, probes.
  const debugProvider = new TopologyDebugConfigurationProvider({
    collector: control,
    ...extensionAgentPaths(context.extensionPath),
    mode: () => vscode.workspace.getConfiguration(SECTION).get(SETTINGS.instrumentDebugSessions),
    trusted: () => vscode.workspace.isTrusted,
    inheritedEnv: process.env,
    log: (line) => log.info(line),
    warn: (message) => void vscode.window.showWarningMessage(message, 'Show Output').then((c) => (c === 'Show Output' ? log.show() : undefined)),
  });
  const sessions = new DebugSessionLinks(control, log);
  const terminals = new TerminalEnvironment(context.environmentVariableCollection, control, log, context.extensionPath);
  const probes = new ProbeService(ctx, String(context.extension.packageJSON.version));
  context.subscriptions.push(
    ...INSTRUMENTED_DEBUG_TYPES.map((type) => vscode.debug.registerDebugConfigurationProvider(type, debugProvider)),
    sessions,
    vscode.commands.registerCommand('zmqTopology.showDebugSession', guarded(log, 'Show Debug Session', (arg?: unknown) => showDebugSession(sessions, control, log, arg))),
    terminals,
    ...registerTerminalCommands(ctx, terminals),
    probes,
    ...registerProbeCommands(ctx, probes),
    control.onDidChangeState(() => terminals.update()),
    control.onDidReset(() => void probes.restartAll()),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      terminals.update();
      void probes.sync();
    }),
  );
  terminals.update();
  void probes.sync();

  // Where agents must report, in the log each time the collector (re)starts on an endpoint.
  context.subscriptions.push(control.onDidChangeState(() => {
    if (control.phase !== 'running' || !control.endpoint) return;
    const text = agentEnvText({
      endpoint: control.endpoint,
      extensionPath: context.extensionPath,
      heartbeats: control.currentSettings.heartbeats,
      serverKey: control.serverKey,
      shell: shellKind(vscode.env.shell),
    });
    log.info(`Instrument a process by starting it with this environment (or run "ZeroMQ: Copy Agent Environment"):\n${text.trimEnd()}`);
  }));

  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration((e) => {
    if (!e.affectsConfiguration(SECTION)) {
      if (e.affectsConfiguration('terminal.integrated.env')) terminals.update();
      return;
    }
    const before = control.currentSettings;
    const after = currentSettings(log);
    control.updateSettings(after);
    recordings.setRingMinutes(after.ringMinutes);
    GraphPanel.optionsChanged();
    terminals.update();
    if (e.affectsConfiguration(`${SECTION}.${SETTINGS.probes}`)) void probes.sync();
    const changed = changedParts(before, after);
    if (changed.agentEnv) log.info('Heartbeat patterns changed: processes started from now on get them; running ones keep theirs.');
    if (!changed.collector && !changed.store) return;
    const why = changed.collector ? 'the collector address or port' : 'the liveness thresholds, update rate or history length';
    log.info(`Settings changed (${why}); they apply when the collector restarts.`);
    void vscode.window.showInformationMessage(`ZeroMQ Topology: ${why} changed. Restart the collector to apply it? Instrumented processes reconnect and report again.`, 'Restart Collector')
      .then((choice) => (choice === 'Restart Collector' ? startCollector(ctx, true) : undefined));
  }));

  void startCollector(ctx);
}

export function deactivate(): void {
  // Everything is on context.subscriptions; VS Code disposes it (the collector stops, the store's timer
  // ends, the probes close their sockets, the terminal variables are cleared).
}
