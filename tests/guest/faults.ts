/**
 * Fault injection for guest suites, aimed at the module's own code: the
 * debug kernel's fail_function (any function marked ALLOW_ERROR_INJECTION)
 * and failslab restricted to one task.
 *
 * Known: on 6.1 with lockdep, the first fail_function injection makes the
 * kernel's own should_fail_ex() take crngs.lock from the kprobe (int3)
 * handler, and lockdep reports an inconsistent lock state there, in the
 * fault-injection framework rather than in mpool. The tests that use
 * fail_function therefore live in their own suite (tests/guest/faults),
 * outside the debug subset CI runs. The stock Debian kernel has neither;
 * faultInjectionAvailable() says so, and tests that need it are skipped
 * there (and reported as skipped, never as passed).
 */
import { existsSync, writeFileSync } from 'node:fs';

const FAIL_FUNCTION = '/sys/kernel/debug/fail_function';
const FAILSLAB = '/sys/kernel/debug/failslab';

export function faultInjectionAvailable(): boolean {
  return existsSync(`${FAIL_FUNCTION}/inject`) && existsSync(`${FAILSLAB}/probability`);
}

function put(path: string, value: string | number): void {
  writeFileSync(path, `${value}\n`);
}

export interface Injection {
  /** Stop injecting. Safe to call twice. */
  restore(): void;
}

/**
 * Make `func` (an ALLOW_ERROR_INJECTION function of ours) return -errno,
 * `times` times (default: every call until restore()).
 */
export function injectFunctionError(func: string, errno: number, opts: { times?: number } = {}): Injection {
  put(`${FAIL_FUNCTION}/inject`, func);
  // The file parses an unsigned 64-bit number: -errno as two's complement.
  put(`${FAIL_FUNCTION}/${func}/retval`, ((1n << 64n) - BigInt(errno)).toString());
  put(`${FAIL_FUNCTION}/probability`, 100);
  put(`${FAIL_FUNCTION}/interval`, 1);
  put(`${FAIL_FUNCTION}/times`, opts.times ?? -1);
  // verbose would dump a stack per failure, which the verdict rightly rejects.
  put(`${FAIL_FUNCTION}/verbose`, 0);
  let active = true;
  return {
    restore(): void {
      if (!active) return;
      active = false;
      put(`${FAIL_FUNCTION}/inject`, `!${func}`);
    },
  };
}

/**
 * Prepare failslab for /proc/thread-self/fail-nth: GFP_KERNEL allocations
 * count, nothing fails at random, nothing dumps a stack. Returns the undo.
 */
export function failNthSetup(): () => void {
  put(`${FAILSLAB}/ignore-gfp-wait`, 'N');
  put(`${FAILSLAB}/probability`, 0);
  put(`${FAILSLAB}/verbose`, 0);
  return () => {
    put(`${FAILSLAB}/ignore-gfp-wait`, 'Y');
  };
}

/**
 * Fail the next `times` slab allocations made by this thread only (task
 * filter + /proc/thread-self/make-it-fail), e.g. around one ioctl.
 */
export function failSlabInThisThread(times = 1): Injection {
  put(`${FAILSLAB}/task-filter`, 'Y');
  put(`${FAILSLAB}/ignore-gfp-wait`, 'N');
  put(`${FAILSLAB}/probability`, 100);
  put(`${FAILSLAB}/interval`, 1);
  put(`${FAILSLAB}/times`, times);
  put(`${FAILSLAB}/verbose`, 0);
  put('/proc/thread-self/make-it-fail', 1);
  let active = true;
  return {
    restore(): void {
      if (!active) return;
      active = false;
      put('/proc/thread-self/make-it-fail', 0);
      put(`${FAILSLAB}/probability`, 0);
    },
  };
}
