/** The CLI against the loaded module: two process spawns, kept few on purpose. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../../userland/src/version.js';
import { ensureLoaded } from '../helpers.js';

const bin = join(import.meta.dirname, '../../../bin/mpool.js');

beforeAll(() => ensureLoaded());

describe('mpool CLI in the guest', () => {
  it('mpool --version', () => {
    expect(execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()).toBe(VERSION);
  });

  it('mpool list --json on no pools', () => {
    expect(JSON.parse(execFileSync(bin, ['list', '--json'], { encoding: 'utf8' }))).toEqual([]);
  });
});
