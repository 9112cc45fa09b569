/**
 * A mutation fuzzer over a real pool's superblocks (issue 14, hostile disk
 * images; superblocks only so far). Each round starts from the pool's own
 * two copies and damages one or both: bit flips (the CRC then fails),
 * values at random offsets resealed so that the CRC is valid (insane zone
 * counts, offsets, sizes, versions, names, generations), truncations and
 * all-zero copies. Then MP_ACTIVATE goes straight to the kernel, and the
 * userland reader reads the same bytes. The kernel must refuse with
 * EBADMSG, EUCLEAN or EPROTONOSUPPORT, with EINVAL when the superblock
 * names another pool or no pool, or activate; it must never oops, hang or
 * leave a report in the log. The userland reader must classify every image
 * without throwing. Seeded: MPOOL_MUTATE_SEED, MPOOL_MUTATE_IMAGES.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDevice } from '../../../userland/src/lib/scan.js';
import { sealSuperblock, SB_AREA, SB_COPY_OFFSETS, SB_USED } from '../../../userland/src/lib/superblock.js';
import { prng } from '../../crash/workload.js';
import { ensureLoaded, kernelFailuresSince, markKernelLog } from '../helpers.js';
import { activateCode, cleanup, DISK_A, MB, pools, rawMpool, readAt, writeAt } from './fixtures.js';

const NAME = 'mutpool';
const IMAGES = Number(process.env.MPOOL_MUTATE_IMAGES ?? 300);
const SEED = Number(process.env.MPOOL_MUTATE_SEED ?? 20261203);
/** What a damaged or crafted superblock may get from MP_ACTIVATE. */
const ALLOWED = new Set(['OK', 'EBADMSG', 'EUCLEAN', 'EPROTONOSUPPORT', 'EINVAL', 'ENODEV']);
const tick = (): Promise<void> => new Promise((res) => setTimeout(res, 0));
let marker: string;
let pristine: [Uint8Array, Uint8Array];

const BOUNDARY = [0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 1n << 32n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n];

type Kind = 'flip' | 'value' | 'truncate' | 'zero';

function mutate(src: Uint8Array, r: () => number): { bytes: Uint8Array; kind: Kind } {
  const b = Uint8Array.from(src);
  const dv = new DataView(b.buffer);
  const pick = r();
  const at = (w: number): number => Math.floor(r() * (SB_USED - w + 1)) & ~(w - 1);
  if (pick < 0.3) {
    for (let n = 1 + Math.floor(r() * 8); n > 0; n--) {
      const i = Math.floor(r() * SB_USED);
      b[i] = b[i]! ^ (1 << Math.floor(r() * 8));
    }
    return { bytes: b, kind: 'flip' };
  }
  if (pick < 0.85) {
    for (let n = 1 + Math.floor(r() * 3); n > 0; n--) {
      const w = [1, 2, 4, 8][Math.floor(r() * 4)]!;
      const v = r() < 0.7 ? BOUNDARY[Math.floor(r() * BOUNDARY.length)]! : BigInt(Math.floor(r() * 2 ** 32));
      const o = at(w);
      if (w === 8) dv.setBigUint64(o, v & ((1n << 64n) - 1n), true);
      else if (w === 4) dv.setUint32(o, Number(v & 0xffffffffn), true);
      else if (w === 2) dv.setUint16(o, Number(v & 0xffffn), true);
      else dv.setUint8(o, Number(v & 0xffn));
    }
    sealSuperblock(b);
    return { bytes: b, kind: 'value' };
  }
  if (pick < 0.95) {
    b.fill(0, Math.floor(r() * SB_USED));
    if (r() < 0.5) sealSuperblock(b);
    return { bytes: b, kind: 'truncate' };
  }
  return { bytes: new Uint8Array(b.length), kind: 'zero' };
}

function writeCopies(c: [Uint8Array, Uint8Array]): void {
  SB_COPY_OFFSETS.forEach((off, i) => writeAt(DISK_A, off, c[i]!));
}

const activate = (): string => activateCode(NAME, [DISK_A]);

beforeAll(() => {
  ensureLoaded();
  cleanup();
  marker = markKernelLog('pools-mutate');
  pools.create(NAME, DISK_A, { mblockSize: MB });
  pools.deactivate(NAME);
  pristine = [readAt(DISK_A, SB_COPY_OFFSETS[0], SB_AREA), readAt(DISK_A, SB_COPY_OFFSETS[1], SB_AREA)];
});

afterAll(() => cleanup());

describe('mutated superblocks', () => {
  it(`${IMAGES} images: the kernel refuses or activates, the userland reader classifies, nothing reports`, async () => {
    const r = prng(SEED);
    const tally = new Map<string, number>();
    const bad: string[] = [];
    for (let i = 0; i < IMAGES; i++) {
      // Let the event loop run: a worker busy for a minute misses vitest's RPC deadline.
      await tick();
      const which = r();
      const m0 = which < 0.7 ? mutate(pristine[0], r) : { bytes: pristine[0], kind: 'none' };
      const m1 = which >= 0.4 ? mutate(pristine[1], r) : { bytes: pristine[1], kind: 'none' };
      writeCopies([m0.bytes, m1.bytes]);
      const read = readDevice(DISK_A); // must not throw
      const code = activate();
      if (code === 'OK') rawMpool('MPIOC_MP_DEACTIVATE', { name: NAME });
      const key = `${m0.kind}/${m1.kind} ${code} (reader: ${read.kind})`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
      if (!ALLOWED.has(code)) bad.push(`image ${i}: ${key}`);
      const k = kernelFailuresSince(marker);
      if (k.length > 0) throw new Error(`image ${i} (${key}) left a kernel report:\n${k.map((f) => f.text).join('\n')}`);
    }
    writeCopies(pristine);
    console.log([...tally.entries()].sort().map(([k, n]) => `${String(n).padStart(4)}  ${k}`).join('\n'));
    expect(bad).toEqual([]);
    // Both outcomes happen: some damage is refused, and a good copy 1 carries a damaged copy 0.
    const codes = new Set([...tally.keys()].map((k) => k.split(' ')[1]));
    expect(codes.has('OK')).toBe(true);
    expect(codes.has('EBADMSG')).toBe(true);
    // Restored, the pool activates as it was.
    expect(activate()).toBe('OK');
    rawMpool('MPIOC_MP_DEACTIVATE', { name: NAME });
  }, 600_000);
});
