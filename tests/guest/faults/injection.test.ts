/**
 * Injected failures in the module's own functions (debug kernel only: the
 * stock kernel has no fail_function, and these tests are reported skipped
 * there). Each failure must give a clean errno, roll back, and leave the
 * kernel log clean; kmemleak after the suite checks that nothing leaked.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from '../../../userland/src/lib/pool.js';
import { Pools } from '../../../userland/src/lib/pools.js';
import { faultInjectionAvailable, injectFunctionError } from '../faults.js';
import { ensureLoaded, errorOf, kernelFailuresSince, markKernelLog, run } from '../helpers.js';

const pools = new Pools();
const NAME = 'faulty';

beforeAll(() => ensureLoaded());
afterAll(() => {
  try {
    pools.destroy(NAME, { force: true, devices: ['/dev/vda'] });
  } catch {
    // nothing to clean up
  }
});

describe.runIf(faultInjectionAvailable())('fault injection in pool operations', () => {
  it('the pool node cannot be created: MP_CREATE fails with ENOMEM and rolls back', () => {
    const marker = markKernelLog('fault-unit');
    const inj = injectFunctionError('mpc_unit_create', 12, { times: 1 });
    try {
      expect(errorOf(() => pools.create(NAME, '/dev/vda', { force: true })).code).toBe('ENOMEM');
    } finally {
      inj.restore();
    }
    expect(existsSync(`/dev/mpool/${NAME}`)).toBe(false);
    expect(pools.list().map((p) => p.name)).not.toContain(NAME);
    // The superblocks were erased again and the module holds no reference.
    expect(run('blkid', ['-p', '/dev/vda']).stdout).not.toContain('TYPE="mpool"');
    expect(run('rmmod', ['mpool']).status).toBe(0);
    ensureLoaded();
    expect(kernelFailuresSince(marker)).toEqual([]);
  });

  it('a superblock write fails: MP_CREATE returns the error and leaves no pool', () => {
    const inj = injectFunctionError('sb_write', 5, { times: 1 });
    try {
      expect(errorOf(() => pools.create(NAME, '/dev/vda', { force: true })).code).toBe('EIO');
    } finally {
      inj.restore();
    }
    expect(pools.list().map((p) => p.name)).not.toContain(NAME);
    expect(run('blkid', ['-p', '/dev/vda']).stdout).not.toContain('TYPE="mpool"');
  });

  it('an MDC-0 append fails: PARAMS_SET returns the error and nothing changes', () => {
    pools.create(NAME, '/dev/vda', { force: true, label: 'first' });
    const pool = Pool.open(NAME, { write: true });
    try {
      const inj = injectFunctionError('mdc_append', 5, { times: 1 });
      try {
        expect(errorOf(() => pool.setParams({ label: 'second' })).code).toBe('EIO');
      } finally {
        inj.restore();
      }
      expect(pool.params().label).toBe('first');
      expect(pool.setParams({ label: 'third' }).label).toBe('third');
    } finally {
      pool.close();
    }
    pools.deactivate(NAME);
    expect(pools.activate(NAME).label).toBe('third');
    pools.deactivate(NAME);
  });
});
