/** The CLI against the loaded module: two process spawns, kept few on purpose. */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../../userland/src/version.js';
import { ensureLoaded, runAsync } from '../helpers.js';

const bin = join(import.meta.dirname, '../../../bin/mpool.js');

beforeAll(() => ensureLoaded());

describe('mpool CLI in the guest', () => {
  it('mpool --version', async () => {
    const r = await runAsync(bin, ['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
  });

  it('mpool --json list on no pools: [], exit 0', async () => {
    const r = await runAsync(bin, ['--json', 'list']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });
});
