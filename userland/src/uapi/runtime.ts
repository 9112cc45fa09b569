/**
 * Primitive readers and writers that the generated codecs call. They check every
 * value on the way in, so a bad argument fails here with the field's name,
 * never as a silently wrapped integer in the kernel.
 */
import { endianness } from 'node:os';

if (endianness() !== 'LE') {
  throw new Error('mpool: the generated codecs assume a little-endian host');
}

/** A struct's codec: its size, a zero value, and encode/decode over a DataView. */
export interface StructCodec<T> {
  readonly cName: string;
  readonly size: number;
  readonly align: number;
  zero(): T;
  encode(dv: DataView, off: number, v: T): void;
  decode(dv: DataView, off: number): T;
}

const LIMITS = {
  u8: [0, 0xff],
  u16: [0, 0xffff],
  u32: [0, 0xffffffff],
  s8: [-0x80, 0x7f],
  s16: [-0x8000, 0x7fff],
  s32: [-0x80000000, 0x7fffffff],
} as const;

function checkInt(v: number, kind: keyof typeof LIMITS, field: string): number {
  const [lo, hi] = LIMITS[kind];
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new RangeError(`${field}: ${String(v)} is not a ${kind} integer`);
  }
  return v;
}

const U64_MAX = (1n << 64n) - 1n;
const S64_MIN = -(1n << 63n);
const S64_MAX = (1n << 63n) - 1n;

export function putU8(dv: DataView, off: number, v: number, field: string): void {
  dv.setUint8(off, checkInt(v, 'u8', field));
}
export function putU16(dv: DataView, off: number, v: number, field: string): void {
  dv.setUint16(off, checkInt(v, 'u16', field), true);
}
export function putU32(dv: DataView, off: number, v: number, field: string): void {
  dv.setUint32(off, checkInt(v, 'u32', field), true);
}
export function putS8(dv: DataView, off: number, v: number, field: string): void {
  dv.setInt8(off, checkInt(v, 's8', field));
}
export function putS16(dv: DataView, off: number, v: number, field: string): void {
  dv.setInt16(off, checkInt(v, 's16', field), true);
}
export function putS32(dv: DataView, off: number, v: number, field: string): void {
  dv.setInt32(off, checkInt(v, 's32', field), true);
}
export function putU64(dv: DataView, off: number, v: bigint, field: string): void {
  if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) throw new RangeError(`${field}: ${String(v)} is not a u64`);
  dv.setBigUint64(off, v, true);
}
export function putS64(dv: DataView, off: number, v: bigint, field: string): void {
  if (typeof v !== 'bigint' || v < S64_MIN || v > S64_MAX) throw new RangeError(`${field}: ${String(v)} is not an s64`);
  dv.setBigInt64(off, v, true);
}

export const getU8 = (dv: DataView, off: number): number => dv.getUint8(off);
export const getU16 = (dv: DataView, off: number): number => dv.getUint16(off, true);
export const getU32 = (dv: DataView, off: number): number => dv.getUint32(off, true);
export const getS8 = (dv: DataView, off: number): number => dv.getInt8(off);
export const getS16 = (dv: DataView, off: number): number => dv.getInt16(off, true);
export const getS32 = (dv: DataView, off: number): number => dv.getInt32(off, true);
export const getU64 = (dv: DataView, off: number): bigint => dv.getBigUint64(off, true);
export const getS64 = (dv: DataView, off: number): bigint => dv.getBigInt64(off, true);

/** Raw bytes (uuids, reserved arrays): exactly `len` of them. */
export function putBytes(dv: DataView, off: number, v: Uint8Array, len: number, field: string): void {
  if (!(v instanceof Uint8Array) || v.length !== len) {
    throw new RangeError(`${field}: expected ${len} bytes`);
  }
  new Uint8Array(dv.buffer, dv.byteOffset + off, len).set(v);
}
export function getBytes(dv: DataView, off: number, len: number): Uint8Array {
  return new Uint8Array(dv.buffer, dv.byteOffset + off, len).slice();
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { fatal: false });

/** A NUL-terminated string in a char[len]; it must leave room for the NUL. */
export function putString(dv: DataView, off: number, v: string, len: number, field: string): void {
  const bytes = utf8.encode(v);
  if (bytes.includes(0)) throw new RangeError(`${field}: string contains a NUL byte`);
  if (bytes.length >= len) throw new RangeError(`${field}: "${v}" is ${bytes.length} bytes, at most ${len - 1} fit`);
  const dst = new Uint8Array(dv.buffer, dv.byteOffset + off, len);
  dst.fill(0);
  dst.set(bytes);
}
export function getString(dv: DataView, off: number, len: number): string {
  const src = new Uint8Array(dv.buffer, dv.byteOffset + off, len);
  const end = src.indexOf(0);
  return utf8d.decode(src.subarray(0, end < 0 ? len : end));
}

/** Check an array field's length before its elements are written. */
export function checkLength(v: readonly unknown[], len: number, field: string): void {
  if (!Array.isArray(v) || v.length !== len) throw new RangeError(`${field}: expected ${len} elements`);
}

/** A DataView over a whole Buffer, for encode/decode at offset 0. */
export function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}
