/**
 * Fault injection for guest suites, aimed at the module's own code: the
 * debug kernel's fail_function (any function marked ALLOW_ERROR_INJECTION)
 * and failslab restricted to one task.
 *
 * Known: on 6.1 with lockdep, the first fail_function injection makes the
 * kernel's own should_fail_ex() take crngs.lock from the kprobe (int3)
 * handler, and lockdep reports an inconsistent lock state there, in the
 * fault-injection framework rather than in mpool. No suite uses
 * injectFunctionError() for that reason: the faults suite sweeps with
 * fail-nth (failNthSetup), which has no such report and runs in CI's debug
 * lane. The stock Debian kernel has neither; faultInjectionAvailable() says
 * so, and tests that need it are skipped there (and reported as skipped,
 * never as passed).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';

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

/**
 * Whether the kernel has pool `name` active: its device is registered
 * (/sys/class/mpool/<name>). Its /dev node is not the test: devtmpfs names
 * a node in a subdirectory ("mpool/<name>") with an allocation of its own
 * (device_get_devnode()), and when that one is the allocation that fails,
 * devtmpfs makes no node (device_add) or leaves the old one (device_del),
 * with the command itself done and correct. udev, where it runs, makes and
 * removes nodes from the uevents instead.
 */
export function registered(name: string): boolean {
  return existsSync(`/sys/class/mpool/${name}`);
}

/**
 * Put the /dev node of pool `name` in line with the kernel after an
 * injected failure in devtmpfs: make it when the pool is registered and
 * the node is missing, remove it when the pool is gone. Returns what it did.
 */
export function syncNode(name: string): 'none' | 'made' | 'removed' {
  const node = `/dev/mpool/${name}`;
  if (registered(name) && !existsSync(node)) {
    const [major, minor] = readFileSync(`/sys/class/mpool/${name}/dev`, 'utf8').trim().split(':');
    mkdirSync('/dev/mpool', { recursive: true });
    execFileSync('mknod', ['-m', '0660', node, 'c', major!, minor!]);
    return 'made';
  }
  if (!registered(name) && existsSync(node)) {
    unlinkSync(node);
    return 'removed';
  }
  return 'none';
}
