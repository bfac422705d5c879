import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('ZeroMQ Topology');
  context.subscriptions.push(output);
  context.subscriptions.push(vscode.commands.registerCommand('zmqTopology.showOutput', () => output.show(true)));
  output.appendLine('ZeroMQ Topology activated');
}

export function deactivate(): void {}
