/**
 * Debug sessions ↔ topology nodes. Every session whose configuration the provider instrumented (its env
 * has ZMQ_TOPOLOGY_NODE) is tracked with the debuggee pids its adapter reports (DAP `process` events,
 * seen through a DebugAdapterTracker); js-debug's child sessions (the real Node process under a
 * launcher session) join their parent's entry. "ZeroMQ: Show Debug Session" goes from a node to its
 * session. When a session ends, its node is marked exited by the collector itself (the agent's
 * connection drops, and the collector's ZMQ_DISCONNECT_MSG says so at once); this only checks, a few
 * seconds later, and says so when a process outlived its session.
 */
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { CollectorControl } from '../host/collectorControl.vscode';
import type { Log } from '../host/log.vscode';
import type { NodeView } from '../shared/snapshot';
import { instrumentedNodeName, nodesOfSession, processEventPid, sessionOfNode, type SessionLink } from './debugSessions';

interface Tracked {
  link: { sessionId: string; nodeName: string; pids: number[]; startedAt: number };
  /** Root session first, then child sessions (js-debug's target sessions). */
  sessions: vscode.DebugSession[];
  /** Which session reported which debuggee pid. */
  pidSessions: Map<number, vscode.DebugSession>;
}

/** After a session ends, how long the collector gets to see the process gone before we look. */
const EXIT_CHECK_MS = 4000;

export class DebugSessionLinks implements vscode.Disposable {
  private readonly bySession = new Map<string, Tracked>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly host = os.hostname();

  constructor(private readonly control: CollectorControl, private readonly log: Log) {
    this.disposables.push(
      vscode.debug.registerDebugAdapterTrackerFactory('*', {
        createDebugAdapterTracker: (session) => {
          const tracked = this.track(session);
          if (!tracked) return undefined;
          return {
            onDidSendMessage: (message: unknown) => {
              const pid = processEventPid(message);
              if (pid !== undefined && !tracked.link.pids.includes(pid)) {
                tracked.link.pids.push(pid);
                tracked.pidSessions.set(pid, session);
                this.log.info(`Debug session "${session.name}" runs pid ${pid} (node "${tracked.link.nodeName}")`);
              }
            },
          };
        },
      }),
      vscode.debug.onDidStartDebugSession((session) => {
        this.track(session);
      }),
      vscode.debug.onDidTerminateDebugSession((session) => this.ended(session)),
    );
    for (const session of [vscode.debug.activeDebugSession].filter((s): s is vscode.DebugSession => s !== undefined)) this.track(session);
  }

  /** The tracked entry of a session (creating it for an instrumented root session, joining a parent's). */
  private track(session: vscode.DebugSession): Tracked | undefined {
    const known = this.bySession.get(session.id);
    if (known) return known;
    const parent = session.parentSession ? this.bySession.get(session.parentSession.id) : undefined;
    if (parent) {
      parent.sessions.push(session);
      this.bySession.set(session.id, parent);
      return parent;
    }
    const configuration: unknown = session.configuration;
    const nodeName = instrumentedNodeName((configuration as { env?: unknown }).env);
    if (nodeName === undefined) return undefined;
    const tracked: Tracked = { link: { sessionId: session.id, nodeName, pids: [], startedAt: Date.now() }, sessions: [session], pidSessions: new Map() };
    this.bySession.set(session.id, tracked);
    this.changed();
    return tracked;
  }

