#!/usr/bin/env node
// @ts-check
// Packages the extension as a .vsix with @vscode/vsce, shipping node_modules/zeromq (kept external by
// webpack, docs/ARCHITECTURE.md invariant 5) with only this platform's native addons, then proves the packaged
// zeromq loads from a plain node process.
//
//   node scripts/package.js [--out file.vsix]
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const BUNDLES = ['extension.js', 'agent.js', 'cli.js', 'webview.js'];
const ZEROMQ = path.join(ROOT, 'node_modules', 'zeromq');
// Everything that ends up in the .vsix: a .vsix older than any of these is stale.
const PACKAGED_INPUTS = ['package.json', 'README.md', 'THIRD_PARTY_NOTICES.md', '.vscodeignore', 'dist', 'media', 'webview/style.css', 'agents/python', 'examples/demo', 'node_modules/zeromq/package.json'];
// Inside the .vsix: must be there, and must not.
const REQUIRED_ENTRIES = [
  'extension/package.json',
  // The licence notices of bundled third-party code (elkjs, EPL-2.0, in the webview).
  'extension/THIRD_PARTY_NOTICES.md',
  ...BUNDLES.map((bundle) => `extension/dist/${bundle}`),
  'extension/node_modules/zeromq/package.json',
  'extension/node_modules/zeromq/lib/index.js',
  'extension/node_modules/zeromq/build/manifest.json',
  'extension/node_modules/cmake-ts/build/loader.js',
];
const FORBIDDEN_ENTRY = /^extension\/(src|test|out|bench|scripts|\.cache|\.ci|\.vscode|test-results|node_modules\/(?!zeromq\/|cmake-ts\/))\/|\.ts$|\.map$/;

/** @param {number} since */
const seconds = (since) => ((Date.now() - since) / 1000).toFixed(1);
/** @param {number} bytes */
const size = (bytes) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(0)} kB`);

/** @param {string} file */
function newestMtime(file) {
  if (!fs.existsSync(file)) return 0;
  const stat = fs.statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return fs.readdirSync(file).reduce((newest, entry) => Math.max(newest, newestMtime(path.join(file, entry))), stat.mtimeMs);
}

/** @param {string} vsix true when the .vsix is newer than everything that goes into it */
function isFresh(vsix) {
  if (!fs.existsSync(vsix)) return false;
  const built = fs.statSync(vsix).mtimeMs;
  return PACKAGED_INPUTS.every((input) => newestMtime(path.join(ROOT, input)) < built);
}

function ensureBundles() {
  const missing = BUNDLES.filter((bundle) => !fs.existsSync(path.join(ROOT, 'dist', bundle)));
  if (missing.length === 0) return;
  const started = Date.now();
  console.log(`dist/ lacks ${missing.join(', ')}: running webpack (~30-60 s)…`);
  const webpack = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'webpack', 'bin', 'webpack.js'), '--mode', 'production'], { cwd: ROOT, stdio: 'inherit' });
  if (webpack.status !== 0) throw new Error('webpack failed; see the errors above');
  const stillMissing = BUNDLES.filter((bundle) => !fs.existsSync(path.join(ROOT, 'dist', bundle)));
  if (stillMissing.length) throw new Error(`webpack did not produce dist/${stillMissing.join(', dist/')}`);
  console.log(`webpack done in ${seconds(started)} s`);
}

/** The libc the way cmake-ts's loader tells them apart when it picks an addon. */
function libc() {
  if (process.platform === 'linux') return fs.existsSync('/etc/alpine-release') ? 'musl' : 'glibc';
  return { darwin: 'libc', win32: 'msvc' }[process.platform] ?? 'unknown';
}

/**
 * The addons zeromq's manifest offers this platform (one per node ABI it was built for; the loader
 * tries them newest first). Folders outside the manifest are never loaded and stay out.
 * @returns {string[]} paths relative to node_modules/zeromq/build
 */
function nativeAddons() {
  const manifest = JSON.parse(fs.readFileSync(path.join(ZEROMQ, 'build', 'manifest.json'), 'utf8'));
  const addons = Object.entries(manifest)
    .filter(([key]) => {
      const config = JSON.parse(key);
      return config.os === process.platform && config.arch === process.arch && config.libc === libc();
    })
    .map(([, addon]) => String(addon).replace(/\\/g, '/'));
  if (addons.length === 0) throw new Error(`zeromq ships no addon for ${process.platform} ${process.arch} ${libc()}`);
  return addons;
}

/** The VS Code target platform of this machine: the .vsix only works where its addons load. */
function vsceTarget() {
  const os = process.platform === 'linux' && libc() === 'musl' ? 'alpine' : process.platform;
  return `${os}-${process.arch}`;
}

/**
 * .vscodeignore is the static allowlist; the native addons depend on the machine, so vsce gets a
 * copy with this platform's addons re-included.
 * @param {string[]} addons
 */
function writeIgnoreFile(addons) {
  const dir = path.join(ROOT, '.cache', 'package');
  fs.mkdirSync(dir, { recursive: true });
  const ignoreFile = path.join(dir, `vscodeignore-${process.pid}`);
  const extra = addons.map((addon) => `!node_modules/zeromq/build/${addon}`);
  fs.writeFileSync(ignoreFile, `${fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8')}\n# added by scripts/package.js for ${vsceTarget()}\n${extra.join('\n')}\n`);
  return ignoreFile;
}

