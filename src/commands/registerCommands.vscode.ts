/**
 * Every command the extension contributes (package.json "contributes.commands" lists the same ids;
 * the end-to-end suite runs them by these ids).
 */
import * as vscode from 'vscode';
import type { CommandContext } from './context.vscode';
import { registerCollectorCommands } from './collectorCommands.vscode';
import { registerEnvCommands } from './envCommands.vscode';
import { registerSocketCommands } from './socket.vscode';
import { exportSnapshot } from './export.vscode';
import { guarded } from '../host/log.vscode';
import { GraphPanel } from '../views/graphPanel.vscode';

export const COMMAND_IDS = [
  'zmqTopology.showGraph', 'zmqTopology.startCollector', 'zmqTopology.stopCollector', 'zmqTopology.restartCollector',
  'zmqTopology.copyAgentEnv', 'zmqTopology.exportSnapshot', 'zmqTopology.clearExited', 'zmqTopology.pause', 'zmqTopology.resume',
  'zmqTopology.revealSocket', 'zmqTopology.goToSource', 'zmqTopology.showOutput', 'zmqTopology.startDemo',
  'zmqTopology.copyEndpoint', 'zmqTopology.copyRoutingId', 'zmqTopology.openDocs',
  // commands/recording.vscode.ts
  'zmqTopology.startRecording', 'zmqTopology.stopRecording', 'zmqTopology.saveRing', 'zmqTopology.openRecording',
  'zmqTopology.timelineNext', 'zmqTopology.timelinePrevious',
] as const;

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  const { log, live, control } = ctx;
  return [
    ...registerCollectorCommands(ctx),
    ...registerEnvCommands(ctx),
    ...registerSocketCommands(ctx),
    vscode.commands.registerCommand('zmqTopology.showGraph', guarded(log, 'Show Topology Graph', () => {
      GraphPanel.show(ctx.graph);
    })),
    vscode.commands.registerCommand('zmqTopology.exportSnapshot', guarded(log, 'Export Snapshot', (format?: unknown, target?: unknown) => exportSnapshot(ctx, format, target))),
    vscode.commands.registerCommand('zmqTopology.clearExited', guarded(log, 'Clear Exited Nodes', () => {
      control.clearExited();
      log.info('Cleared exited processes from the topology');
    })),
    vscode.commands.registerCommand('zmqTopology.pause', () => live.setPaused(true)),
    vscode.commands.registerCommand('zmqTopology.resume', () => live.setPaused(false)),
    vscode.commands.registerCommand('zmqTopology.showOutput', () => log.show()),
    vscode.commands.registerCommand('zmqTopology.openDocs', guarded(log, 'Open Documentation', async () => {
      const readme = vscode.Uri.joinPath(ctx.extensionUri, 'README.md');
      await vscode.commands.executeCommand('markdown.showPreview', readme);
    })),
  ];
}
