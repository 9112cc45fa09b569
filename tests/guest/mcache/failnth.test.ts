/**
 * Allocation failures in mcache (debug kernel only; reported skipped
 * elsewhere), with the per-thread fail-nth counter:
 *   - VMA_CREATE: for n = 1, 2, ... until a create completes untouched,
 *     every failure is ENOMEM and leaves nothing behind (no map, no pin);
 *   - the fault path: for n = 1, 2, ... until a fault completes untouched,
 *     the fault's n-th allocation fails; the kernel retries the fault
 *     (VM_FAULT_OOM) and the data read is right.
 * kmemleak after the suite checks that no failure path leaked.
 */
import { closeSync, openSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IOCTLS } from '../../../userland/src/gen/ioctl.js';
import { MpiocVma } from '../../../userland/src/gen/structs.js';
import { Pool } from '../../../userland/src/lib/pool.js';
import { MpoolError } from '../../../userland/src/sys/errors.js';
import * as sys from '../../../userland/src/sys/libc.js';
import { viewOf } from '../../../userland/src/uapi/runtime.js';
import { failNthSetup, faultInjectionAvailable } from '../faults.js';
import { ensureLoaded, kernelFailuresSince, markKernelLog } from '../helpers.js';
import { committed, dropPool, failure, freshPool, PAGE, pattern, pools, type Written } from './fixtures.js';

const NAME = 'mcnth';
let pool: Pool;
let w: Written;

beforeAll(() => {
  ensureLoaded();
  if (!faultInjectionAvailable()) return;
  pool = freshPool(NAME);
  w = committed(pool, pattern(16, 5));
});

afterAll(() => dropPool(pool));

/** Run `fn` with the n-th allocation of this thread failing; returns whether the fault was used. */
function withNth(nth: number, n: number, fn: () => void): boolean {
  writeSync(nth, String(n), 0);
  try {
    fn();
  } finally {
    // Read the counter through the open fd: opening the file would allocate.
    const got = Buffer.alloc(32);
    const len = readSync(nth, got, 0, got.length, 0);
    writeSync(nth, '0', 0);
    const left = Number(got.subarray(0, len).toString().trim() || '0');
    if (left > 0) return false;
  }
  return true;
}

describe.runIf(faultInjectionAvailable())('allocation failures in mcache (fail-nth)', () => {
  it('VMA_CREATE: every allocation site fails with ENOMEM and leaves no map and no pin', () => {
    const restore = failNthSetup();
    const marker = markKernelLog('mcache-fail-nth');
    const idv = new BigUint64Array(new Array<bigint>(40).fill(w.id));
    const ids = new Uint8Array(idv.buffer);
    const arg = Buffer.alloc(MpiocVma.size);
    MpiocVma.encode(viewOf(arg), 0, { ...MpiocVma.zero(), im_advice: 1, im_mbidc: 40, im_mbidv: sys.addressOf(ids) });
    const nth = openSync('/proc/thread-self/fail-nth', 'r+');
    let failures = 0;
    let done = false;
    try {
      for (let n = 1; n < 500 && !done; n++) {
        const copy = Buffer.from(arg);
        let code = 'OK';
        const used = withNth(nth, n, () => {
          try {
            sys.ioctl(pool.fd, IOCTLS.MPIOC_VMA_CREATE.request, copy, 'VMA_CREATE');
          } catch (e) {
            code = e instanceof MpoolError ? e.code : String(e);
          }
        });
        if (code === 'OK') {
          const v = MpiocVma.decode(viewOf(copy), 0);
          sys.ioctl(pool.fd, IOCTLS.MPIOC_VMA_DESTROY.request, copy, 'VMA_DESTROY');
          expect(v.im_bktsz).toBe(16n * BigInt(PAGE));
          done = !used;
          continue;
        }
        failures++;
        expect(code, `allocation ${n}`).toBe('ENOMEM');
      }
    } finally {
      closeSync(nth);
      restore();
    }
    expect(ids.length).toBe(320);
    expect(done).toBe(true);
    expect(failures).toBeGreaterThan(2);
    console.log(`fail-nth: ${failures} allocation failures injected into VMA_CREATE, each rolled back`);
    // No pin left behind: the mblock can be deleted and made again.
    pool.mblocks.delete(w.id);
    w = committed(pool, pattern(16, 5));
    // No map left behind: the pool is idle.
    pool.close();
    pools.deactivate(NAME);
    pools.activate(NAME);
    pool = Pool.open(NAME, { write: true });
    expect(kernelFailuresSince(marker)).toEqual([]);
  });

  /*
   * A fault on a purged map reaches the page cache's folio allocations,
   * readahead's and the read's own (each n touches another of its 16
   * pages). For
   * n = 1, 2, ... until a fault completes with its n-th point never
   * reached, the n-th fails; each such fault is retried by the kernel
   * (VM_FAULT_OOM, or readahead gives up and the fault reads the one page)
   * and must read the right data.
   */
  it('the fault path: every allocation point of a fault fails in turn, the fault is retried, the data is right', () => {
    const restore = failNthSetup();
    const fpa = '/sys/kernel/debug/fail_page_alloc';
    writeFileSync(`${fpa}/ignore-gfp-highmem`, 'N\n');
    writeFileSync(`${fpa}/ignore-gfp-wait`, 'N\n');
    writeFileSync(`${fpa}/min-order`, '0\n');
    writeFileSync(`${fpa}/verbose`, '0\n');
    const marker = markKernelLog('mcache-fault-fail-nth');
    const map = pool.mcache.map([w.id]);
    const nth = openSync('/proc/thread-self/fail-nth', 'r+');
    let injected = 0;
    let done = false;
    try {
      const v = map.view(0);
      for (let n = 1; n <= 400 && !done; n++) {
        map.purge();
        let got = -1;
        const page = n % 16;
        if (withNth(nth, n, () => void (got = v[page * PAGE + 1]!))) injected++;
        else done = true;
        expect(got, `allocation ${n}`).toBe(w.data[page * PAGE + 1]);
      }
    } finally {
      closeSync(nth);
      writeFileSync(`${fpa}/ignore-gfp-highmem`, 'Y\n');
      writeFileSync(`${fpa}/ignore-gfp-wait`, 'Y\n');
      restore();
      map.close();
    }
    expect(done, 'a fault with no injection point left').toBe(true);
    expect(injected).toBeGreaterThan(0);
    console.log(`fail-nth: ${injected} allocation points of a map fault failed in turn, each fault retried`);
    expect(failure(() => pool.mblocks.delete(w.id)).code).toBe('OK');
    // The kernel's own note for a VM_FAULT_OOM that reached the fault handler is not a failure.
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
