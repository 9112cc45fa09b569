/** The ioctl dispatcher: command matching, argument copying, node and permission rules. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MpiocListCmd } from '../../../userland/src/gen/constants.js';
import { IOCTLS } from '../../../userland/src/gen/ioctl.js';
import { MpiocList, MpiocMpool } from '../../../userland/src/gen/structs.js';
import { Control } from '../../../userland/src/lib/control.js';
import * as sys from '../../../userland/src/sys/libc.js';
import { viewOf } from '../../../userland/src/uapi/runtime.js';
import { ensureLoaded, errorOf, kernelFailuresSince, markKernelLog, runAsync } from '../helpers.js';

const CTL = '/dev/mpoolctl';
const IOC = (dir: number, nr: number, size: number, type = 0x32): number => ((dir << 30) | (size << 16) | (type << 8) | nr) >>> 0;
let rw: number;
let ro: number;
let marker: string;

function listArg(cmd: number, listc = 0, listv = 0n): Buffer {
  const b = Buffer.alloc(MpiocList.size);
  MpiocList.encode(viewOf(b), 0, { ls_cmd: cmd, ls_listc: listc, ls_listv: listv });
  return b;
}

beforeAll(() => {
  ensureLoaded();
  marker = markKernelLog('dispatch');
  rw = sys.open(CTL, sys.O_RDWR);
  ro = sys.open(CTL, sys.O_RDONLY);
});

afterAll(() => {
  sys.close(rw);
  sys.close(ro);
});

describe('command matching', () => {
  it('an unknown command number is ENOTTY', () => {
    expect(errorOf(() => sys.ioctl(rw, IOC(3, 99, 16), Buffer.alloc(16), 'nr 99')).code).toBe('ENOTTY');
    expect(errorOf(() => sys.ioctl(rw, IOC(3, 0, 16), Buffer.alloc(16), 'nr 0')).code).toBe('ENOTTY');
  });

  it('a wrong magic is ENOTTY', () => {
    const req = IOC(3, 20, 16, 0x33);
    expect(errorOf(() => sys.ioctl(rw, req, listArg(2), 'magic 0x33')).code).toBe('ENOTTY');
  });

  it('a known number with the wrong size or direction is another command: ENOTTY', () => {
    expect(errorOf(() => sys.ioctl(rw, IOC(3, 20, 8), Buffer.alloc(16), 'PROP_GET size 8')).code).toBe('ENOTTY');
    expect(errorOf(() => sys.ioctl(rw, IOC(3, 20, 24), Buffer.alloc(24), 'PROP_GET size 24')).code).toBe('ENOTTY');
    expect(errorOf(() => sys.ioctl(rw, IOC(1, 20, 16), listArg(2), 'PROP_GET write-only')).code).toBe('ENOTTY');
    expect(errorOf(() => sys.ioctl(rw, IOC(0, 20, 0), null, 'PROP_GET no data')).code).toBe('ENOTTY');
  });

  it('every one of the 33 commands is known to the dispatcher (none is ENOTTY)', () => {
    // Sent to the control node with a zeroed argument and no privileges
    // dropped: each answers with its own rule, never "unknown command".
    for (const info of Object.values(IOCTLS)) {
      const arg = Buffer.alloc(Math.max(info.size, 8));
      let code = 'OK';
      try {
        sys.ioctl(ro, info.request, arg, info.name, CTL);
      } catch (e) {
        code = (e as { code: string }).code;
      }
      expect(code, info.name).not.toBe('ENOTTY');
    }
  });
});

describe('argument copying', () => {
  it('a NULL argument is EFAULT', () => {
    expect(errorOf(() => sys.ioctl(rw, IOCTLS.MPIOC_PROP_GET.request, null, 'PROP_GET NULL')).code).toBe('EFAULT');
  });

  it('an argument that runs into an unmapped page is EFAULT', () => {
    const page = sys.pageSize;
    const m = sys.mmap(2 * page, sys.PROT_READ | sys.PROT_WRITE, sys.MAP_PRIVATE | sys.MAP_ANONYMOUS, -1, 0n);
    try {
      sys.mprotect(m, page, page, sys.PROT_NONE);
      // 8 of the 16 bytes are readable: the copy-in must fail cleanly.
      const addr = m.address + BigInt(page - 8);
      const e = errorOf(() => sys.ioctlAddress(rw, IOCTLS.MPIOC_PROP_GET.request, addr, 'PROP_GET short'));
      expect(e.code).toBe('EFAULT');
    } finally {
      m.unmap();
    }
  });

  it('a kernel address is EFAULT, not a kernel read', () => {
    const e = errorOf(() => sys.ioctlAddress(rw, IOCTLS.MPIOC_PROP_GET.request, 0xffffffff81000000n, 'PROP_GET kaddr'));
    expect(e.code).toBe('EFAULT');
  });

  it('a read-only argument page cannot take the copy-out: EFAULT', () => {
    const page = sys.pageSize;
    const m = sys.mmap(page, sys.PROT_READ | sys.PROT_WRITE, sys.MAP_PRIVATE | sys.MAP_ANONYMOUS, -1, 0n);
    try {
      m.bytes.set(listArg(MpiocListCmd.MPIOC_LIST_CMD_PROP_LIST, 1, 0n));
      sys.mprotect(m, 0, page, sys.PROT_READ);
      expect(errorOf(() => sys.ioctlAddress(rw, IOCTLS.MPIOC_PROP_GET.request, m.address, 'PROP_GET ro')).code).toBe('EFAULT');
    } finally {
      m.unmap();
    }
  });
});

describe('PROP_GET on the control node', () => {
  it('lists no pools when none is active', () => {
    const ctl = Control.open();
    try {
      expect(ctl.listPools()).toEqual([]);
    } finally {
      ctl.close();
    }
  });

  it('reports the count in ls_listc', () => {
    const arg = listArg(MpiocListCmd.MPIOC_LIST_CMD_PROP_LIST, 7, 0n);
    sys.ioctl(ro, IOCTLS.MPIOC_PROP_GET.request, arg, 'PROP_GET');
    expect(MpiocList.decode(viewOf(arg), 0).ls_listc).toBe(0);
  });

  it('an invalid or pool-only list command is EINVAL', () => {
    for (const cmd of [0, MpiocListCmd.MPIOC_LIST_CMD_PROP_GET, 3, 0xffffffff]) {
      expect(errorOf(() => sys.ioctl(ro, IOCTLS.MPIOC_PROP_GET.request, listArg(cmd), `ls_cmd ${cmd}`)).code).toBe('EINVAL');
    }
  });
});

describe('node and permission rules', () => {
  it('object commands on the control node are EINVAL', () => {
    for (const name of ['MPIOC_MB_ALLOC', 'MPIOC_MLOG_FIND', 'MPIOC_PARAMS_GET', 'MPIOC_DRV_ADD', 'MPIOC_MP_MCLASS_GET', 'MPIOC_DEVPROPS_GET', 'MPIOC_VMA_CREATE'] as const) {
      const info = IOCTLS[name];
      expect(errorOf(() => sys.ioctl(rw, info.request, Buffer.alloc(info.size), name)).code, name).toBe('EINVAL');
    }
  });

  it('a read-only file may not mutate: EINVAL', () => {
    const arg = Buffer.alloc(MpiocMpool.size);
    for (const name of ['MPIOC_MP_CREATE', 'MPIOC_MP_DESTROY', 'MPIOC_MP_ACTIVATE', 'MPIOC_MP_DEACTIVATE', 'MPIOC_MP_RENAME'] as const) {
      expect(errorOf(() => sys.ioctl(ro, IOCTLS[name].request, arg, name)).code, name).toBe('EINVAL');
    }
  });

  it('management without CAP_SYS_ADMIN is EPERM', async () => {
    // A child with CAP_SYS_ADMIN dropped, still uid 0 (so it can open the node rw).
    const script = join(import.meta.dirname, 'noadmin-child.ts');
    const child = await runAsync(
      'setpriv',
      ['--inh-caps=-sys_admin', '--bounding-set=-sys_admin', process.execPath, '--import', 'tsx', script],
      { cwd: join(import.meta.dirname, '../../..') },
    );
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ create: 'EPERM', list: 'OK' });
  });

  it('left nothing in the kernel log', () => {
    expect(kernelFailuresSince(marker)).toEqual([]);
  });
});
