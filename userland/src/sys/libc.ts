/**
 * The system layer: the handful of libc calls mpool needs, bound with koffi.
 * Each wrapper turns a -1 return into an MpoolError that carries errno, the
 * operation and the path. Nothing above this file calls koffi directly.
 */
import koffi from 'koffi';
import { MpoolError } from './errors.js';

const libc = koffi.load('libc.so.6');

const c_open = libc.func('int open(const char *path, int flags, uint32_t mode)');
const c_close = libc.func('int close(int fd)');
const c_ioctl = libc.func('int ioctl(int fd, unsigned long request, void *arg)');
const c_ioctl_addr = libc.func('int ioctl(int fd, unsigned long request, uint64_t arg)');
const c_mmap = libc.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)');
const c_munmap = libc.func('int munmap(uint64_t addr, size_t length)');
const c_mmap_at = libc.func('uint64_t mmap(uint64_t addr, size_t length, int prot, int flags, int fd, int64_t offset)');
const c_mprotect = libc.func('int mprotect(uint64_t addr, size_t length, int prot)');
const c_madvise = libc.func('int madvise(uint64_t addr, size_t length, int advice)');
const c_mincore = libc.func('int mincore(uint64_t addr, size_t length, _Out_ uint8_t *vec)');
const c_sysconf = libc.func('long sysconf(int name)');
// Addresses, not buffers: O_DIRECT needs the caller's aligned memory used as is.
const c_pread = libc.func('int64_t pread(int fd, uint64_t buf, size_t count, int64_t offset)');
const c_pwrite = libc.func('int64_t pwrite(int fd, uint64_t buf, size_t count, int64_t offset)');
const c_fsync = libc.func('int fsync(int fd)');

const SC_PAGESIZE = 30;

export const O_RDONLY = 0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_EXCL = 0o200;
export const O_NONBLOCK = 0o4000;
export const O_DIRECT = 0o40000;
export const O_CLOEXEC = 0o2000000;

export const PROT_NONE = 0x0;
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_ANONYMOUS = 0x20;
export const MAP_FIXED = 0x10;
export const MAP_NORESERVE = 0x4000;

/* Block device ioctls (linux/fs.h), for measuring a device. */
export const BLKSSZGET = 0x1268; // int: logical block size
export const BLKIOOPT = 0x1279; // unsigned int: optimal I/O size
export const BLKPBSZGET = 0x127b; // unsigned int: physical block size
export const BLKGETSIZE64 = 0x80081272; // u64: size in bytes

export const MADV_NORMAL = 0;
export const MADV_RANDOM = 1;
export const MADV_SEQUENTIAL = 2;
export const MADV_WILLNEED = 3;
export const MADV_DONTNEED = 4;
export const MADV_COLD = 20;
export const MADV_PAGEOUT = 21;
export const MADV_POPULATE_READ = 22;

const MAP_FAILED = 0xffffffffffffffffn;

function fail(op: string, path?: string): never {
  throw new MpoolError({ errno: koffi.errno(), op, path });
}

export const pageSize: number = Number(c_sysconf(SC_PAGESIZE));

/** open(2). Always adds O_CLOEXEC. */
export function open(path: string, flags: number, mode = 0): number {
  const fd = c_open(path, flags | O_CLOEXEC, mode) as number;
  if (fd < 0) fail('open', path);
  return fd;
}

export function close(fd: number, path?: string): void {
  if ((c_close(fd) as number) < 0) fail('close', path);
}

/**
 * ioctl(2) with a struct argument in `arg`, which the kernel reads and writes
 * in place. Returns the (non-negative) result.
 */
export function ioctl(fd: number, request: number, arg: Uint8Array | null, what: string, path?: string): number {
  const held = takePinned();
  let rc: number;
  try {
    rc = c_ioctl(fd, request, arg) as number;
  } finally {
    release(held);
  }
  if (rc < 0) fail(`ioctl ${what}`, path);
  return rc;
}

/** ioctl(2) with a raw address as the argument: for tests of the kernel's pointer checks. */
export function ioctlAddress(fd: number, request: number, address: bigint, what: string, path?: string): number {
  const held = takePinned();
  let rc: number;
  try {
    rc = c_ioctl_addr(fd, request, address) as number;
  } finally {
    release(held);
  }
  if (rc < 0) fail(`ioctl ${what}`, path);
  return rc;
}

/** The address of a buffer's first byte, for the user-pointer fields of ioctl structs. */
export function addressOf(buf: Uint8Array): bigint {
  if (buf.byteLength === 0) return 0n;
  pinned.push(buf);
  return koffi.address(buf);
}

/*
 * Buffers whose address went into an ioctl argument (an iovec array, a
 * path list, a result vector) are often not referenced again in JS, and V8
 * may collect one while the kernel still reads it: the kernel then sees
 * freed memory. addressOf() pins every buffer it is asked about until the
 * next ioctl has returned.
 */
let pinned: Uint8Array[] = [];
let releasedCount = 0;

const NONE_PINNED: Uint8Array[] = [];

function takePinned(): Uint8Array[] {
  if (pinned.length === 0) return NONE_PINNED;
  const held = pinned;
  pinned = [];
  return held;
}

