/**
 * The errnos the mlog and MDC library reports, as upstream libmpool did, and
 * one constructor for its errors. Literal numbers: these are Linux values.
 */
import { MpoolError } from '../sys/errors.js';

/** Log not open (closed handle). */
export const ENOENT = 2;
/** The page device failed a read or a write. */
export const EIO = 5;
/** Bad argument, or a call out of order (CEND before CSTART, data before CSTART, ...). */
export const EINVAL = 22;
/** The log is full. */
export const EFBIG = 27;
/** seekRead: the record skipped is shorter than the caller said. */
export const ERANGE = 34;
/** Malformed or corrupted log contents. */
export const ENODATA = 61;
/** seekRead: the record to skip is longer than the caller said. */
export const EOVERFLOW = 75;
/** A compacted log holds CSTART without CEND: the compaction was interrupted. */
export const EMSGSIZE = 90;

export function mlogError(errno: number, op: string, detail?: string): MpoolError {
  return new MpoolError({ errno, op, detail });
}

/** The errno of an error thrown by a media callback, or EIO for anything that is not an MpoolError. */
export function asMpoolError(e: unknown, op: string): MpoolError {
  if (e instanceof MpoolError) return e;
  const why = e instanceof Error ? e.message : String(e);
  return new MpoolError({ errno: EIO, op, detail: `media error: ${why}`, cause: e });
}
