/**
 * Record and replay commands (issue 16, docs/RECORDING.md): Start Recording… (save dialog), Stop
 * Recording, Save Last N Minutes… (the live ring to a file), Open Recording… (the readonly custom
 * editor), Timeline: Next/Previous Event (the focused recording's timeline, else the graph's). The
 * file commands also take a path argument, for keybindings and tests, and then ask nothing.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CommandContext } from './context.vscode';
import { guarded } from '../host/log.vscode';
import { formatSize } from '../host/recordings';
import type { RecordingsHost } from '../host/recordings.vscode';
import { GraphPanel } from '../views/graphPanel.vscode';
import { RECORDING_VIEW_TYPE, RecordingEditorProvider } from '../views/recordingEditor.vscode';

const FILTERS = { 'ZeroMQ Topology recordings': ['zmqrec'] };

function defaultUri(prefix: string): vscode.Uri {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const name = `${prefix}-${stamp}.zmqrec`;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  return folder ? vscode.Uri.joinPath(folder, name) : vscode.Uri.file(name);
}

async function target(arg: unknown, prefix: string, title: string): Promise<vscode.Uri | undefined> {
  if (typeof arg === 'string' && arg.length > 0) return vscode.Uri.file(arg);
  if (arg instanceof vscode.Uri) return arg;
  return vscode.window.showSaveDialog({ defaultUri: defaultUri(prefix), filters: FILTERS, title, saveLabel: title.replace(/…$/, '') });
}

export function registerRecordingCommands(ctx: CommandContext, host: RecordingsHost): vscode.Disposable[] {
  const { log } = ctx;
  const recordings = host.recordings;
  const jump = (direction: 1 | -1) => {
    const timeline = RecordingEditorProvider.activeTimeline ?? GraphPanel.currentTimeline;
    if (!timeline) {
      void vscode.window.showInformationMessage('ZeroMQ Topology: open a recording or the graph (with the live ring on) to move along its timeline.');
      return;
    }
    if (!timeline.jump(direction)) vscode.window.setStatusBarMessage(`ZeroMQ timeline: no ${direction === 1 ? 'later' : 'earlier'} event`, 3000);
  };
  return [
    vscode.commands.registerCommand('zmqTopology.startRecording', guarded(log, 'Start Recording', async (arg?: unknown) => {
      const uri = await target(arg, 'zmq-topology', 'Start Recording…');
      if (!uri) return undefined;
      recordings.startRecording(uri.fsPath, undefined, (reason) => {
        log.info(`Recording to ${uri.fsPath} stopped: ${reason}`);
        void vscode.window.showWarningMessage(`ZeroMQ Topology: the recording to ${path.basename(uri.fsPath)} stopped: ${reason}. The file is readable up to here.`);
      });
      log.info(`Recording to ${uri.fsPath}${recordings.ring ? ' (starting with the live ring\'s inputs)' : ''}`);
      return uri;
    })),
    vscode.commands.registerCommand('zmqTopology.stopRecording', guarded(log, 'Stop Recording', async () => {
      const done = await recordings.stopRecording();
      if (!done) {
        void vscode.window.showInformationMessage('ZeroMQ Topology: nothing is being recorded.');
        return undefined;
      }
      log.info(`Recorded ${done.records} inputs, ${done.bytes} bytes, to ${done.path}`);
      const choice = await vscode.window.showInformationMessage(`ZeroMQ Topology: recorded ${formatSize(done.bytes)} to ${path.basename(done.path)}.`, 'Open Recording');
      if (choice === 'Open Recording') await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(done.path), RECORDING_VIEW_TYPE);
      return done;
    })),
    vscode.commands.registerCommand('zmqTopology.saveRing', guarded(log, 'Save Last N Minutes', async (arg?: unknown) => {
      const uri = await target(arg, `zmq-topology-last-${recordings.ringMinutes}min`, `Save the Last ${recordings.ringMinutes} Minutes…`);
      if (!uri) return undefined;
      const saved = await recordings.saveRing(uri.fsPath);
      const seconds = Math.round((saved.endAt - saved.startAt) / 1000);
      const dropped = saved.preludeDropped > 0
        ? ` (the live ring's cap dropped the oldest inputs before it: processes started long ago may be missing)` : '';
      log.info(`Saved the last ${seconds} s of the live graph (${saved.bytes} bytes) to ${uri.fsPath}${dropped}`);
      void vscode.window.showInformationMessage(`ZeroMQ Topology: saved the last ${seconds} s (${formatSize(saved.bytes)}) to ${path.basename(uri.fsPath)}${dropped}.`, 'Open Recording')
        .then((choice) => (choice === 'Open Recording' ? vscode.commands.executeCommand('vscode.openWith', uri, RECORDING_VIEW_TYPE) : undefined));
      return uri;
    })),
    vscode.commands.registerCommand('zmqTopology.openRecording', guarded(log, 'Open Recording', async (arg?: unknown) => {
      let uri: vscode.Uri | undefined;
      if (typeof arg === 'string' && arg.length > 0) uri = vscode.Uri.file(arg);
      else if (arg instanceof vscode.Uri) uri = arg;
      else uri = (await vscode.window.showOpenDialog({ filters: FILTERS, canSelectMany: false, title: 'Open Recording…', openLabel: 'Open' }))?.[0];
      if (!uri) return undefined;
      await vscode.commands.executeCommand('vscode.openWith', uri, RECORDING_VIEW_TYPE);
      return uri;
    })),
    vscode.commands.registerCommand('zmqTopology.timelineNext', () => jump(1)),
    vscode.commands.registerCommand('zmqTopology.timelinePrevious', () => jump(-1)),
  ];
}