/** yauzl comes with @vscode/vsce (it reads .vsix files); no extra dependency for reading our own. */
function yauzl() {
  const vsceDir = path.dirname(require.resolve('@vscode/vsce/package.json', { paths: [ROOT] }));
  return require(require.resolve('yauzl', { paths: [vsceDir] }));
}

/**
 * The part of yauzl's API used here.
 * @typedef {{ fileName: string, uncompressedSize: number, compressedSize: number }} YauzlEntry
 * @typedef {import('node:events').EventEmitter & {
 *   readEntry(): void,
 *   openReadStream(entry: YauzlEntry, callback: (error: Error | null, stream: NodeJS.ReadableStream) => void): void,
 * }} YauzlZipFile
 */

/**
 * @typedef {{ name: string, size: number, compressedSize: number }} ZipEntry
 * @param {string} zipFile
 * @param {string} [extractTo] when given, files are written there too
 * @returns {Promise<ZipEntry[]>}
 */
function readZip(zipFile, extractTo) {
  return new Promise((resolve, reject) => {
    yauzl().open(zipFile, { lazyEntries: true }, (/** @type {Error | null} */ openError, /** @type {YauzlZipFile} */ zip) => {
      if (openError) return reject(openError);
      /** @type {ZipEntry[]} */
      const entries = [];
      zip.on('error', reject);
      zip.on('end', () => resolve(entries));
      zip.on('entry', (/** @type {YauzlEntry} */ entry) => {
        entries.push({ name: entry.fileName, size: entry.uncompressedSize, compressedSize: entry.compressedSize });
        if (!extractTo || entry.fileName.endsWith('/')) return zip.readEntry();
        const target = path.join(extractTo, entry.fileName);
        if (!target.startsWith(extractTo + path.sep)) return reject(new Error(`unsafe path in zip: ${entry.fileName}`));
        fs.mkdirSync(path.dirname(target), { recursive: true });
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError) return reject(streamError);
          stream.pipe(fs.createWriteStream(target)).once('finish', () => zip.readEntry()).once('error', reject);
        });
      });
      zip.readEntry();
    });
  });
}

/**
 * Unpacks the .vsix and requires its zeromq from a plain node process far from the repo's
 * node_modules: proves the package carries everything zeromq's loader needs.
 * @param {string} vsix
 */
