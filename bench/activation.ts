/**
 * Activation in real VS Code and the package's size. Each run is a fresh start: a new code-server
 * with a fresh profile and the packaged .vsix installed, a new headless chromium, the workbench
 * loaded on a scratch folder (the extension activates onStartupFinished). Measured per start:
 *  - VS Code's own activation time of the extension ("Developer: Show Running Extensions": code
 *    loading + the synchronous activate() call);
 *  - from the extension host's and the extension's own log lines: activation requested → activate()
 *    entered (≈ loading dist/extension.js) → "Collector listening" (zeromq loaded, socket bound: the
 *    extension is useful), and from the page's navigation to that moment.
 * Size: the .vsix file (scripts/package.js, as the e2e suite packages it) and the installed folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Workbench } from '../test/e2e/harness';
import { isQuick, summarize, writeResult, type Row } from './lib/report';
import { agentEnvironment, installedExtension, startWorkbench, treeSize } from './lib/workbench';

const quick = isQuick();
const STARTS = quick ? 2 : 5;
const EXTENSION_ID = 'zmq-topology.zmq-topology';

interface Start {
  run: number;
  /** Workbench.start: code-server up with the .vsix installed, chromium launched. */
  serverStartMs: number;
  /** openWorkbench(): page navigation → explorer rows shown. */
  workbenchLoadMs: number;
  /** VS Code's "Activation: N ms" (code loading + activate() call), null when it could not be read. */
  vscodeActivationMs: number | null;
  vscodeActivationText: string | null;
  /** Extension host log: ExtensionService#_doActivateExtension for this extension. */
  activationRequestedAt: number | null;
  /** Our Output channel: "… activating" (first line of activate()). */
  activateEnteredAt: number;
  /** Our Output channel: "Collector listening on …". */
  collectorListeningAt: number;
  navigatedAt: number;
}

/** `[2026-12-01T18:00:00.123Z] text` lines of the extension's Output channel. */
function outputLineTime(log: string, pattern: RegExp): number {
  for (const line of log.split('\n')) {
    const match = /^\[(\d{4}-\d\d-\d\dT[\d:.]+Z)\] (.*)$/.exec(line);
    if (match && pattern.test(match[2])) return Date.parse(match[1]);
  }
  throw new Error(`no Output line matches ${pattern}:\n${log}`);
}

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/**
 * When the extension host began activating us, from its log (local time, ms resolution:
 * `2026-12-01 18:00:00.123 [info] ExtensionService#_doActivateExtension zmq-topology.zmq-topology, …`).
 */
function activationRequestedAt(workbench: Workbench): number | null {
  const line = new RegExp(`^(\\d{4}-\\d\\d-\\d\\d) (\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) \\[\\w+\\] ExtensionService#_doActivateExtension ${EXTENSION_ID.replace(/\./g, '\\.')}\\b`, 'm');
  for (const file of listFiles(path.join(workbench.server.userDataDir, 'logs')).filter((f) => /exthost/i.test(f))) {
    const match = line.exec(fs.readFileSync(file, 'utf8'));
    if (match) return new Date(`${match[1]}T${match[2]}`).getTime();
  }
  return null;
}

/** VS Code's activation time from "Developer: Show Running Extensions" (its row's activation label). */
async function runningExtensionsActivation(workbench: Workbench): Promise<{ ms: number; text: string } | null> {
  await workbench.runCommand('Developer: Show Running Extensions');
  const row = workbench.page.locator('.runtime-extensions-editor .monaco-list-row').filter({ hasText: /ZeroMQ Topology|zmq-topology\.zmq-topology/ }).first();
  const label = row.locator('.activation-time');
  const text = await label.textContent({ timeout: 20_000 }).catch(() => null);
  const ms = text ? /(\d+)\s*ms/.exec(text)?.[1] : undefined;
  return text && ms ? { ms: Number(ms), text: text.trim() } : null;
}

interface InstalledSize {
  bytes: number;
  files: number;
  /** Bytes per top-level entry of the installed folder (dist, node_modules, examples, …). */
  byEntry: Record<string, number>;
}

function installedSize(dir: string): InstalledSize {
  const byEntry: Record<string, number> = {};
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    byEntry[entry.name] = entry.isDirectory() ? treeSize(full).bytes : fs.statSync(full).size;
  }
  return { ...treeSize(dir), byEntry };
}

