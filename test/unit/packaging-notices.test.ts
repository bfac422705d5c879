import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8');

test('the third-party notices name the bundled elkjs as installed, with its whole licence, and the .vsix ships them', () => {
  const notices = read('THIRD_PARTY_NOTICES.md');
  const elk = JSON.parse(read('node_modules/elkjs/package.json')) as { version: string; license: string };
  assert.ok(notices.includes(`## elkjs ${elk.version} `), `the notice names elkjs ${elk.version} (the version bundled)`);
  assert.ok(notices.includes(`Licence: ${elk.license} (SPDX)`), `the notice gives the licence as the package does: ${elk.license}`);
  // The licence text as elkjs ships it (headings moved under the notice's own).
  const licence = read('node_modules/elkjs/LICENSE.md').replace(/^#+ /gm, '');
  assert.ok(notices.replace(/^#+ /gm, '').includes(licence.trim()), 'the whole EPL-2.0 text is there');
  assert.match(read('.vscodeignore'), /^!THIRD_PARTY_NOTICES\.md$/m, '.vscodeignore lets it into the .vsix');
  assert.match(read('scripts/package.js'), /'extension\/THIRD_PARTY_NOTICES\.md'/, 'scripts/package.js fails a .vsix without it');
});

test('the third-party notices name every d3 module the webview bundles (its imports and theirs), as installed, with its licence text', () => {
  const notices = read('THIRD_PARTY_NOTICES.md');
  const bundled = new Map<string, { version: string; license: string; dependencies?: Record<string, string> }>();
  const walk = (name: string): void => {
    if (bundled.has(name)) return;
    const manifest = JSON.parse(read(`node_modules/${name}/package.json`)) as { version: string; license: string; dependencies?: Record<string, string> };
    bundled.set(name, manifest);
    for (const dependency of Object.keys(manifest.dependencies ?? {})) walk(dependency);
  };
  for (const file of fs.readdirSync(path.join(ROOT, 'webview')).filter((f) => f.endsWith('.ts'))) {
    for (const m of read(`webview/${file}`).matchAll(/from '(d3-[a-z]+)'/g)) walk(m[1]!);
  }
  assert.ok(bundled.size >= 4, `the webview imports d3 modules: ${[...bundled.keys()].join(', ')}`);
  for (const [name, manifest] of bundled) {
    const at = notices.indexOf(`### ${name} ${manifest.version}\n`);
    assert.ok(at >= 0, `${name} ${manifest.version} has a notice`);
    const next = notices.indexOf('\n### ', at + 1);
    const section = notices.slice(at, next < 0 ? undefined : next);
    assert.ok(section.includes(`Licence: ${manifest.license} (SPDX)`), `${name}: licence as the package says (${manifest.license})`);
    assert.ok(section.includes(read(`node_modules/${name}/LICENSE`).trim()), `${name}: its licence text`);
  }
});
