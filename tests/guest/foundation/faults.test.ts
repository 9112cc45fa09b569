/** Allocation and setup failures give a clean errno and leave nothing behind (debug kernel only). */
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { injectFunctionError, faultInjectionAvailable } from '../faults.js';
import { ensureLoaded, insmod, kernelFailuresSince, markKernelLog, moduleLoaded, rmmod } from '../helpers.js';

afterAll(() => ensureLoaded());

describe.runIf(faultInjectionAvailable())('fault injection at load', () => {
  it('a failure to create /dev/mpoolctl fails insmod with ENOMEM and leaves nothing registered', () => {
    if (moduleLoaded()) rmmod();
    const marker = markKernelLog('fault-unit-create');
    const inj = injectFunctionError('mpc_unit_create', 12);
    try {
      expect(() => insmod()).toThrow(/Cannot allocate memory/);
    } finally {
      inj.restore();
    }
    expect(moduleLoaded()).toBe(false);
    expect(existsSync('/dev/mpoolctl')).toBe(false);
    expect(existsSync('/sys/class/mpool')).toBe(false);
    expect(kernelFailuresSince(marker)).toEqual([]);
    insmod();
    expect(existsSync('/dev/mpoolctl')).toBe(true);
  });

});
