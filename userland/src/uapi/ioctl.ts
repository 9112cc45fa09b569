/** Issue an ioctl whose argument is one generated struct, in a buffer owned here. */
import type { IoctlInfo } from '../gen/ioctl.js';
import * as sys from '../sys/libc.js';
import { viewOf, type StructCodec } from './runtime.js';

/*
 * One argument buffer per struct size, reused by every call: ioctls are
 * synchronous and nothing runs between encode and decode, and decoded
 * values copy what they take out of it (getBytes, getString). It is zeroed
 * before each encode, so no byte of the previous call's result, padding
 * included, goes back to the kernel.
 */
const scratch = new Map<number, { buf: Buffer; dv: DataView }>();

function argumentBuffer(size: number): { buf: Buffer; dv: DataView } {
  let s = scratch.get(size);
  if (!s) {
    const buf = Buffer.alloc(size);
    s = { buf, dv: viewOf(buf) };
    scratch.set(size, s);
  } else {
    s.buf.fill(0);
  }
  return s;
}

/**
 * Encode `value`, issue `cmd` on `fd`, and decode what the kernel left in the
 * buffer. Buffers whose addresses went into pointer fields through
 * sys.addressOf() are pinned by the system layer until this ioctl returns,
 * so the caller need not keep them in scope.
 */
export function ioctlStruct<T>(fd: number, cmd: IoctlInfo, codec: StructCodec<T>, value: T, path?: string): T {
  const dv = ioctlStructIn(fd, cmd, codec, value, path);
  return codec.decode(dv, 0);
}

/**
 * The zeroed argument buffer of `size` bytes, for hot paths that write the
 * few fields they set themselves (at offsets from the generated LAYOUT,
 * with the checked writers of runtime.ts) and then call ioctlArgument().
 * Valid until the next call that takes a buffer of the same size.
 */
export function argumentView(size: number): DataView {
  return argumentBuffer(size).dv;
}

/** Issue `cmd` with the argument argumentView(cmd.size) holds; returns that view, as the kernel left it. */
export function ioctlArgument(fd: number, cmd: IoctlInfo, path?: string): DataView {
  const s = scratch.get(cmd.size);
  if (!s) throw new Error(`${cmd.name}: no argument was written (argumentView(${cmd.size}))`);
  sys.ioctl(fd, cmd.request, s.buf, cmd.name, path);
  return s.dv;
}

/** The same, for commands whose result the caller does not need: nothing is decoded. */
export function ioctlStructIn<T>(fd: number, cmd: IoctlInfo, codec: StructCodec<T>, value: T, path?: string): DataView {
  if (cmd.size !== codec.size) {
    throw new Error(`${cmd.name} carries ${cmd.size} bytes but struct ${codec.cName} is ${codec.size}`);
  }
  const { buf, dv } = argumentBuffer(codec.size);
  codec.encode(dv, 0, value);
  sys.ioctl(fd, cmd.request, buf, cmd.name, path);
  return dv;
}
