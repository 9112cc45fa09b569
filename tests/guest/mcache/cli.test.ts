/** mpool mcache, in-process (runCli), on a real pool. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../userland/src/cli/program.js';
import { objectIdHex } from '../../../userland/src/lib/objects.js';
import type { Pool } from '../../../userland/src/lib/pool.js';
import { ensureLoaded } from '../helpers.js';
import { committed, dropPool, freshPool, PAGE, pattern, sha256, type Written } from './fixtures.js';

const NAME = 'mccli';
let pool: Pool;
let a: Written;
let b: Written;

beforeAll(() => {
  ensureLoaded();
  pool = freshPool(NAME);
  a = committed(pool, pattern(40, 1));
  b = committed(pool, pattern(3, 2));
});

afterAll(() => dropPool(pool));

describe('mpool mcache', () => {
  it('--sum checksums each mblock through the map; --purge reports the residency before and after', async () => {
    const r = await runCli(['mcache', NAME, objectIdHex(a.id), objectIdHex(b.id), objectIdHex(a.id), '--sum', '--purge', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { bucketSize: number; mblocks: { id: string; written: number; sha256: string }[]; residency: { resident: string; virtual: string }; afterPurge: { resident: string } };
    expect(j.bucketSize).toBe(64 * PAGE);
    expect(j.mblocks.map((m) => m.sha256)).toEqual([sha256(a.data), sha256(b.data), sha256(a.data)]);
    expect(j.residency).toEqual({ resident: '83', virtual: String(3 * 64) });
    expect(j.afterPurge.resident).toBe('0');
    // Nothing stays pinned: the map is gone when the command returns.
    const t = await runCli(['mcache', NAME, objectIdHex(b.id), '--willneed']);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/3 of 4 pages resident/);
  });

  it('--cat streams the bytes through the map', async () => {
    const r = await runCli(['mcache', NAME, objectIdHex(b.id), objectIdHex(a.id), '--cat']);
    expect(r.status, r.stderr).toBe(0);
    expect(sha256(r.stdoutBytes)).toBe(sha256(new Uint8Array([...b.data, ...a.data])));
  });

  it('errors exit 1 naming the problem; usage errors exit 2', async () => {
    const gone = committed(pool, pattern(1, 3));
    pool.mblocks.delete(gone.id);
    const r = await runCli(['mcache', NAME, objectIdHex(gone.id)]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/not committed in this pool.*ENOENT/);
    expect((await runCli(['mcache', NAME, 'zz'])).status).toBe(2);
    expect((await runCli(['mcache', NAME, objectIdHex(a.id), '--advice', 'lukewarm'])).status).toBe(2);
    expect((await runCli(['mcache', NAME, objectIdHex(a.id), '--cat', '--json'])).status).toBe(2);
  });
});
