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
