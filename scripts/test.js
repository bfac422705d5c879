#!/usr/bin/env node
// Runs the test suites one after another with Node's test runner, prints how long each took and
// closes with one "N passed, N failed" line over all of them. `npm test -- unit integration` runs a subset.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const SUITES = ['unit', 'integration', 'browser', 'e2e'];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const suites = wanted.length ? wanted : SUITES;

function testFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? testFiles(p) : e.name.endsWith('.test.js') ? [p] : [];
  }).sort();
}

/** Runs one suite, streaming its output (long first-run installs show progress) while keeping it to count. */
function runSuite(files, concurrency) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], {
      cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FORCE_COLOR: '0' },
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      output += chunk;
    });
    child.on('close', (status) => resolve({ status, output }));
  });
}

async function main() {
  let passed = 0, failed = 0, skipped = 0;
  const timings = [];
  for (const suite of suites) {
    if (!SUITES.includes(suite)) { console.error(`unknown suite "${suite}" (known: ${SUITES.join(', ')})`); process.exit(2); }
    const files = testFiles(path.join(root, 'out', 'test', suite));
    if (files.length === 0) { timings.push(`${suite}: no test files`); continue; }
    console.log(`\n=== ${suite}: ${files.length} file(s)`);
    const t0 = Date.now();
    // Integration and e2e suites start processes and bind ports: one file at a time keeps 2 cores honest.
    const { status, output } = await runSuite(files, suite === 'unit' ? 2 : 1);
    const count = (name) => Number((output.match(new RegExp(`^ℹ ${name} (\\d+)$`, 'm')) ?? [])[1] ?? 0);
    const p = count('pass'), f = count('fail') + count('cancelled'), s = count('skipped') + count('todo');
    passed += p; failed += f; skipped += s;
    if (status !== 0 && f === 0) failed += 1; // a crash outside any test still fails the run
    timings.push(`${suite}: ${p} passed, ${f} failed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  console.log('\n=== suite timings');
  for (const t of timings) console.log(`  ${t}`);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed > 0 ? 1 : 0);
}

main();
