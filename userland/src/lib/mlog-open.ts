/**
 * The record framing (userland/src/mlog/framing.ts) over a kernel mlog:
 * openMlog(pool, id) scans the committed mlog and returns an Mlog to
 * append to and read records from.
 */
import { Mlog, type MlogOpenOptions } from '../mlog/framing.js';
import { kernelMlogMedia } from './mlog.js';
import type { Pool } from './pool.js';

export function openMlog(pool: Pool, id: bigint, options: MlogOpenOptions = {}): Mlog {
  return Mlog.open(kernelMlogMedia(pool, id), options);
}

/** After MLOG_ERASE: a fresh, empty log at the new generation. */
export function openErasedMlog(pool: Pool, id: bigint, options: MlogOpenOptions = {}): Mlog {
  return Mlog.openErased(kernelMlogMedia(pool, id), options);
}
