/**
 * The "ZeroMQ Topology" Output channel and the one way errors reach the user: logged in full there,
 * and shown as a notification with a "Show Output" action. Nothing is swallowed.
 */
import * as vscode from 'vscode';

export class Log implements vscode.Disposable {
  readonly channel: vscode.OutputChannel;

  constructor(name = 'ZeroMQ Topology') {
    this.channel = vscode.window.createOutputChannel(name);
  }

  info(message: string): void {
    this.channel.appendLine(`[${new Date().toISOString()}] ${message}`);
  }

  /** Logs the message and the error's stack (or text). */
  error(message: string, err?: unknown): void {
    this.info(`ERROR ${message}`);
    if (err !== undefined) this.channel.appendLine(`  ${describeError(err, true).replace(/\n/g, '\n  ')}`);
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}

export function describeError(err: unknown, withStack = false): string {
  if (err instanceof Error) return withStack && err.stack ? err.stack : err.message;
  return String(err);
}

/** Logs, then shows an error notification whose "Show Output" action opens the log. */
export async function showError(log: Log, message: string, err?: unknown): Promise<void> {
  log.error(message, err);
  const text = err === undefined ? message : `${message}: ${describeError(err)}`;
  const choice = await vscode.window.showErrorMessage(text, 'Show Output');
  if (choice === 'Show Output') log.show();
}

/** Wraps a command handler so a thrown or rejected error becomes a notification, never silence. */
export function guarded<A extends unknown[], R>(log: Log, what: string, fn: (...args: A) => R | Promise<R>): (...args: A) => Promise<R | undefined> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      await showError(log, `${what} failed`, err);
      return undefined;
    }
  };
}
