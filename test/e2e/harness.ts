/**
 * End-to-end helpers: the packaged extension in real VS Code (code-server, scripts/code-server.js),
 * driven through Debian's chromium with playwright-core. One Workbench is one code-server with a
 * fresh profile plus one headless browser with a fresh profile; close() stops both, so call it in
 * `after`. How it works and the traps: docs/E2E.md.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Frame, type Locator, type Page } from 'playwright-core';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
/** Screenshots, server and VS Code logs of failed tests (git-ignored). */
export const RESULTS_DIR = path.join(ROOT, 'test-results', 'e2e');

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const MANIFEST = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as ExtensionManifest;

interface ExtensionManifest {
  name: string;
  publisher: string;
  contributes?: {
    viewsWelcome?: Array<{ view: string; contents: string; when?: string }>;
    viewsContainers?: Record<string, Array<{ id: string; title: string }>>;
    views?: Record<string, Array<{ id: string; name: string }>>;
  };
}

/** What scripts/code-server.js's startCodeServer returns (see its JSDoc). */
export interface RunningServer {
  url: string;
  pid: number;
  runDir: string;
  tmpDir: string;
  logFile: string;
  userDataDir: string;
  extensionsDir: string;
  stop(options?: { keepFiles?: boolean }): Promise<void>;
}

interface CodeServerScript {
  CODE_SERVER_VERSION: string;
  ensureCodeServer(): Promise<string>;
  startCodeServer(options: { vsix?: string; extensionDir?: string; workspace: string; settings?: Record<string, unknown>; port?: number }): Promise<RunningServer>;
}

interface PackageScript {
  packageExtension(options?: { out?: string }): Promise<string>;
  isFresh(vsix: string): boolean;
}

