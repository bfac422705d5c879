/**
 * The benchmarks still run: `scripts/bench.js --quick` for agent, ingest, replay and graph writes one
 * well-formed result file each. Whether targets are met is for `npm run bench` and
 * docs/PERFORMANCE.md, not for a test on a shared machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BENCHMARKS = ['agent', 'ingest', 'replay', 'graph'];

function isSummary(x: unknown): boolean {
  if (typeof x !== 'object' || x === null) return false;
  const s = x as Record<string, unknown>;
  return ['median', 'min', 'max', 'n'].every((k) => typeof s[k] === 'number') && Number.isFinite(s.median) && (s.n as number) >= 1
    && (s.min as number) <= (s.median as number) && (s.median as number) <= (s.max as number);
}

test('npm run bench -- --quick --only agent,ingest,replay,graph writes well-formed results', { timeout: 180_000 }, async () => {
  const resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zmq-topology-bench-'));
  try {
    const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'bench.js'), '--quick', '--only', BENCHMARKS.join(',')], {
      cwd: ROOT, env: { ...process.env, ZMQ_TOPOLOGY_BENCH_RESULTS: resultsDir }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, `scripts/bench.js --quick failed:\n${output.slice(-6000)}`);

    for (const name of BENCHMARKS) {
      const file = path.join(resultsDir, `${name}.json`);
      assert.ok(fs.existsSync(file), `${name}.json was written`);
      const result = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      assert.equal(result.schema, 1);
      assert.equal(result.benchmark, name);
      assert.equal(result.mode, 'quick');
      assert.ok(typeof result.startedAt === 'string' && !Number.isNaN(Date.parse(result.startedAt)), 'startedAt is a date');
      const machine = result.machine as Record<string, unknown>;
      assert.ok(typeof machine.nproc === 'number' && typeof machine.cpuModel === 'string' && typeof machine.node === 'string', 'machine described');
      assert.equal(machine.shared, true);
      const rows = result.rows as Record<string, unknown>[];
      assert.ok(Array.isArray(rows) && rows.length > 0, `${name} has rows`);
      for (const row of rows) {
        const label = `${name}: ${String(row.group)} / ${String(row.metric)}`;
        assert.ok(typeof row.group === 'string' && typeof row.metric === 'string' && typeof row.unit === 'string', label);
        assert.ok(isSummary(row.value), `${label}: value is {median, min, max, n} with a finite median: ${JSON.stringify(row.value)}`);
        if (row.target !== undefined) {
          const target = row.target as Record<string, unknown>;
          assert.ok(typeof target.text === 'string' && typeof target.met === 'boolean', `${label}: target`);
        }
      }
      assert.ok(rows.some((r) => r.target !== undefined), `${name} checks at least one target`);
      if (name === 'agent') {
        // The collector-gone memory is judged on both processes of the Node pair, each from its own samples.
        for (const who of ['ROUTER', 'DEALER']) {
          const judged = rows.find((r) => String(r.metric) === `${who} RSS outside V8's young generation, first → last sample, agent − plain`);
          assert.ok(judged?.target !== undefined, `agent: ${who}'s collector-gone RSS is judged`);
          assert.ok(rows.some((r) => String(r.metric) === `${who} V8 young generation at the end, with the agent`), `agent: ${who}'s young generation is shown`);
        }
      }
      assert.ok(Array.isArray(result.notes), `${name} has notes`);
    }
  } finally {
    fs.rmSync(resultsDir, { recursive: true, force: true });
  }
});
