/**
 * struct iovec arrays for the ioctls that take user memory (MB_READ/WRITE,
 * MLOG_READ/WRITE). struct iovec is libc's (sys/uio.h), not part of
 * uapi/mpool_ioctl.h, so it has no generated codec: its layout is taken from
 * koffi's view of the C type, never written down by hand here.
 */
import koffi from 'koffi';

// Anonymous: a named type would clash when the module is evaluated twice in one process (vitest).
const IOVEC = koffi.struct({ iov_base: 'void *', iov_len: 'size_t' });

/** sizeof(struct iovec) on this host. */
export const IOVEC_SIZE: number = koffi.sizeof(IOVEC);
const BASE_OFF: number = koffi.offsetof(IOVEC, 'iov_base');
const LEN_OFF: number = koffi.offsetof(IOVEC, 'iov_len');

/** One segment of user memory: an address and a length in bytes. */
export interface IoSegment {
  readonly address: bigint;
  readonly length: number;
}

/**
 * The bytes of a struct iovec array describing `segs`, in order: in `into`
 * when it is large enough (a caller's reusable buffer), else in a new one.
 */
export function encodeIovecs(segs: readonly IoSegment[], into?: Buffer): Buffer {
  const size = segs.length * IOVEC_SIZE;
  const buf = into && into.length >= size ? into.subarray(0, size) : Buffer.alloc(size);
  segs.forEach((s, i) => putIovec(buf, i, s.address, s.length));
  return buf;
}

/** Entry `i` of the struct iovec array in `buf`: one segment, without building an IoSegment. */
export function putIovec(buf: Buffer, i: number, address: bigint, length: number): void {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`iovec[${i}].iov_len: ${length} is not a size`);
  buf.writeBigUInt64LE(address, i * IOVEC_SIZE + BASE_OFF);
  buf.writeBigUInt64LE(BigInt(length), i * IOVEC_SIZE + LEN_OFF);
}