// scripts/ are plain node scripts (the project has no allowJs): load them by path, typed above.
const loadScript = createRequire(__filename);
export const codeServer = loadScript(path.join(ROOT, 'scripts', 'code-server.js')) as CodeServerScript;
const packaging = loadScript(path.join(ROOT, 'scripts', 'package.js')) as PackageScript;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something other than undefined; the error says what was last seen. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, describe: () => Promise<string> | string, timeoutMs: number, everyMs = 250): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(everyMs)) {
    const value = await probe();
    if (value !== undefined) return value;
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s; last seen:\n${await describe()}`);
}

/** Times the phases of a test file and prints them as they end and as a table at the end. */
export class Phases {
  private readonly timings: Array<{ name: string; seconds: number }> = [];

  async time<T>(name: string, phase: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      return await phase();
    } finally {
      const seconds = (Date.now() - started) / 1000;
      this.timings.push({ name, seconds });
      console.log(`[e2e] ${name}: ${seconds.toFixed(1)} s`);
    }
  }

  print(): void {
    const width = Math.max(...this.timings.map((t) => t.name.length), 0);
    console.log(['[e2e] phase timings:', ...this.timings.map((t) => `  ${t.name.padEnd(width)}  ${t.seconds.toFixed(1).padStart(6)} s`)].join('\n'));
  }
}

function newestMtime(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const file = path.join(dir, entry.name);
    return Math.max(newest, entry.isDirectory() ? newestMtime(file) : fs.statSync(file).mtimeMs);
  }, 0);
}

/**
 * The .vsix under test: packaged by scripts/package.js, or reused while nothing that goes into it
 * changed. Packages to a temporary name and renames, so a concurrent run never sees half a file.
 */
export async function ensureVsix(): Promise<string> {
  const vsix = path.join(ROOT, '.cache', 'e2e', `${MANIFEST.name}.vsix`);
  const bundles = path.join(ROOT, 'dist', 'extension.js');
  const sources = Math.max(newestMtime(path.join(ROOT, 'src')), newestMtime(path.join(ROOT, 'webview')));
  if (fs.existsSync(bundles) && fs.statSync(bundles).mtimeMs < sources) {
    console.log('[e2e] warning: dist/ is older than src/ or webview/; `npm run build` to test the current code');
  }
  if (packaging.isFresh(vsix)) {
    console.log(`[e2e] reusing ${path.relative(ROOT, vsix)} (newer than everything it packages)`);
    return vsix;
  }
  fs.mkdirSync(path.dirname(vsix), { recursive: true });
  const partial = `${vsix}.${process.pid}.partial.vsix`;
  try {
    await packaging.packageExtension({ out: partial });
    fs.renameSync(partial, vsix);
  } finally {
    fs.rmSync(partial, { force: true });
  }
  return vsix;
}

export interface WorkbenchOptions {
  /** Used in artefact file names. */
  name: string;
  vsix?: string;
  extensionDir?: string;
  /** Files of the scratch workspace, relative path → content (default: one README.txt). */
  workspaceFiles?: Record<string, string>;
  /** User settings merged over the harness defaults. */
  settings?: Record<string, unknown>;
}

export interface TreeRow {
  label: string;
  description: string;
  /** 1 for top-level rows. */
  level: number;
  ariaLabel: string;
}

export class Workbench {
  private readonly pageErrors: string[] = [];
  private currentPage: Page;

  private constructor(
    readonly options: WorkbenchOptions,
    readonly server: RunningServer,
    readonly workspace: string,
    readonly context: BrowserContext,
    page: Page,
  ) {
    this.currentPage = page;
    this.watchErrors(page);
  }

  /** The browser tab showing the workbench (a new one after reopenTab()). */
  get page(): Page {
    return this.currentPage;
  }

  private watchErrors(page: Page): void {
    page.on('pageerror', (error) => this.pageErrors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') this.pageErrors.push(`console.error: ${message.text()} (${message.location().url || message.page()?.url() || '?'})`);
    });
  }

  /**
   * Closes the browser tab as a user does (the window's unload runs) and opens the workbench in a new
   * tab of the same browser: a new window, so a new extension host, on the same code-server.
   */
  async reopenTab(folder = this.workspace): Promise<void> {
    const old = this.currentPage;
    const next = await this.context.newPage();
    this.watchErrors(next);
    await old.close({ runBeforeUnload: true });
    // runBeforeUnload only asks the page to close; it is gone when its 'close' event has fired.
    if (!old.isClosed()) await old.waitForEvent('close', { timeout: 30000 });
    this.currentPage = next;
    await this.openWorkbench(folder);
  }

  /**
   * The tab dies without a goodbye (as in a browser crash or a lost connection): the browser's
   * renderer processes are killed, so the workbench never tells the server it is going and the server
   * keeps the old extension host for its reconnection grace time. Then the workbench opens in a new tab.
   */
  async crashTabAndReopen(folder = this.workspace): Promise<void> {
    const profile = path.join(this.server.runDir, 'chromium-profile');
    const pids = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number);
    const browser = pids.find((pid) => { const c = commandLine(pid); return c.includes(profile) && !c.includes('--type='); });
    if (browser === undefined) throw new Error(`no chromium browser process runs with ${profile}`);
    const renderers = descendants(browser, pids).filter((pid) => commandLine(pid).includes('--type=renderer'));
    const crashed = new Promise<void>((resolve) => this.currentPage.once('crash', () => resolve()));
    for (const pid of renderers) process.kill(pid, 'SIGKILL');
    await Promise.race([crashed, sleep(10000)]);
    this.currentPage = await this.context.newPage();
    this.watchErrors(this.currentPage);
    await this.openWorkbench(folder);
  }

  /** Starts code-server with the extension installed and a headless chromium; nothing is opened yet. */
  static async start(options: WorkbenchOptions): Promise<Workbench> {
    fs.mkdirSync(path.join(ROOT, '.cache', 'e2e'), { recursive: true });
    const workspace = fs.mkdtempSync(path.join(ROOT, '.cache', 'e2e', 'workspace-'));
    for (const [file, content] of Object.entries(options.workspaceFiles ?? { 'README.txt': 'scratch workspace\n' })) {
      fs.mkdirSync(path.dirname(path.join(workspace, file)), { recursive: true });
      fs.writeFileSync(path.join(workspace, file), content);
    }
    let server: RunningServer | undefined;
    try {
      server = await codeServer.startCodeServer({
        vsix: options.vsix,
        extensionDir: options.extensionDir,
        workspace,
        // Output lines unwrapped, so one channel line is one rendered line (readOutputChannel).
        // Plain channels have the language "Log", LogOutputChannels "log".
        settings: { '[Log]': { 'editor.wordWrap': 'off' }, '[log]': { 'editor.wordWrap': 'off' }, ...options.settings },
      });
      // Chromium writes crash reports under XDG_CONFIG_HOME even with its own profile folder.
      const context = await chromium.launchPersistentContext(path.join(server.runDir, 'chromium-profile'), {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1400, height: 900 },
        args: CHROMIUM_FLAGS,
        env: {
          ...process.env,
          XDG_CONFIG_HOME: path.join(server.runDir, 'xdg-config'),
          XDG_CACHE_HOME: path.join(server.runDir, 'xdg-cache'),
          TMPDIR: server.tmpDir,
        },
      });
      const page = context.pages()[0] ?? await context.newPage();
      return new Workbench(options, server, workspace, context, page);
    } catch (error) {
      if (server) await copyServerArtefacts(server, options.name);
      await server?.stop();
      fs.rmSync(workspace, { recursive: true, force: true });
      throw error;
    }
  }

  /** Loads the workbench on `folder` and waits until the remote side answers (explorer rows shown). */
  async openWorkbench(folder = this.workspace): Promise<void> {
    // Playwright's 30 s default was too short for the first load on busy shared cores (load ~20).
    await this.page.goto(`${this.server.url}?folder=${encodeURIComponent(folder)}`, { waitUntil: 'domcontentloaded', timeout: 120_000 });
    await this.page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60000 });
    await this.page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60000 });
    await this.page.locator('.part.editor').click(); // keyboard focus for F1
  }

  /**
   * Runs a command by its palette title ("ZeroMQ: Show Output"). The palette's list is computed
   * when it opens, so before the extension host has registered the command it is missing: close
   * and reopen until it appears.
   */
  async runCommand(title: string, timeoutMs = 60000): Promise<void> {
    const quickInput = this.page.locator('.quick-input-widget');
    const rows = this.page.locator('.quick-input-list .monaco-list-row');
    const row = rows.filter({ has: this.page.locator('.label-name', { hasText: exactly(title) }) }).first();
    let seen: string[] = [];
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
      await this.closeQuickInput();
      await this.page.keyboard.press('F1');
      if (!await appears(quickInput, 3000)) continue;
      await this.page.keyboard.type(title);
      if (await appears(row, 2000)) {
        await row.click();
        await quickInput.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
        return;
      }
      seen = await rows.evaluateAll((elements) => elements.map((e) => e.getAttribute('aria-label') ?? ''));
    }
    await this.closeQuickInput();
    throw new Error(`command "${title}" never appeared in the palette within ${timeoutMs / 1000} s (last rows: ${JSON.stringify(seen)})`);
  }

  /**
   * The frame that contains `selector`. A webview's HTML lives in iframe#active-frame inside
   * iframe.webview, so every frame of the page is searched.
   */
  async findWebviewFrame(selector: string, timeoutMs = 30000): Promise<Frame> {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(100)) {
      // A frame still navigating holds $() until its document exists: ask every frame at once, none for long.
      const found = await Promise.all(this.page.frames().map((frame) => Promise.race([
        frame.$(selector).then((element) => (element !== null ? frame : undefined), () => undefined),
        sleep(500).then(() => undefined),
      ])));
      const frame = found.find((f) => f !== undefined);
      if (frame) return frame;
    }
    throw new Error(`no frame contains ${selector} after ${timeoutMs / 1000} s (${this.page.frames().length} frames)`);
  }

  /** Shows a contributed view through its activity-bar container and returns the view's pane. */
  async openView(viewId: string): Promise<Locator> {
    const { container, view } = findView(viewId);
    const item = this.page.locator('.part.activitybar li.action-item').filter({ has: this.page.locator(`a.action-label[aria-label^="${container.title}"]`) }).first();
    await item.waitFor({ timeout: 30000 });
    const pane = this.viewPane(view.name);
    // The workbench can switch the side bar after the check (a debug session's start opens Run and
    // Debug), so check again until the pane shows. Clicking the active container's item would hide it.
    for (const deadline = Date.now() + 30000; ;) {
      if (!(await item.getAttribute('class'))?.split(' ').includes('checked')) await item.click();
      if (await appears(pane, 2000)) return pane;
      if (Date.now() > deadline) throw new Error(`the view "${view.name}" did not show within 30 s (its container "${container.title}" ${(await item.getAttribute('class'))?.includes('checked') ? 'is' : 'is not'} the active one)`);
    }
  }

  /** The visible rows of a tree view (virtualised: rows scrolled out of sight are not in the DOM). */
  async treeRows(viewId: string): Promise<TreeRow[]> {
    const pane = await this.openView(viewId);
    return pane.locator('.monaco-list-row').evaluateAll((rows) => rows.map((row) => ({
      label: row.querySelector('.label-name')?.textContent?.trim() ?? '',
      description: row.querySelector('.label-description')?.textContent?.trim() ?? '',
      level: Number(row.getAttribute('aria-level') ?? 1),
      ariaLabel: row.getAttribute('aria-label') ?? '',
    })));
  }

  /** The welcome content of a view (shown while its tree is empty), '' when there is none. */
  async viewWelcomeText(viewId: string): Promise<string> {
    const pane = await this.openView(viewId);
    const welcome = pane.locator('.welcome-view-content');
    if (!await appears(welcome, 5000)) return '';
    return normalise(await welcome.innerText());
  }

  /** Text (icons dropped) and accessible label (tooltip-like) of the extension's status bar item. */
  async statusBarItem(itemId: string): Promise<{ text: string; ariaLabel: string }> {
    const item = this.page.locator(`.part.statusbar [id="${MANIFEST.publisher}.${MANIFEST.name}.${itemId}"]`);
    await item.waitFor({ timeout: 30000 });
    return {
      text: normalise(await item.locator('.statusbar-item-label').innerText()),
      ariaLabel: (await item.getAttribute('aria-label')) ?? '',
    };
  }

  /** The channel the Output panel shows now, '' when the panel is closed. */
  async shownOutputChannel(): Promise<string> {
    // The channel picker is rendered twice (panel title and a hidden view header): take the visible one.
    const select = this.page.locator('.part.panel select.monaco-select-box').filter({ visible: true }).first();
    return await select.isVisible() ? select.inputValue() : '';
  }

  /** Waits until the Output panel shows `name`; returns what it shows at the end. */
  async waitForShownOutputChannel(name: string, timeoutMs = 15000): Promise<string> {
    let shown = '';
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(250)) {
      shown = await this.shownOutputChannel();
      if (shown === name) break;
    }
    return shown;
  }

  /**
   * Shows an Output channel (via "Output: Show Output Channels...") and returns its rendered lines.
   * The editor is virtualised: only lines in view are read; for long logs use outputLogFile().
   */
  async readOutputChannel(name: string): Promise<string> {
    if (await this.shownOutputChannel() !== name) {
      await this.runCommand('Output: Show Output Channels...');
      const row = this.page.locator('.quick-input-list .monaco-list-row').filter({ has: this.page.locator('.label-name', { hasText: exactly(name) }) }).first();
      await row.click({ timeout: 10000 });
      const shown = await this.waitForShownOutputChannel(name);
      if (shown !== name) throw new Error(`picked Output channel "${name}" but the panel shows "${shown}"`);
    }
    const lines = this.page.locator('.part.panel .monaco-editor .view-lines .view-line');
    await lines.first().waitFor({ timeout: 10000 }).catch(() => undefined);
    const rendered = await lines.evaluateAll((elements) => elements
      .map((e) => ({ top: parseFloat((e as HTMLElement).style.top) || 0, text: e.textContent ?? '' }))
      .sort((a, b) => a.top - b.top)
      .map((line) => line.text));
    return rendered.map((line) => line.replace(/\u00a0/g, ' ')).join('\n');
  }

  /** Polls readOutputChannel until `pattern` matches; the error carries the last text seen. */
  async waitForOutput(name: string, pattern: RegExp, timeoutMs = 30000): Promise<string> {
    let text = '';
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(500)) {
      text = await this.readOutputChannel(name);
      if (pattern.test(text)) return text;
    }
    throw new Error(`Output "${name}" never matched ${pattern} in ${timeoutMs / 1000} s; it shows:\n${text}\n--- whole channel log:\n${this.outputLogFile(name)}`);
  }

  /** The complete text of an extension's Output channel, from the log file VS Code keeps of it. */
  outputLogFile(name: string): string {
    const logs = path.join(this.server.userDataDir, 'logs');
    const files = listFiles(logs).filter((file) => path.basename(file).replace(/^\d+-/, '') === `${name}.log`);
    const newest = files.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
    return newest ? fs.readFileSync(newest, 'utf8') : '';
  }

  /** Polls the channel's log file (no UI involved) until `pattern` matches; returns the whole log. */
  async waitForOutputLog(name: string, pattern: RegExp, timeoutMs = 30000): Promise<string> {
    let text = '';
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(250)) {
      text = this.outputLogFile(name);
      if (pattern.test(text)) return text;
    }
    throw new Error(`the "${name}" channel's log never matched ${pattern} in ${timeoutMs / 1000} s; it holds:\n${text}`);
  }

  /**
   * Expands the collapsed rows of a tree view whose label matches `label` (all collapsed rows when
   * omitted) and returns how many it clicked. Rows are virtualised: only visible rows are considered.
   */
  async expandTreeRows(viewId: string, label?: RegExp): Promise<number> {
    const pane = await this.openView(viewId);
    const collapsed = pane.locator('.monaco-list-row[aria-expanded="false"]');
    let clicked = 0;
    for (let i = await collapsed.count() - 1; i >= 0; i--) {
      const row = collapsed.nth(i);
      const text = (await row.locator('.label-name').textContent().catch(() => null))?.trim() ?? '';
      if (label && !label.test(text)) continue;
      await row.locator('.monaco-tl-twistie').click({ timeout: 5000 });
      clicked++;
    }
    return clicked;
  }

  /**
   * What a tree view's rows show at the side bar's width: per row, the label and description cut
   * where the row clips them (VS Code ends a row that does not fit with an ellipsis).
   */
  async treeRowsAsSeen(viewId: string): Promise<Array<TreeRow & { seen: string }>> {
    const pane = await this.openView(viewId);
    return pane.locator('.monaco-list-row').evaluateAll((rows) => rows.map((row) => {
      const container = row.querySelector('.monaco-icon-label-container');
      const clip = Math.min(row.getBoundingClientRect().right, container?.getBoundingClientRect().right ?? Infinity);
      // Each character whose box ends inside the clip is seen; the rest is behind the ellipsis.
      const seen = (element: Element | null): string => {
        let text = '';
        const walker = document.createTreeWalker(element ?? document.createElement('span'), NodeFilter.SHOW_TEXT);
        const range = document.createRange();
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const chars = node.textContent ?? '';
          for (let i = 0; i < chars.length; i++) {
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            const box = range.getBoundingClientRect();
            if (box.width > 0 && box.right > clip + 0.5) return text;
            text += chars[i];
          }
        }
        return text;
      };
      const label = row.querySelector('.label-name');
      const description = row.querySelector('.label-description');
      return {
        label: label?.textContent?.trim() ?? '',
        description: description?.textContent?.trim() ?? '',
        level: Number(row.getAttribute('aria-level') ?? 1),
        ariaLabel: row.getAttribute('aria-label') ?? '',
        seen: `${seen(label).trim()}  ${seen(description).trim()}`.trim(),
      };
    }));
  }

  /** Waits for a notification toast whose message matches `message`; returns its text. */
  async notification(message: RegExp, timeoutMs = 15000): Promise<string> {
    const toast = this.page.locator('.notifications-toasts .notification-toast').filter({ has: this.page.locator('.notification-list-item-message', { hasText: message }) }).first();
    await toast.waitFor({ state: 'visible', timeout: timeoutMs }).catch(async () => {
      const seen = await this.page.locator('.notifications-toasts .notification-list-item-message').allTextContents();
      throw new Error(`no notification matching ${message} within ${timeoutMs / 1000} s (shown: ${JSON.stringify(seen)})`);
    });
    return normalise(await toast.locator('.notification-list-item-message').innerText());
  }

  /** The buttons of the notification matching `message`, as labelled. */
  async notificationButtons(message: RegExp): Promise<string[]> {
    const toast = this.page.locator('.notifications-toasts .notification-toast').filter({ has: this.page.locator('.notification-list-item-message', { hasText: message }) }).first();
    return (await toast.locator('.notification-list-item-buttons-container .monaco-button').allTextContents()).map((t) => t.trim());
  }

  /** Clicks the button `label` of the notification matching `message`. */
  async clickNotificationButton(message: RegExp, label: string): Promise<void> {
    const toast = this.page.locator('.notifications-toasts .notification-toast').filter({ has: this.page.locator('.notification-list-item-message', { hasText: message }) }).first();
    await toast.locator('.notification-list-item-buttons-container .monaco-button', { hasText: exactly(label) }).first().click({ timeout: 10000 });
  }

  /** Clicks the row of the open quick input (palette, quick pick) whose label is exactly `label`. */
  async pickQuickInputRow(label: string, timeoutMs = 15000): Promise<void> {
    const row = this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: exactly(label) }) }).first();
    await row.waitFor({ state: 'visible', timeout: timeoutMs }).catch(async () => {
      const seen = await this.page.locator('.quick-input-list .monaco-list-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? ''));
      throw new Error(`the quick input shows no row "${label}" after ${timeoutMs / 1000} s (rows: ${JSON.stringify(seen)})`);
    });
    await row.click();
  }

  /**
   * Answers a save dialog. In the browser VS Code's save dialog is the "simple file dialog": a
   * quick input holding the path. Types `file` (absolute, on the server's file system) and accepts.
   */
  async answerSaveDialog(file: string, timeoutMs = 15000): Promise<void> {
    const widget = this.page.locator('.quick-input-widget');
    const input = widget.locator('.quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: timeoutMs });
    // The dialog fills in the default path and lists its folder asynchronously; typing before it
    // is done gets overwritten (seen: the default name was saved). Wait for both, then replace the
    // path as a user would (select all, type) and accept once the value has held for a moment.
    for (const deadline = Date.now() + timeoutMs; ; await sleep(100)) {
      const ready = (await input.inputValue()).length > 0 && await widget.locator('.quick-input-list .monaco-list-row').count() > 0;
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`the save dialog never showed its default path and folder in ${timeoutMs / 1000} s`);
    }
    await input.click();
    await this.page.keyboard.press('Control+A');
    await this.page.keyboard.type(file);
    await expectValue(input, file, 5000);
    await sleep(300);
    await expectValue(input, file, 0);
    // Enter is sometimes swallowed while the dialog re-lists the folder for the typed path (seen twice
    // in ~10 runs): click its OK button, and again while it stays open.
    const ok = widget.locator('.monaco-button', { hasText: /^OK$/ }).first();
    for (const deadline = Date.now() + timeoutMs; ;) {
      if (await ok.isVisible()) await ok.click({ timeout: 2000 }).catch(() => undefined);
      else await this.page.keyboard.press('Enter');
      if (await widget.waitFor({ state: 'hidden', timeout: 3000 }).then(() => true, () => false)) return;
      if (Date.now() > deadline) break;
      await expectValue(input, file, 0);
    }
    const message = await widget.locator('.quick-input-message').textContent().catch(() => '');
    throw new Error(`the save dialog did not accept ${file} (it says: ${message ?? ''})`);
  }

  /**
   * Switches the colour theme the way a user does ("Preferences: Color Theme", pick the theme) and
   * waits until the workbench wears it: `kind` is the class VS Code puts on .monaco-workbench
   * (`vs` light, `vs-dark`, `hc-black`, `hc-light`).
   */
  async setColorTheme(label: string, kind: 'vs' | 'vs-dark' | 'hc-black' | 'hc-light', timeoutMs = 30000): Promise<void> {
    await this.runCommand('Preferences: Color Theme');
    // Filter first: the list is taller than the widget, and a row below its fold (Dark High Contrast
    // is the last) is in the DOM but never becomes visible to click (seen once in npm test).
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 15000 });
    await input.fill(label);
    await this.pickQuickInputRow(label);
    await this.page.locator(`.monaco-workbench.${kind}`).waitFor({ timeout: timeoutMs }).catch(async () => {
      const classes = await this.page.locator('.monaco-workbench').getAttribute('class');
      throw new Error(`picked the theme "${label}" but the workbench is not "${kind}" after ${timeoutMs / 1000} s (classes: ${classes ?? ''})`);
    });
  }

  /**
   * The lines the active terminal shows (its viewport). Needs `terminal.integrated.gpuAcceleration:
   * "off"`: only xterm's DOM renderer puts the text into the page (WebGL/canvas draw pixels).
   */
  async terminalText(): Promise<string> {
    const rows = this.page.locator('.part.panel .terminal-wrapper.active .xterm-rows > div');
    const lines = await rows.evaluateAll((elements) => elements.map((e) => e.textContent ?? ''));
    return lines.map((line) => line.replace(/\u00a0/g, ' ').trimEnd()).join('\n').trim();
  }

  /** Polls terminalText until `pattern` matches; the error carries the last text seen. */
  async waitForTerminalText(pattern: RegExp, timeoutMs = 30000): Promise<string> {
    let text = '';
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(250)) {
      text = await this.terminalText();
      if (pattern.test(text)) return text;
    }
    throw new Error(`the terminal never showed ${pattern} in ${timeoutMs / 1000} s; it shows:\n${text}`);
  }

  /** Saves a screenshot (the page, or one element) as test-results/e2e/<file>; returns its path. */
  async screenshot(file: string, target?: Locator): Promise<string> {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const out = path.join(RESULTS_DIR, file);
    // No hover tooltip from wherever the last click left the mouse.
    await this.page.mouse.move(700, 4);
    if (target) await target.screenshot({ path: out });
    else await this.page.screenshot({ path: out });
    return out;
  }

  /** Browser errors seen so far (page errors and console errors of every frame). */
  get errors(): readonly string[] {
    return this.pageErrors;
  }

  /** Screenshot, page errors, server log and VS Code's logs into test-results/e2e/<name>-<label>*. */
  async captureFailure(label: string): Promise<void> {
    const base = path.join(RESULTS_DIR, `${this.options.name}-${label.replace(/[^\w.-]+/g, '_')}`);
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    await this.page.screenshot({ path: `${base}.png` }).catch((error: unknown) => console.log(`[e2e] no screenshot: ${String(error)}`));
    fs.writeFileSync(`${base}.page-errors.txt`, this.pageErrors.join('\n') + '\n');
    await copyServerArtefacts(this.server, `${this.options.name}-${label.replace(/[^\w.-]+/g, '_')}`);
    console.log(`[e2e] failure artefacts: ${path.relative(ROOT, base)}.*`);
  }

  /** Closes the browser, stops the server's whole process group, removes the scratch folders. */
  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
    await this.server.stop();
    fs.rmSync(this.workspace, { recursive: true, force: true });
  }

  private viewPane(viewName: string): Locator {
    // The header is there (hidden) even when the container shows one view under its own title. Its
    // aria-label holds the view's description too (the tree's process count), its h3 the name alone.
    return this.page.locator('.part.sidebar .pane').filter({ has: this.page.locator('.pane-header h3.title', { hasText: exactly(viewName) }) });
  }

  private async closeQuickInput(): Promise<void> {
    const quickInput = this.page.locator('.quick-input-widget');
    if (!await quickInput.isVisible()) return;
    await this.page.keyboard.press('Escape');
    await quickInput.waitFor({ state: 'hidden', timeout: 2000 }).catch(() => undefined);
  }
}

