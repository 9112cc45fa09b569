import { describe, expect, it } from 'vitest';
import { failedDuringBoot, guestExitCode, judge, parseKmemleak, scanKernelLog } from '../vm/verdict.js';

const clean = '[    1.0] mpool: version 0.1.0 loaded\n[    2.0] mpool: loading out-of-tree module taints kernel.\n';

describe('guest verdict', () => {
  it('passes a clean run', () => {
    const v = judge({ console: 'MPOOL_VM_EXIT=0\n', dmesg: clean, exitCode: 0, timedOut: false });
    expect(v).toMatchObject({ ok: true, reasons: [] });
  });

  it.each([
    ['WARNING: CPU: 0 PID: 1 at kmod/mpctl.c:10 mpc_ioctl+0x1/0x2 [mpool]'],
    ['BUG: kernel NULL pointer dereference, address: 0000000000000000'],
    ['Oops: 0000 [#1] PREEMPT SMP NOPTI'],
    ['Call Trace:'],
    ['BUG: KASAN: slab-use-after-free in selftest_uaf+0x5/0x9 [mpool]'],
    ['WARNING: possible circular locking dependency detected'],
    ['BUG: sleeping function called from invalid context at mm/slab.h:1'],
    ['general protection fault, probably for non-canonical address'],
    ['Kernel panic - not syncing: Fatal exception'],
  ])('fails on "%s"', (line) => {
    expect(scanKernelLog(`${clean}[    3.0] ${line}\n`)).toHaveLength(1);
    const v = judge({ console: '', dmesg: `${clean}${line}\n`, exitCode: 0, timedOut: false });
    expect(v.ok).toBe(false);
  });

  it('fails when the guest dies without an exit status, or times out, or the command fails', () => {
    expect(judge({ console: '', dmesg: '', exitCode: null, timedOut: false }).reasons[0]).toMatch(/died/);
    expect(judge({ console: '', dmesg: '', exitCode: null, timedOut: true }).reasons[0]).toMatch(/timed out/);
    expect(judge({ console: '', dmesg: '', exitCode: 3, timedOut: false }).reasons[0]).toMatch(/status 3/);
  });

  it('reads the last exit marker from the console', () => {
    expect(guestExitCode('x\nMPOOL_VM_EXIT=0\nMPOOL_VM_EXIT=7\n')).toBe(7);
    expect(guestExitCode('nothing')).toBeNull();
  });

  it('fails on a kmemleak report that points into mpool, not on others', () => {
    const report = [
      'unreferenced object 0xffff888004a1b000 (size 192):',
      '  comm "insmod", pid 120, jiffies 4294893',
      '  backtrace:',
      '    [<ffffffff8135>] kmalloc_trace+0x26/0x90',
      '    [<ffffffffc0a1>] selftest_leak+0x1c/0x60 [mpool]',
      'unreferenced object 0xffff888004a1c000 (size 64):',
      '  backtrace:',
      '    [<ffffffff8135>] kmalloc_trace+0x26/0x90',
      '    [<ffffffff8136>] some_other_driver+0x1c/0x60',
    ].join('\n');
    const reports = parseKmemleak(report);
    expect(reports.map((r) => r.inModule)).toEqual([true, false]);
    const v = judge({ console: '', dmesg: '', exitCode: 0, timedOut: false, kmemleak: report });
    expect(v.ok).toBe(false);
    expect(v.leaks).toHaveLength(1);
  });

  it('attributes frames of an unloaded module by the address range saved before rmmod', () => {
    const report = [
      'unreferenced object 0xff1100000700cb00 (size 192):',
      '  comm "insmod", pid 90, jiffies 4294749025',
      '  backtrace:',
      '    [<00000000e809dab9>] kmalloc_trace+0x21/0xc0',
      '    [<000000004227db1b>] 0xffffffffc0263f2f',
      '    [<000000002335a8c3>] do_one_initcall+0xcc/0x380',
    ].join('\n');
    const modules = 'mpool 16384 0 - Live 0xffffffffc0263000 (OE)\n';
    expect(judge({ console: '', dmesg: '', exitCode: 0, timedOut: false, kmemleak: report, modules }).leaks).toHaveLength(1);
    const elsewhere = 'mpool 16384 0 - Live 0xffffffffc0300000 (OE)\n';
    expect(judge({ console: '', dmesg: '', exitCode: 0, timedOut: false, kmemleak: report, modules: elsewhere }).ok).toBe(true);
  });
});

describe('reports during boot', () => {
  const bootReport = '[    0.002787] BUG: KASAN: wild-memory-access in do_raw_spin_lock+0x11a/0x270';
  it('a report before the guest command ran marks the run for a rerun', () => {
    const console = `${bootReport}\nMPOOL_VM_READY uptime=3\nMPOOL_VM_EXIT=0\n`;
    const v = judge({ console, dmesg: `${bootReport}\n`, exitCode: 0, timedOut: false });
    expect(v.ok).toBe(false);
    expect(failedDuringBoot(v, console)).toBe(true);
  });
  it('a report after it does not', () => {
    const console = `MPOOL_VM_READY uptime=3\n${bootReport}\nMPOOL_VM_EXIT=0\n`;
    const v = judge({ console, dmesg: `${bootReport}\n`, exitCode: 0, timedOut: false });
    expect(failedDuringBoot(v, console)).toBe(false);
  });
  it('nor does a mix, or a leak', () => {
    const console = `${bootReport}\nMPOOL_VM_READY uptime=3\nWARNING: CPU: 0 PID: 1 at kmod/mp.c:1 x [mpool]\n`;
    const v = judge({ console, dmesg: '', exitCode: 0, timedOut: false });
    expect(failedDuringBoot(v, console)).toBe(false);
  });
});
