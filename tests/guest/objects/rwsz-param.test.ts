/**
 * rwsz_max_mb: with the module loaded at 1 MiB, one ioctl of more is EINVAL
 * and the library splits larger transfers to fit. Self-contained in any
 * order: it destroys every pool, reloads the module with the parameter, and
 * reloads it with the defaults afterwards (the guest project runs files one
 * at a time, in one process).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlignedBuffer } from '../../../userland/src/lib/aligned.js';
import { Pool } from '../../../userland/src/lib/pool.js';
import { ensureLoaded, insmod, kernelFailuresSince, markKernelLog, moduleLoaded, rmmod } from '../helpers.js';
import { cleanup, dropPool, failure, freshPool, random, sha256, ZONE } from './fixtures.js';

const NAME = 'objrwsz';
const MIB = 1 << 20;
let pool: Pool | undefined;
let marker: string;

beforeAll(() => {
  ensureLoaded();
  cleanup();
  rmmod();
  insmod(['rwsz_max_mb=1']);
  marker = markKernelLog('objects-rwsz');
  pool = freshPool(NAME);
});

afterAll(() => {
  dropPool(pool);
  if (moduleLoaded()) rmmod();
  insmod();
});

describe('rwsz_max_mb=1', () => {
  it('the parameter reads back; the library takes its limit from it', () => {
    expect(readFileSync('/sys/module/mpool/parameters/rwsz_max_mb', 'utf8').trim()).toBe('1');
    expect(pool!.mblocks.limits.maxBytes).toBe(MIB);
    // The optimal write size is the device's (1.9.0), whatever rwsz_max_mb says.
    expect(pool!.mblocks.alloc().optimalWriteSize).toBeLessThanOrEqual(128n << 10n);
  });

  it('one MB_WRITE of 1 MiB passes, of 1 MiB + a page is EINVAL; write() splits 3 MiB', () => {
    const mb = pool!.mblocks;
    const { id } = mb.alloc();
    const buf = AlignedBuffer.from(random(3 * MIB));
    mb.writeRaw(id, [{ address: buf.address, length: MIB }]);
    expect(failure(() => mb.writeRaw(id, [{ address: buf.address, length: MIB + 4096 }])).code).toBe('EINVAL');
    expect(failure(() => mb.writeRaw(id, [{ address: buf.address, length: MIB / 2 }, { address: buf.address, length: MIB / 2 + 4096 }])).code).toBe('EINVAL');
    expect(mb.find(id).written).toBe(BigInt(MIB));
    const rest = random(ZONE - MIB);
    mb.write(id, rest);
    mb.commit(id);
    const all = Buffer.concat([buf.bytes.subarray(0, MIB), rest]);
    expect(sha256(mb.read(id))).toBe(sha256(all));
    const big = AlignedBuffer.alloc(2 * MIB);
    expect(failure(() => mb.readRaw(id, 0, [{ address: big.address, length: 2 * MIB }])).code).toBe('EINVAL');
    mb.readInto(id, MIB, big);
    // sha256, not toEqual: a deep compare of 2 MiB takes minutes under TCG.
    expect(sha256(big.bytes)).toBe(sha256(all.subarray(MIB, 3 * MIB)));
    big.free();
    buf.free();
    mb.delete(id);
  });

  it('left the kernel log clean', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