/**
 * The welcome texts package.json declares for a view, as the workbench renders them: one line per
 * paragraph, `[label](command:…)` links shown as their label.
 */
export function declaredWelcomeTexts(viewId: string): string[] {
  return (MANIFEST.contributes?.viewsWelcome ?? [])
    .filter((welcome) => welcome.view === viewId)
    .map((welcome) => normalise(welcome.contents.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').split('\n').map((line) => line.trim()).join('\n')));
}

function findView(viewId: string): { container: { id: string; title: string }; view: { id: string; name: string } } {
  const contributes = MANIFEST.contributes ?? {};
  for (const [containerId, views] of Object.entries(contributes.views ?? {})) {
    const view = views.find((v) => v.id === viewId);
    if (!view) continue;
    const containers = Object.values(contributes.viewsContainers ?? {}).flat();
    const container = containers.find((c) => c.id === containerId) ?? { id: containerId, title: containerId === 'explorer' ? 'Explorer' : containerId };
    return { container, view };
  }
  throw new Error(`package.json contributes no view "${viewId}"`);
}

async function copyServerArtefacts(server: RunningServer, base: string): Promise<void> {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  fs.copyFileSync(server.logFile, path.join(RESULTS_DIR, `${base}.server.log`));
  const logs = path.join(server.userDataDir, 'logs');
  if (fs.existsSync(logs)) fs.cpSync(logs, path.join(RESULTS_DIR, `${base}.vscode-logs`), { recursive: true });
}

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => entry.isDirectory() ? listFiles(path.join(dir, entry.name)) : [path.join(dir, entry.name)]);
}