async function oneStart(run: number): Promise<{ start: Start; vsix: string; installed: InstalledSize }> {
  const t0 = Date.now();
  const { workbench, vsix, navigatedAt, loadedAt } = await startWorkbench(`bench-activation-${run}`);
  try {
    const serverStartMs = navigatedAt - t0;
    const { log } = await agentEnvironment(workbench);
    const vscode = await runningExtensionsActivation(workbench);
    return {
      vsix, installed: installedSize(installedExtension(workbench)),
      start: {
        run, serverStartMs, workbenchLoadMs: loadedAt - navigatedAt, navigatedAt,
        vscodeActivationMs: vscode?.ms ?? null,
        vscodeActivationText: vscode?.text ?? null,
        activationRequestedAt: activationRequestedAt(workbench),
        activateEnteredAt: outputLineTime(log, /^ZeroMQ Topology \S+ activating$/),
        collectorListeningAt: outputLineTime(log, /^Collector listening on /),
      },
    };
  } catch (error) {
    await workbench.captureFailure('activation');
    throw error;
  } finally {
    await workbench.close();
  }
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const starts: Start[] = [];
  let vsix = '';
  let installed: InstalledSize | undefined;
  for (let run = 1; run <= STARTS; run++) {
    const result = await oneStart(run);
    starts.push(result.start);
    vsix = result.vsix;
    installed = result.installed;
    const s = result.start;
    console.log(`start ${run}/${STARTS}: VS Code activation ${s.vscodeActivationText ?? '?'}; activate() → collector listening ${s.collectorListeningAt - s.activateEnteredAt} ms; navigation → listening ${s.collectorListeningAt - s.navigatedAt} ms`);
  }

  const rows: Row[] = [];
  const A = `activation in code-server (${STARTS} fresh starts)`;
  const known = <T>(values: Array<T | null>): T[] => values.filter((v): v is T => v !== null);
  rows.push({ group: A, metric: 'VS Code activation time (code loading + activate() call)', unit: 'ms', value: summarize(known(starts.map((s) => s.vscodeActivationMs))) });
  rows.push({ group: A, metric: 'activation requested → activate() entered', unit: 'ms', value: summarize(known(starts.map((s) => (s.activationRequestedAt === null ? null : s.activateEnteredAt - s.activationRequestedAt)))) });
  rows.push({ group: A, metric: 'activate() entered → collector listening', unit: 'ms', value: summarize(starts.map((s) => s.collectorListeningAt - s.activateEnteredAt)) });
  rows.push({ group: A, metric: 'page navigation → collector listening', unit: 'ms', value: summarize(starts.map((s) => s.collectorListeningAt - s.navigatedAt)) });
  rows.push({ group: A, metric: 'page navigation → workbench loaded (explorer rows)', unit: 'ms', value: summarize(starts.map((s) => s.workbenchLoadMs)) });
  rows.push({ group: A, metric: 'code-server start + .vsix install + chromium', unit: 'ms', value: summarize(starts.map((s) => s.serverStartMs)) });

  const P = 'package';
  const vsixBytes = fs.statSync(vsix).size;
  rows.push({ group: P, metric: '.vsix size', unit: 'KiB', value: summarize([vsixBytes / 1024]) });
  if (installed) {
    rows.push({ group: P, metric: `installed folder (${installed.files} files)`, unit: 'KiB', value: summarize([installed.bytes / 1024]) });
    for (const [entry, bytes] of Object.entries(installed.byEntry).sort((a, b) => b[1] - a[1]).slice(0, 5)) {
      rows.push({ group: P, metric: `installed: ${entry}`, unit: 'KiB', value: summarize([bytes / 1024]) });
    }
  }
  writeResult({
    benchmark: 'activation', mode: quick ? 'quick' : 'full', startedAt: new Date(startedAt).toISOString(), durationMs: Date.now() - startedAt, rows,
    notes: [
      'Each start: a new code-server 4.100.3 (VS Code 1.100.3) with a fresh profile and the packaged .vsix installed, a new headless chromium, the workbench loaded on a scratch folder; the extension activates onStartupFinished.',
      'VS Code activation time is what "Developer: Show Running Extensions" shows; the other times come from the extension host log and the extension\'s Output channel (ms timestamps, same machine clock).',
    ],
    raw: { starts, vsix: { path: vsix, bytes: vsixBytes }, installed },
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
