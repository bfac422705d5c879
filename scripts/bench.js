#!/usr/bin/env node
// @ts-check
// `npm run bench`: runs the benchmarks in bench/ one after another, each in its own Node process
// (with --expose-gc, for the memory figures). Each prints its table and writes bench/results/<name>.json.
//
//   node scripts/bench.js [--quick] [--only agent,instructions,ingest,replay,graph,screen,activation] [--profile]
//
// --quick runs each briefly (a smoke test: numbers are not figures). Benchmarks: agent, ingest, graph,
// and in real VS Code (code-server + chromium, the e2e harness; the .vsix is packaged from dist/ as it
// is, so `npm run build` first): screen (disconnect/late → webview) and activation (+ .vsix size).
// docs/PERFORMANCE.md says what each measures and the latest results.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const BENCHMARKS = ['agent', 'instructions', 'ingest', 'replay', 'graph', 'screen', 'activation'];
/** What the compiled benchmarks need besides their own sources (tsc emits them all to out/). */
const SOURCES = ['bench', 'src', path.join('test', 'browser'), path.join('test', 'e2e')];

const args = process.argv.slice(2);
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? (args[onlyIndex + 1] ?? '').split(',').filter(Boolean) : BENCHMARKS;
const unknown = only.filter((name) => !BENCHMARKS.includes(name));
if (unknown.length > 0 || only.length === 0) {
  console.error(`unknown benchmark(s) ${unknown.join(', ') || '(none given)'}; known: ${BENCHMARKS.join(', ')}`);
  process.exit(2);
}
const passOn = args.filter((a) => a === '--quick' || a === '--profile');

/** @param {string} dir @returns {number} */
function newestTs(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestTs(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** Compiles when out/bench is missing or older than the TypeScript it is built from. */
function ensureCompiled() {
  const compiled = only.map((name) => path.join(ROOT, 'out', 'bench', `${name}.js`));
  const oldest = Math.min(...compiled.map((file) => (fs.existsSync(file) ? fs.statSync(file).mtimeMs : 0)));
  if (oldest >= Math.max(...SOURCES.map((dir) => newestTs(path.join(ROOT, dir))))) return;
  console.log('compiling (npx tsc -p .)…');
  // Errors elsewhere in the tree (work in progress) do not stop tsc from emitting; a missing output does.
  spawnSync('npx', ['tsc', '-p', '.'], { cwd: ROOT, stdio: 'inherit' });
  const missing = compiled.filter((file) => !fs.existsSync(file));
  if (missing.length > 0) {
    console.error(`tsc did not emit ${missing.map((f) => path.relative(ROOT, f)).join(', ')}`);
    process.exit(1);
  }
}

ensureCompiled();
let failed = 0;
const started = Date.now();
for (const name of only) {
  console.log(`\n=== bench ${name}${passOn.length ? ` ${passOn.join(' ')}` : ''}`);
  const t0 = Date.now();
  const result = spawnSync(process.execPath, ['--expose-gc', path.join(ROOT, 'out', 'bench', `${name}.js`), ...passOn], { cwd: ROOT, stdio: 'inherit' });
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  if (result.status !== 0) {
    failed++;
    console.error(`bench ${name} failed (${result.signal ?? result.status}) after ${seconds} s`);
  } else {
    console.log(`bench ${name}: ${seconds} s`);
  }
}
console.log(`\n${only.length - failed} of ${only.length} benchmark(s) ran in ${((Date.now() - started) / 1000).toFixed(1)} s; results in bench/results/`);
process.exit(failed > 0 ? 1 : 0);
