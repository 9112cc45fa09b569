/** Issue an ioctl whose argument is one generated struct, in a buffer owned here. */
import type { IoctlInfo } from '../gen/ioctl.js';
import * as sys from '../sys/libc.js';
import { viewOf, type StructCodec } from './runtime.js';

/**
 * Encode `value`, issue `cmd` on `fd`, and decode what the kernel left in the
 * buffer. Buffers whose addresses went into pointer fields through
 * sys.addressOf() are pinned by the system layer until this ioctl returns,
 * so the caller need not keep them in scope.
 */
export function ioctlStruct<T>(fd: number, cmd: IoctlInfo, codec: StructCodec<T>, value: T, path?: string): T {
  if (cmd.size !== codec.size) {
    throw new Error(`${cmd.name} carries ${cmd.size} bytes but struct ${codec.cName} is ${codec.size}`);
  }
  const buf = Buffer.alloc(codec.size);
  const dv = viewOf(buf);
  codec.encode(dv, 0, value);
  sys.ioctl(fd, cmd.request, buf, cmd.name, path);
  return codec.decode(dv, 0);
}
