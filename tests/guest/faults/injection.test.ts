/**
 * Every allocation of a pool create can fail (debug kernel only; reported
 * skipped elsewhere). The per-task fail-nth counter fails the n-th slab
 * allocation of this thread: for n = 1, 2, ... until the create completes
 * untouched, MP_CREATE must fail with ENOMEM, leave no pool, no node and no
 * superblock, and keep the kernel log clean; kmemleak after the suite
 * checks that no failure path leaked.
 *
 * fail-nth works in process context and needs no random numbers, unlike
 * fail_function, whose kprobe path trips a lockdep report inside the 6.1
 * fault-injection code (see tests/guest/faults.ts).
 */
import { closeSync, existsSync, openSync, readSync, writeSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IOCTLS } from '../../../userland/src/gen/ioctl.js';
import { MpiocMpool } from '../../../userland/src/gen/structs.js';
import { encodeDevicePaths, encodePdProps } from '../../../userland/src/lib/device.js';
import { toMpoolParams } from '../../../userland/src/lib/params.js';
import { Pools } from '../../../userland/src/lib/pools.js';
import { MpoolError } from '../../../userland/src/sys/errors.js';
import * as sys from '../../../userland/src/sys/libc.js';
import { viewOf } from '../../../userland/src/uapi/runtime.js';
import { faultInjectionAvailable, failNthSetup, registered, syncNode } from '../faults.js';
import { ensureLoaded, kernelFailuresSince, markKernelLog } from '../helpers.js';
import { hasSuperblockMagic, pdProp } from '../pools/fixtures.js';

const NAME = 'nth';
const DISK = '/dev/vda';
const pools = new Pools();

beforeAll(() => ensureLoaded());
afterAll(() => {
  try {
    pools.destroy(NAME, { force: true, devices: [DISK] });
  } catch {
    // no pool left: nothing to clean
  }
});


describe.runIf(faultInjectionAvailable())('allocation failures in MP_CREATE (fail-nth)', () => {
  it('every allocation site fails cleanly with ENOMEM and rolls back', async () => {
    const restore = failNthSetup();
    const marker = markKernelLog('fail-nth');
    const paths = encodeDevicePaths([DISK]);
    const props = encodePdProps([pdProp(DISK, 'capacity', 8)]);
    const arg = Buffer.alloc(MpiocMpool.size);
    MpiocMpool.encode(viewOf(arg), 0, {
      ...MpiocMpool.zero(),
      mp_params: { ...toMpoolParams(NAME), mp_mdcnum: 2 },
      mp_flags: 1, // force: the device may hold an old superblock
      mp_dpathc: 1,
      mp_dpathssz: paths.length,
      mp_dpaths: sys.addressOf(paths),
      mp_pd_prop: sys.addressOf(props),
    });
    const ctl = sys.open('/dev/mpoolctl', sys.O_RDWR);
    const nth = openSync('/proc/thread-self/fail-nth', 'r+');
    let failures = 0;
    let created = false;
    // Creates that succeeded while devtmpfs's own allocation of the node's name failed (faults.ts).
    let nodesMade = 0;
    try {
      for (let n = 1; n < 2000 && !created; n++) {
        // Let the event loop run now and then: vitest's RPC gives up after 60 s.
        if (n % 16 === 0) await new Promise((res) => setTimeout(res, 0));
        const copy = Buffer.from(arg);
        writeSync(nth, String(n), 0);
        let code = 'OK';
        try {
          sys.ioctl(ctl, IOCTLS.MPIOC_MP_CREATE.request, copy, 'MP_CREATE');
        } catch (e) {
          code = e instanceof MpoolError ? e.code : String(e);
        }
        // Read the counter through the open fd: opening the file would allocate,
        // and be the allocation that fails.
        const got = Buffer.alloc(32);
        const len = readSync(nth, got, 0, got.length, 0);
        const left = Number(got.subarray(0, len).toString().trim() || '0');
        writeSync(nth, '0', 0);
        if (code === 'OK') {
          // Succeeded: either no allocation was left to fail (done), or the
          // failed one was retried or tolerated; both leave a whole pool.
          expect(registered(NAME), `allocation ${n}`).toBe(true);
          if (syncNode(NAME) === 'made') nodesMade++;
          pools.destroy(NAME, { force: true, devices: [DISK] });
          // A node made by hand is not devtmpfs's to remove.
          syncNode(NAME);
          created = left > 0;
          continue;
        }
        failures++;
        expect(code, `allocation ${n}`).toBe('ENOMEM');
        expect(registered(NAME), `allocation ${n}`).toBe(false);
        expect(existsSync(`/dev/mpool/${NAME}`), `allocation ${n}: node left behind`).toBe(false);
        expect(hasSuperblockMagic(DISK), `allocation ${n}: superblock left behind`).toBe(false);
      }
    } finally {
      closeSync(nth);
      sys.close(ctl);
      restore();
    }
    // Their addresses were in every MP_CREATE: a use here keeps them alive to the end.
    expect(paths.length + props.length).toBeGreaterThan(0);
    expect(created).toBe(true);
    expect(failures).toBeGreaterThan(5);
    console.log(`fail-nth: ${failures} allocation failures injected into MP_CREATE, each rolled back; devtmpfs made no node ${nodesMade} time(s)`);
    expect(kernelFailuresSince(marker)).toEqual([]);
  }, 900_000);
});
