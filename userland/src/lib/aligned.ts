/**
 * Page-aligned memory for object I/O. The kernel moves mblock and mlog data
 * straight between the device and user pages, so every buffer it sees must
 * start on a page and be whole pages long. An AlignedBuffer is such memory
 * (an anonymous mapping): pass it to the object calls for zero-copy I/O;
 * anything else is copied through a bounce buffer the library owns.
 */
import { MpoolError } from '../sys/errors.js';
import * as sys from '../sys/libc.js';
import { EINVAL } from './errno.js';

export const PAGE_SIZE: number = sys.pageSize;

/** `n` rounded up to whole pages. */
export function roundUpToPage(n: number): number {
  return Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;
}

export function isPageAligned(n: number | bigint): boolean {
  return typeof n === 'bigint' ? n % BigInt(PAGE_SIZE) === 0n : n % PAGE_SIZE === 0;
}

export class AlignedBuffer {
  #map: sys.Mapping;

  private constructor(map: sys.Mapping) {
    this.#map = map;
  }

  /** `length` bytes (rounded up to whole pages), zero-filled. */
  static alloc(length: number): AlignedBuffer {
    if (!Number.isSafeInteger(length) || length <= 0) {
      throw new MpoolError({ errno: EINVAL, op: 'aligned buffer', detail: `length ${length} is not a positive size` });
    }
    return new AlignedBuffer(sys.anonymousMapping(roundUpToPage(length)));
  }

  /** A copy of `data` in aligned memory, zero-padded to whole pages. */
  static from(data: Uint8Array): AlignedBuffer {
    const b = AlignedBuffer.alloc(Math.max(data.length, 1));
    b.bytes.set(data);
    return b;
  }

  /** The whole buffer; a zero-copy view that must not be used after free(). */
  get bytes(): Uint8Array {
    return this.#map.bytes;
  }

  get length(): number {
    return this.#map.length;
  }

  get address(): bigint {
    return this.#map.address;
  }

  get freed(): boolean {
    return !this.#map.mapped;
  }

  free(): void {
    this.#map.unmap();
  }
}

/**
 * `length` bytes (rounded up to whole pages) that start on a page, inside
 * an ordinary ArrayBuffer: the garbage collector frees it, and V8 never
 * moves a backing store, so the address holds for the buffer's life. For
 * long-lived buffers with no owner to free them (an mlog's append buffer).
 */
export function alignedBytes(length: number): Uint8Array {
  const n = roundUpToPage(Math.max(length, 1));
  const raw = new Uint8Array(n + PAGE_SIZE);
  const skew = Number(sys.addressOf(raw) % BigInt(PAGE_SIZE));
  const at = skew === 0 ? 0 : PAGE_SIZE - skew;
  return raw.subarray(at, at + n);
}

/** Address of a view's first byte when the view is whole, aligned pages (usable without a copy); else null. */
export function alignedAddress(buf: Uint8Array): bigint | null {
  if (buf.length === 0 || buf.length % PAGE_SIZE !== 0) return null;
  const a = sys.addressOf(buf);
  return a % BigInt(PAGE_SIZE) === 0n ? a : null;
}

/** Run `fn` with a scratch aligned buffer of at least `length` bytes, freed afterwards. */
export function withBounce<T>(length: number, fn: (b: AlignedBuffer) => T): T {
  const b = AlignedBuffer.alloc(length);
  try {
    return fn(b);
  } finally {
    b.free();
  }
}