async function verifyZeromqLoads(vsix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zmq-topology-vsix-'));
  try {
    await readZip(vsix, dir);
    const zeromq = path.join(dir, 'extension', 'node_modules', 'zeromq');
    const probe = `const zmq = require(${JSON.stringify(zeromq)});
      const socket = new zmq.Dealer(); socket.close();
      console.log('libzmq ' + zmq.version + ', draft ' + zmq.capability.draft + ', from ' + require.resolve(${JSON.stringify(zeromq)}));`;
    const env = { ...process.env };
    delete env.NODE_PATH;
    delete env.NODE_OPTIONS;
    const result = spawnSync(process.execPath, ['-e', probe], { cwd: dir, env, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`the packaged zeromq does not load:\n${result.stderr}`);
    return result.stdout.trim();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** @param {ZipEntry[]} entries */
function checkEntries(entries) {
  const names = new Set(entries.map((entry) => entry.name));
  const missing = REQUIRED_ENTRIES.filter((name) => !names.has(name));
  if (!entries.some((entry) => entry.name.endsWith('.node'))) missing.push('a zeromq addon.node');
  const forbidden = entries.map((entry) => entry.name).filter((name) => FORBIDDEN_ENTRY.test(name));
  if (missing.length || forbidden.length) {
    throw new Error(`the .vsix is wrong:${missing.length ? `\n  missing: ${missing.join(', ')}` : ''}`
      + `${forbidden.length ? `\n  must not contain: ${forbidden.slice(0, 20).join(', ')}` : ''}`);
  }
}

/** @param {string} vsix @param {ZipEntry[]} entries */
function report(vsix, entries) {
  const total = entries.reduce((sum, entry) => sum + entry.size, 0);
  console.log(`\n${path.relative(process.cwd(), vsix)}: ${size(fs.statSync(vsix).size)} (${entries.length} files, ${size(total)} unpacked)`);
  console.log('biggest entries (unpacked / in the .vsix):');
  for (const entry of [...entries].sort((a, b) => b.size - a.size).slice(0, 12)) {
    console.log(`  ${size(entry.size).padStart(9)} ${size(entry.compressedSize).padStart(9)}  ${entry.name}`);
  }
}

/**
 * @param {{ out?: string }} [options]
 * @returns {Promise<string>} the .vsix path
 */
async function packageExtension({ out } = {}) {
  const started = Date.now();
  ensureBundles();
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const target = vsceTarget();
  const vsix = path.resolve(out ?? path.join(ROOT, `${manifest.name}-${target}-${manifest.version}.vsix`));
  const addons = nativeAddons();
  const ignoreFile = writeIgnoreFile(addons);
  console.log(`packaging ${path.basename(vsix)} with @vscode/vsce (target ${target}, zeromq addons: ${addons.join(', ')})…`);
  const { createVSIX } = require(require.resolve('@vscode/vsce', { paths: [ROOT] }));
  try {
    await createVSIX({
      cwd: ROOT,
      packagePath: vsix,
      target,
      ignoreFile,
      dependencies: true, // node_modules of the production dependencies, filtered by the ignore file
      skipLicense: !['LICENSE', 'LICENSE.md', 'LICENSE.txt'].some((name) => fs.existsSync(path.join(ROOT, name))),
      // README links point at docs/ in the repository: there is no public repository to point at yet.
      baseContentUrl: `${String(manifest.repository?.url ?? 'https://example.invalid').replace(/\.git$/, '')}/blob/HEAD`,
    });
  } finally {
    fs.rmSync(ignoreFile, { force: true });
  }
  console.log(`packaged in ${seconds(started)} s; checking its contents…`);
  const entries = await readZip(vsix);
  checkEntries(entries);
  report(vsix, entries);
  console.log(`packaged zeromq loads: ${await verifyZeromqLoads(vsix)}`);
  return vsix;
}

module.exports = { packageExtension, isFresh, vsceTarget };

if (require.main === module) {
  const outFlag = process.argv.indexOf('--out');
  packageExtension({ out: outFlag > 0 ? process.argv[outFlag + 1] : undefined }).catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
