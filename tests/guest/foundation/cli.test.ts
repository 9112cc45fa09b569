/** The CLI against the loaded module: two process spawns, kept few on purpose. */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../../userland/src/version.js';
import { ensureLoaded, runAsync } from '../helpers.js';

const bin = join(import.meta.dirname, '../../../bin/mpool.js');

beforeAll(() => ensureLoaded());

describe('mpool CLI in the guest', () => {
  it('mpool --version', async () => {
    expect((await runAsync(bin, ['--version'])).stdout.trim()).toBe(VERSION);
  });

  it('mpool list --json on no pools', async () => {
    expect(JSON.parse((await runAsync(bin, ['list', '--json'])).stdout)).toEqual([]);
  });
});
