/**
 * Export Snapshot: JSON (store.snapshot() as is), Graphviz DOT, or the SVG the graph draws, written
 * where the save dialog says. `zmqTopology.exportSnapshot` also takes (format, path) arguments, for
 * keybindings and tests, and then asks nothing.
 */
import * as vscode from 'vscode';
import type { CommandContext } from './context.vscode';
import { EXPORT_FORMATS, looksLikeSvg, snapshotToDot, snapshotToJson, type ExportFormat } from './export';
import { GraphPanel } from '../views/graphPanel.vscode';
import { UserFacingError } from '../host/openSource';

function isExportFormat(x: unknown): x is ExportFormat {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(EXPORT_FORMATS, x);
}

async function pickFormat(): Promise<ExportFormat | undefined> {
  const picked = await vscode.window.showQuickPick(
    (Object.keys(EXPORT_FORMATS) as ExportFormat[]).map((format) => ({
      label: EXPORT_FORMATS[format].label,
      description: `.${EXPORT_FORMATS[format].extension}`,
      format,
    })),
    { title: 'Export ZeroMQ Topology', placeHolder: 'Format' },
  );
  return picked?.format;
}

function defaultTarget(format: ExportFormat): vscode.Uri {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const name = `zmq-topology-${stamp}.${EXPORT_FORMATS[format].extension}`;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  return folder ? vscode.Uri.joinPath(folder, name) : vscode.Uri.file(name);
}

async function render(ctx: CommandContext, format: ExportFormat): Promise<string> {
  switch (format) {
    case 'json': return snapshotToJson(ctx.control.snapshot());
    case 'dot': return snapshotToDot(ctx.control.snapshot());
    case 'svg': {
      const svg = await GraphPanel.requestSvg(ctx.graph);
      if (!looksLikeSvg(svg)) throw new UserFacingError('The graph answered the SVG export with something that is not an SVG document');
      return svg;
    }
  }
}

export async function exportSnapshot(ctx: CommandContext, formatArg?: unknown, targetArg?: unknown): Promise<vscode.Uri | undefined> {
  const format = isExportFormat(formatArg) ? formatArg : await pickFormat();
  if (!format) return undefined;
  let target: vscode.Uri | undefined;
  if (typeof targetArg === 'string' && targetArg.length > 0) target = vscode.Uri.file(targetArg);
  else if (targetArg instanceof vscode.Uri) target = targetArg;
  else {
    target = await vscode.window.showSaveDialog({
      title: `Export ZeroMQ Topology as ${EXPORT_FORMATS[format].label}`,
      defaultUri: defaultTarget(format),
      filters: { [EXPORT_FORMATS[format].filterName]: [EXPORT_FORMATS[format].extension] },
    });
  }
  if (!target) return undefined;
  // Taken after the dialog, so the file holds the topology as it was when the user said where.
  const text = await render(ctx, format);
  await vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
  ctx.log.info(`Exported ${EXPORT_FORMATS[format].label} to ${target.fsPath}`);
  // Not awaited: the command is done when the file is written, whatever the user does with the note.
  const written = target;
  void vscode.window.showInformationMessage(`Exported the topology to ${written.fsPath}`, 'Open').then((choice) => {
    if (choice === 'Open') return vscode.window.showTextDocument(written);
    return undefined;
  });
  return target;
}
