import { MpoolError } from '../userland/src/sys/errors.js';

/** The MpoolError a call throws; anything else thrown, or nothing, fails the test. */
export function errorOf(fn: () => unknown): MpoolError {
  try {
    fn();
  } catch (e) {
    if (e instanceof MpoolError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}
