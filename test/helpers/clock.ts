/**
 * Processes whose wall clocks disagree, as on a machine whose clock was stepped after some of its
 * processes started (a laptop resumed from suspend, an NTP step, a VM restored): libfaketime moves
 * the process's wall clock and leaves its monotonic clock alone, as a step does.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** libfaketime's preload library, from Debian's `faketime` package, wherever the architecture puts it. */
function findLibFaketime(): string | undefined {
  const lib = '/usr/lib';
  if (!fs.existsSync(lib)) return undefined;
  for (const dir of fs.readdirSync(lib)) {
    const candidate = path.join(lib, dir, 'faketime', 'libfaketime.so.1');
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

const LIB_FAKETIME = findLibFaketime();

/** Environment for a child whose wall clock runs `seconds` ahead (negative: behind) of the machine's. */
export function wallClockOff(seconds: number): Record<string, string> {
  assert.ok(LIB_FAKETIME, 'libfaketime was not found (/usr/lib/*/faketime/libfaketime.so.1): install it, e.g. `apt-get install -y faketime` (.ci/run does)');
  return {
    LD_PRELOAD: LIB_FAKETIME,
    FAKETIME: `${seconds >= 0 ? '+' : ''}${seconds}`,
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}