function release(held: Uint8Array[]): void {
  // A use after the call, so the buffers stay reachable until here.
  releasedCount += held.length;
}

/** How many pinned buffers ioctls have released (for tests). */
export function pinnedReleased(): number {
  return releasedCount;
}

/** A live mapping. `bytes` is a zero-copy view; it must not be used after unmap(). */
export class Mapping {
  #ptr: unknown;
  readonly address: bigint;
  readonly length: number;
  #bytes: Uint8Array | null;

  constructor(ptr: unknown, length: number) {
    this.#ptr = ptr;
    this.address = koffi.address(ptr);
    this.length = length;
    this.#bytes = new Uint8Array(koffi.view(ptr, length));
  }

  get mapped(): boolean {
    return this.#bytes !== null;
  }

  /** The mapped memory. Throws once the mapping is gone, instead of faulting. */
  get bytes(): Uint8Array {
    if (this.#bytes === null) throw new MpoolError({ errno: 9, op: 'mapping', detail: 'the mapping has been unmapped' });
    return this.#bytes;
  }

  unmap(): void {
    if (this.#bytes === null) return;
    if ((c_munmap(this.address, this.length) as number) < 0) fail('munmap');
    this.#bytes = null;
    this.#ptr = null;
  }
}

export function mmap(length: number, prot: number, flags: number, fd: number, offset: bigint, path?: string): Mapping {
  const ptr = c_mmap(null, length, prot, flags, fd, offset);
  if (ptr === null || koffi.address(ptr) === MAP_FAILED) fail('mmap', path);
  return new Mapping(ptr, length);
}

export function mprotect(map: Mapping, offset: number, length: number, prot: number): void {
  if ((c_mprotect(map.address + BigInt(offset), length, prot) as number) < 0) fail('mprotect');
}

export function madvise(map: Mapping, offset: number, length: number, advice: number): void {
  if ((c_madvise(map.address + BigInt(offset), length, advice) as number) < 0) fail('madvise');
}

/** mincore(2): one byte per page, bit 0 set when the page is resident. */
export function mincore(map: Mapping, offset = 0, length = map.length - offset): Uint8Array {
  const vec = new Uint8Array(Math.ceil(length / pageSize));
  if ((c_mincore(map.address + BigInt(offset), length, vec) as number) < 0) fail('mincore');
  return vec;
}

/**
 * pread(2) into a mapping (page aligned, as O_DIRECT wants): `length` bytes
 * at `position` of the file into `map` at `offset`. Returns the bytes read,
 * which is less than `length` at the end of the file.
 */
export function pread(fd: number, map: Mapping, offset: number, length: number, position: bigint, path?: string): number {
  if (offset < 0 || length < 0 || offset + length > map.length) throw new RangeError(`pread: ${length} bytes at ${offset} do not fit the mapping`);
  const n = Number(c_pread(fd, map.address + BigInt(offset), length, position));
  if (n < 0) fail('pread', path);
  return n;
}

/** pwrite(2) from a mapping: the counterpart of pread(). Returns the bytes written. */
export function pwrite(fd: number, map: Mapping, offset: number, length: number, position: bigint, path?: string): number {
  if (offset < 0 || length < 0 || offset + length > map.length) throw new RangeError(`pwrite: ${length} bytes at ${offset} do not fit the mapping`);
  const n = Number(c_pwrite(fd, map.address + BigInt(offset), length, position));
  if (n < 0) fail('pwrite', path);
  return n;
}

export function fsync(fd: number, path?: string): void {
  if ((c_fsync(fd) as number) < 0) fail('fsync', path);
}

/**
 * Replace whatever is mapped at [address, address + length) with a private,
 * read-only, zero-filled reservation, in one call: the old mapping is gone
 * (as after munmap) but the addresses stay ours, so a stale view of them
 * reads zeros instead of faulting. Give them back with unmapRange().
 */
export function replaceWithReservation(address: bigint, length: number): void {
  const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE;
  // koffi gives a 64-bit result as a number when it fits, else a bigint.
  const got = BigInt(c_mmap_at(address, length, PROT_READ, flags, -1, 0n) as number | bigint);
  if (got === MAP_FAILED) fail('mmap');
}

/** munmap(2) of a range by address. */
export function unmapRange(address: bigint, length: number): void {
  if ((c_munmap(address, length) as number) < 0) fail('munmap');
}

/** An anonymous, private, read-write mapping: page-aligned scratch memory for O_DIRECT. */
export function anonymousMapping(length: number): Mapping {
  return mmap(length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0n);
}

/** BLKGETSIZE64: the size of a block device, in bytes. */
export function blockDeviceSize(fd: number, path?: string): bigint {
  const b = Buffer.alloc(8);
  ioctl(fd, BLKGETSIZE64, b, 'BLKGETSIZE64', path);
  return b.readBigUInt64LE(0);
}

/** One of the block device ioctls that return a 32-bit integer (BLKSSZGET, BLKPBSZGET, BLKIOOPT). */
export function blockDeviceU32(fd: number, request: number, what: string, path?: string): number {
  const b = Buffer.alloc(8);
  ioctl(fd, request, b, what, path);
  return b.readUInt32LE(0);
}
