import { describe, expect, it } from 'vitest';
import { IOCTLS } from '../../userland/src/gen/ioctl.js';
import { errnoName } from '../../userland/src/sys/errors.js';
import { errorOf } from '../expect-error.js';
import * as sys from '../../userland/src/sys/libc.js';

describe('system layer', () => {
  it('open of a missing path gives a typed error with errno, name, operation and path', () => {
    const e = errorOf(() => sys.open('/nonexistent/mpoolctl', sys.O_RDONLY));
    expect(e.errno).toBe(2);
    expect(e.code).toBe('ENOENT');
    expect(e.op).toBe('open');
    expect(e.path).toBe('/nonexistent/mpoolctl');
    expect(e.message).toBe('open /nonexistent/mpoolctl: no such file or directory (ENOENT)');
    expect(e.toJSON()).toMatchObject({ errno: 2, code: 'ENOENT', op: 'open', path: '/nonexistent/mpoolctl' });
  });

  it('an mpool ioctl on a device that does not know it is ENOTTY', () => {
    const fd = sys.open('/dev/null', sys.O_RDONLY);
    try {
      const e = errorOf(() => sys.ioctl(fd, IOCTLS.MPIOC_PROP_GET.request, new Uint8Array(16), 'MPIOC_PROP_GET', '/dev/null'));
      expect(e.code).toBe('ENOTTY');
      expect(e.op).toBe('ioctl MPIOC_PROP_GET');
    } finally {
      sys.close(fd);
    }
  });

  it('close of a bad fd is EBADF', () => {
    expect(errorOf(() => sys.close(1_000_000)).code).toBe('EBADF');
  });

  it('mmap gives a zero-copy view; mincore and madvise work on it; munmap ends it', () => {
    const len = sys.pageSize * 4;
    const m = sys.mmap(len, sys.PROT_READ | sys.PROT_WRITE, sys.MAP_PRIVATE | sys.MAP_ANONYMOUS, -1, 0n);
    expect(m.address % BigInt(sys.pageSize)).toBe(0n);
    m.bytes[0] = 0xa5;
    m.bytes[len - 1] = 0x5a;
    const resident = sys.mincore(m);
    expect(resident).toHaveLength(4);
    expect(resident[0]! & 1).toBe(1);
    expect(resident[3]! & 1).toBe(1);
    sys.madvise(m, 0, len, sys.MADV_DONTNEED);
    expect(m.bytes[0]).toBe(0); // private anonymous memory is dropped by DONTNEED
    m.unmap();
    expect(m.mapped).toBe(false);
    expect(errorOf(() => m.bytes).code).toBe('EBADF');
    m.unmap(); // idempotent
  });

  it('mmap failure is a typed error', () => {
    expect(errorOf(() => sys.mmap(4096, sys.PROT_READ, sys.MAP_SHARED, 1_000_000, 0n)).code).toBe('EBADF');
  });

  it('addressOf gives the address the kernel will see', () => {
    const b = Buffer.alloc(64);
    const a = sys.addressOf(b);
    expect(a).toBeGreaterThan(0n);
    expect(sys.addressOf(new Uint8Array(0))).toBe(0n);
  });

  it('errno names come from the C library', () => {
    expect(errnoName(25)).toBe('ENOTTY');
    expect(errnoName(14)).toBe('EFAULT');
  });
});

describe('buffers referenced by address', () => {
  it('stay pinned until the next ioctl returns', () => {
    const fd = sys.open('/dev/null', sys.O_RDONLY);
    const ioctl = (): void => {
      expect(() => sys.ioctl(fd, 0x5401, Buffer.alloc(8), 'TCGETS')).toThrow();
    };
    try {
      ioctl(); // releases whatever earlier tests pinned
      const before = sys.pinnedReleased();
      sys.addressOf(Buffer.alloc(16));
      sys.addressOf(Buffer.alloc(32));
      ioctl();
      expect(sys.pinnedReleased() - before).toBe(2);
      ioctl();
      expect(sys.pinnedReleased() - before).toBe(2);
    } finally {
      sys.close(fd);
    }
  });
});
