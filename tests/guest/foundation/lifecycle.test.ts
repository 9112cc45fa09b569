/** Loading and unloading: ten insmod/rmmod cycles with a clean kernel log, and references that pin the module. */
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import * as sys from '../../../userland/src/sys/libc.js';
import { ensureLoaded, insmod, kernelFailuresSince, kernelLogSince, markKernelLog, moduleLoaded, rmmod, run } from '../helpers.js';

afterAll(() => ensureLoaded());

describe('module lifecycle', () => {
  it('survives 10 insmod/rmmod cycles with a clean kernel log', () => {
    const marker = markKernelLog('lifecycle');
    for (let i = 0; i < 10; i++) {
      if (moduleLoaded()) rmmod();
      expect(existsSync('/dev/mpoolctl')).toBe(false);
      insmod();
      expect(existsSync('/dev/mpoolctl'), `cycle ${i}`).toBe(true);
      // Use it each time, so that every cycle runs the dispatcher too.
      const fd = sys.open('/dev/mpoolctl', sys.O_RDONLY);
      sys.close(fd);
    }
    rmmod();
    // Ten loads; ten unloads in the loop plus the one above.
    const log = kernelLogSince(marker);
    expect(log.match(/mpool: version .* loaded/g)).toHaveLength(10);
    expect(log.match(/mpool: unloaded/g)).toHaveLength(11);
    expect(kernelFailuresSince(marker)).toEqual([]);
    insmod();
  });

  it('cannot be unloaded while /dev/mpoolctl is open', () => {
    ensureLoaded();
    const fd = sys.open('/dev/mpoolctl', sys.O_RDONLY);
    try {
      const r = run('rmmod', ['mpool']);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/in use/i);
      expect(moduleLoaded()).toBe(true);
    } finally {
      sys.close(fd);
    }
    rmmod();
    expect(moduleLoaded()).toBe(false);
    insmod();
  });

  it('clamps out-of-range parameters with a notice instead of refusing to load', () => {
    rmmod();
    const marker = markKernelLog('clamp');
    insmod(['rwsz_max_mb=4096', 'xvm_size_max=3']);
    const log = kernelLogSince(marker);
    expect(log).toContain('rwsz_max_mb=4096 is out of range, using 128');
    expect(log).toContain('xvm_size_max=3 is out of range, using 27');
    rmmod();
    insmod();
  });
});