  private ended(session: vscode.DebugSession): void {
    const tracked = this.bySession.get(session.id);
    if (!tracked) return;
    this.bySession.delete(session.id);
    tracked.sessions = tracked.sessions.filter((s) => s.id !== session.id);
    if (tracked.link.sessionId !== session.id) return;
    // The root session ended: its children end with it.
    for (const child of tracked.sessions) this.bySession.delete(child.id);
    this.changed();
    this.log.info(`Debug session "${session.name}" ended; its process is marked exited when the collector sees its agent's connection drop`);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const live = nodesOfSession(tracked.link, this.control.snapshot().nodes, this.host).filter((n) => n.state !== 'exited');
      for (const node of live) {
        this.log.info(`Node "${node.name}" (pid ${node.pid}) is still reporting ${EXIT_CHECK_MS / 1000} s after its debug session "${session.name}" ended: the process outlived the session (detached, or not stopped by the debugger)`);
      }
    }, EXIT_CHECK_MS);
    this.timers.add(timer);
  }

  private links(): { link: SessionLink; tracked: Tracked }[] {
    return [...new Set(this.bySession.values())].map((tracked) => ({ link: tracked.link, tracked }));
  }

  /** The debug session (the process's own, when the adapter has child sessions) that started a node. */
  sessionFor(node: NodeView): vscode.DebugSession | undefined {
    const all = this.links();
    const link = sessionOfNode(node, all.map((l) => l.link), this.host);
    const tracked = all.find((l) => l.link === link)?.tracked;
    if (!tracked) return undefined;
    return tracked.pidSessions.get(node.pid) ?? tracked.sessions[tracked.sessions.length - 1];
  }

  get size(): number {
    return new Set(this.bySession.values()).size;
  }

  /** For menus: `zmqTopology.hasDebugSessions`. */
  private changed(): void {
    void vscode.commands.executeCommand('setContext', 'zmqTopology.hasDebugSessions', this.size > 0);
  }

  /** Live tracked sessions with the nodes they started, for a quick pick. */
  list(): { session: vscode.DebugSession; nodes: NodeView[] }[] {
    const nodes = this.control.snapshot().nodes;
    return this.links().map(({ link, tracked }) => ({
      session: tracked.sessions[tracked.sessions.length - 1] ?? tracked.sessions[0],
      nodes: nodesOfSession(link, nodes, this.host),
    })).filter((e) => e.session !== undefined);
  }

  dispose(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const d of this.disposables) d.dispose();
    this.bySession.clear();
  }
}

/** A tree item (its graphId is the node id), a node id, or nothing (then a pick of the tracked sessions). */
function nodeIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'object' && arg !== null) {
    const item = arg as { kind?: unknown; graphId?: unknown };
    if (item.kind === 'node' && typeof item.graphId === 'string') return item.graphId;
  }
  return undefined;
}

async function focus(session: vscode.DebugSession): Promise<void> {
  await vscode.commands.executeCommand('workbench.debug.action.focusCallStackView');
  if (vscode.debug.activeDebugSession?.id === session.id) return;
  // The API cannot select a session (activeDebugSession is read-only): open VS Code's own session list.
  vscode.window.setStatusBarMessage(`ZeroMQ Topology: pick debug session "${session.name}"`, 8000);
  await vscode.commands.executeCommand('workbench.action.debug.selectDebugSession');
}

/** "ZeroMQ: Show Debug Session": from a node (tree context menu) or a pick, to its debug session. */
export async function showDebugSession(links: DebugSessionLinks, control: CollectorControl, log: Log, arg: unknown): Promise<void> {
  const nodeId = nodeIdOf(arg);
  if (nodeId !== undefined) {
    const node = control.snapshot().nodes.find((n) => n.id === nodeId);
    const session = node ? links.sessionFor(node) : undefined;
    if (!node || !session) {
      const what = node ? `"${node.name}" (pid ${node.pid})` : 'This node';
      log.info(`Show Debug Session: ${what} was not started by a debug session of this window that is still running`);
      void vscode.window.showInformationMessage(`ZeroMQ Topology: ${what} was not started by a running debug session of this window (launch it with "zmqTopology": true).`);
      return;
    }
    await focus(session);
    return;
  }
  const entries = links.list();
  if (entries.length === 0) {
    void vscode.window.showInformationMessage('ZeroMQ Topology: no instrumented debug session is running. Add "zmqTopology": true to a launch configuration and press F5.');
    return;
  }
  const pick = await vscode.window.showQuickPick(entries.map((e) => ({
    label: e.session.name,
    description: e.nodes.length > 0 ? e.nodes.map((n) => `${n.name} · pid ${n.pid} · ${n.state}`).join(', ') : 'no node reported yet',
    session: e.session,
  })), { placeHolder: 'Debug session to show' });
  if (pick) await focus(pick.session);
}