async function appears(locator: Locator, timeoutMs: number): Promise<boolean> {
  return locator.waitFor({ state: 'visible', timeout: timeoutMs }).then(() => true, () => false);
}

async function expectValue(input: Locator, value: string, timeoutMs: number): Promise<void> {
  let current = '';
  for (const deadline = Date.now() + timeoutMs; ; await sleep(100)) {
    current = await input.inputValue();
    if (current === value) return;
    if (Date.now() >= deadline) break;
  }
  throw new Error(`the input holds "${current}", not "${value}"`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function exactly(text: string): RegExp {
  return new RegExp(`^\\s*${escapeRegExp(text)}\\s*$`);
}

function normalise(text: string): string {
  return text.replace(/\u00a0/g, ' ').replace(/[ \t]+/g, ' ').replace(/\s*\n\s*/g, '\n').trim();
}

/** node:test's TestContext has `passed` at run time (node 20.12+), not in @types/node 20. */
export function testFailed(context: unknown): boolean {
  return typeof context === 'object' && context !== null && 'passed' in context && context.passed === false;
}

/** An edge of the graph webview as drawn: its id, CSS classes, age label and disconnect badge. */
export interface GraphEdge {
  id: string;
  classes: string[];
  age: string;
  /** The badge text when the badge is shown, else null. */
  badge: string | null;
}

/** The edges the graph webview draws (its SVG: g.edge and the g.edge-label of the same data-id). */
export async function graphEdges(frame: Frame): Promise<GraphEdge[]> {
  return frame.evaluate(() => [...document.querySelectorAll('#graph g.edge')].map((edge) => {
    const id = edge.getAttribute('data-id') ?? '';
    const label = [...document.querySelectorAll('#graph g.edge-label')].find((l) => l.getAttribute('data-id') === id);
    const badge = label?.querySelector('g.badge');
    return {
      id,
      classes: (edge.getAttribute('class') ?? '').split(/\s+/),
      age: label?.querySelector('text.edge-age')?.textContent ?? '',
      badge: badge && getComputedStyle(badge).display !== 'none' ? badge.textContent : null,
    };
  }));
}

/** The process boxes' titles the graph draws ("broker (pid 4242)"). */
export async function graphGroups(frame: Frame): Promise<string[]> {
  return frame.locator('#graph g.group text.group-label').allTextContents();
}

/** An edge's state from its class (state-connected → connected). */
export const edgeState = (edge: GraphEdge): string => edge.classes.find((c) => c.startsWith('state-'))?.slice('state-'.length) ?? '';

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** Every process below `root` (children, their children, …) among `pids`. */
function descendants(root: number, pids: number[]): number[] {
  const parentOf = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      parentOf.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const below = (pid: number): boolean => {
    for (let p = parentOf.get(pid); p !== undefined && p > 1; p = parentOf.get(p)) if (p === root) return true;
    return false;
  };
  return pids.filter(below);
}

/** Running and not a zombie (a zombie has exited; only its parent has not reaped it yet). */
export function processRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Running processes whose working directory is `dir` (or was, when it has been removed since), e.g.
 * what a terminal of the workbench started there: terminals run in sessions of their own (node-pty),
 * outside code-server's process group that close() kills.
 */
export function processesIn(dir: string): Array<{ pid: number; command: string }> {
  const found: Array<{ pid: number; command: string }> = [];
  // /proc shows a process's cwd resolved: compare with the folder resolved too (a checkout may reach it
  // through a symlink). A folder already removed stays as given: /proc then shows it with " (deleted)".
  try {
    dir = fs.realpathSync(dir);
  } catch {
    // removed meanwhile
  }
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
      if (cwd !== dir && !cwd.startsWith(`${dir}/`) && cwd !== `${dir} (deleted)`) continue;
      if (!processRunning(Number(entry))) continue;
      found.push({ pid: Number(entry), command: fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim() });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** The installed extension's folder in the server's extensions folder. */
export function installedExtension(wb: Workbench): string {
  const dirs = fs.readdirSync(wb.server.extensionsDir).filter((d) => d.startsWith(`${MANIFEST.publisher}.${MANIFEST.name}-`));
  if (dirs.length !== 1) throw new Error(`expected one installed ${MANIFEST.name} in ${wb.server.extensionsDir}: ${dirs.join(', ')}`);
  return path.join(wb.server.extensionsDir, dirs[0]!);
}
