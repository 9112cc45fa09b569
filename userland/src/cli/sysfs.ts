/** The sysfs root the stats and reaper commands read: MPOOL_SYSFS_ROOT (tests, chroots), else /sys/class/mpool. */
import { Pools } from '../lib/pools.js';

export function sysfsPools(log: (message: string) => void): Pools {
  const root = process.env.MPOOL_SYSFS_ROOT;
  return new Pools({ log, ...(root ? { sysfsRoot: root } : {}) });
}
