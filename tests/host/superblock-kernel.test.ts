/**
 * The superblock reader against bytes the kernel wrote: the first 12 KiB of
 * a device right after MP_CREATE (both copies), captured in the guest by
 * tests/guest/pools/scan.test.ts, with what the kernel reported through its
 * ioctls for the same pool. Nothing here encodes a superblock.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OmfSb, OMF_SB_COPY1, OMF_SB_USED } from '../../userland/src/gen/omf.js';
import { chooseSuperblock, parseSuperblock, SB_AREA } from '../../userland/src/lib/superblock.js';
import { viewOf } from '../../userland/src/uapi/runtime.js';

const dir = join(import.meta.dirname, 'fixtures');
const bytes = readFileSync(join(dir, 'superblock-kernel.bin'));
const expected = JSON.parse(readFileSync(join(dir, 'superblock-kernel.json'), 'utf8'), (_k, v: unknown) =>
  typeof v === 'string' && /^\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v,
) as Record<string, unknown>;

const copy = (i: 0 | 1): Buffer => Buffer.from(bytes.subarray(i * OMF_SB_COPY1, i * OMF_SB_COPY1 + SB_AREA));

describe('a superblock the kernel wrote', () => {
  it('both copies decode to what the kernel reported for the pool', () => {
    for (const i of [0, 1] as const) {
      const r = parseSuperblock(copy(i));
      if (!r.ok) throw new Error(`copy ${i}: ${r.message}`);
      expect(r.sb).toMatchObject(expected);
    }
  });

  it('the generated codec reads the fields the kernel set, and the unused tail is zero', () => {
    const sb = OmfSb.decode(viewOf(copy(0)), 0);
    expect(sb.used).toBe(OMF_SB_USED);
    expect(sb.name).toBe(expected.poolName);
    expect(sb.rsvd.every((b) => b === 0)).toBe(true);
    expect(copy(0).subarray(OMF_SB_USED).every((b) => b === 0)).toBe(true);
  });

  it('a damaged copy 0 falls back to copy 1; both damaged is refused', () => {
    const bad = copy(0);
    bad[100] = bad[100]! ^ 0xff;
    const r = chooseSuperblock(bad, copy(1));
    expect(r.ok && r.copyUsed).toBe(1);
    expect(r.copies[0]).toMatchObject({ ok: false, problem: 'bad-crc2' });
    const bad1 = copy(1);
    bad1[20] = bad1[20]! ^ 0x01;
    expect(chooseSuperblock(bad, bad1).ok).toBe(false);
  });
});
