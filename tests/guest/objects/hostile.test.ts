/**
 * Regression tests for the object-level bugs a hostile-input run found
 * (issue "Fix first"): each reproducer failed on the module before the fix.
 *
 *   - MLOG_ERASE wrapped the generation past 2^64-1, and the pool then
 *     never activated again (EBADMSG);
 *   - a command whose argument could not be written back still acted:
 *     MLOG_COMMIT committed, MB_ALLOC took a zone whose id was lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IOCTLS } from '../../../userland/src/gen/ioctl.js';
import { MpiocMblock, MpiocMlog, MpiocMlogId } from '../../../userland/src/gen/structs.js';
import { Pool } from '../../../userland/src/lib/pool.js';
import * as sys from '../../../userland/src/sys/libc.js';
import { viewOf, type StructCodec } from '../../../userland/src/uapi/runtime.js';
import { ensureLoaded, kernelFailuresSince, markKernelLog } from '../helpers.js';
import { dropPool, failure, freshPool, pools } from './fixtures.js';

const NAME = 'objhostile';
const GEN_MAX = (1n << 64n) - 1n;
let pool: Pool;
let marker: string;

beforeAll(() => {
  ensureLoaded();
  marker = markKernelLog('objects-hostile');
  pool = freshPool(NAME);
});

afterAll(() => dropPool(pool));

function reopen(): void {
  pool.close();
  pools.deactivate(NAME);
  pools.activate(NAME);
  pool = Pool.open(NAME, { write: true });
}

describe('mlog generations never wrap', () => {
  it('an erase past 2^64-1 is EINVAL and changes nothing; the pool activates again with the generation intact', () => {
    const ml = pool.mlogs;
    const { id } = ml.alloc();
    ml.commit(id);
    expect(ml.erase(id, GEN_MAX)).toBe(GEN_MAX);
    for (const minGen of [0n, 5n, GEN_MAX]) {
      const e = failure(() => ml.erase(id, minGen));
      expect(e.code, `minGen ${minGen}`).toBe('EINVAL');
      expect(e.message).toContain('cannot grow');
      expect(ml.find(id).gen).toBe(GEN_MAX);
    }
    reopen();
    expect(pool.mlogs.find(id)).toMatchObject({ committed: true, gen: GEN_MAX });
    // Still an ordinary committed mlog: it can be deleted.
    pool.mlogs.delete(id);
    expect(failure(() => pool.mlogs.find(id)).code).toBe('ENOENT');
  });

  it('erase still moves to max(gen + 1, minGen) below the top', () => {
    const ml = pool.mlogs;
    const { id } = ml.alloc();
    ml.commit(id);
    expect(ml.erase(id)).toBe(1n);
    expect(ml.erase(id, 10n)).toBe(10n);
    expect(ml.erase(id, 3n)).toBe(11n);
    expect(ml.erase(id, GEN_MAX - 1n)).toBe(GEN_MAX - 1n);
    expect(ml.erase(id)).toBe(GEN_MAX);
    reopen();
    expect(pool.mlogs.find(id).gen).toBe(GEN_MAX);
    pool.mlogs.delete(id);
  });
});

/** Issue `cmd` with its argument in memory the caller may read but not write. */
function readOnlyArg<T>(cmd: keyof typeof IOCTLS, codec: StructCodec<T>, value: T): string {
  const map = sys.anonymousMapping(4096);
  try {
    codec.encode(viewOf(map.bytes), 0, value);
    sys.mprotect(map, 0, 4096, sys.PROT_READ);
    sys.ioctlAddress(pool.fd, IOCTLS[cmd].request, map.address, cmd, pool.path);
    return 'OK';
  } catch (e) {
    return (e as { code: string }).code;
  } finally {
    map.unmap();
  }
}

describe('work is not done when the result cannot be copied out', () => {
  it('MB_ALLOC with a read-only argument is EFAULT and takes no zone', () => {
    const before = pool.props().usage;
    for (let i = 0; i < 20; i++) {
      expect(readOnlyArg('MPIOC_MB_ALLOC', MpiocMblock, MpiocMblock.zero())).toBe('EFAULT');
    }
    expect(pool.props().usage.used).toBe(before.used);
    expect(pool.props().usage.freeUsable).toBe(before.freeUsable);
  });

  it('MLOG_ALLOC with a read-only argument is EFAULT and takes no zone', () => {
    const before = pool.props().usage;
    expect(readOnlyArg('MPIOC_MLOG_ALLOC', MpiocMlog, MpiocMlog.zero())).toBe('EFAULT');
    expect(pool.props().usage.used).toBe(before.used);
  });

  it('MLOG_COMMIT and MLOG_ERASE with a read-only argument are EFAULT and change nothing', () => {
    const ml = pool.mlogs;
    const { id } = ml.alloc();
    expect(readOnlyArg('MPIOC_MLOG_COMMIT', MpiocMlogId, { ...MpiocMlogId.zero(), mi_objid: id })).toBe('EFAULT');
    expect(ml.find(id).committed).toBe(false);
    ml.commit(id);
    expect(readOnlyArg('MPIOC_MLOG_ERASE', MpiocMlogId, { ...MpiocMlogId.zero(), mi_objid: id, mi_gen: 7n })).toBe('EFAULT');
    expect(ml.find(id).gen).toBe(0n);
    ml.delete(id);
  });

  it('the same commands with a writable argument still work', () => {
    const p = pool.mblocks.alloc();
    pool.mblocks.abort(p.id);
    const m = pool.mlogs.alloc();
    expect(pool.mlogs.commit(m.id).gen).toBe(0n);
    pool.mlogs.delete(m.id);
  });
});

describe('kernel log', () => {
  it('has no failure since the suite began', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
