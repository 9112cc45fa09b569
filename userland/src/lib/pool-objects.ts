/**
 * What Mblocks and Mlogs share: the pool they talk to (only its fd and
 * path), the kernel's I/O limits, and the shape of every object call:
 * check the id, issue the ioctl, and rethrow a failure as an error naming
 * the object (objectError). Each subclass adds its own commands and codecs.
 */
import { MPIOC_KIOV_MAX } from '../gen/constants.js';
import { IOCTLS } from '../gen/ioctl.js';
import { encodeIovecs, IOVEC_SIZE, putIovec, type IoSegment } from '../sys/iovec.js';
import * as sys from '../sys/libc.js';
import { argumentView, ioctlArgument, ioctlStruct, ioctlStructIn } from '../uapi/ioctl.js';
import type { StructCodec } from '../uapi/runtime.js';
import { AlignedBuffer } from './aligned.js';
import { checkPages, pagesOk } from './objio.js';
import { checkObjectId, ioLimits, objectContext, objectError, objectIdHex, type IoLimits, type ObjectErrorContext, type ObjectKind } from './objects.js';

/** What the object commands need of an open pool: its node's file descriptor and path. */
export interface PoolHandle {
  readonly fd: number;
  readonly path: string;
}

export type ObjectHints = ObjectErrorContext['hints'];

/** Hints, or how to make them: built only when a call fails (the success path allocates none). */
export type LazyHints = ObjectHints | (() => ObjectHints);

export type IoctlName = keyof typeof IOCTLS;

/*
 * The iovec array of this thread's I/O ioctls, reused: a call's array is
 * dead once its ioctl returns. An array longer than the kernel takes gets a
 * buffer of its own (the kernel then refuses it).
 */
const iovScratch = Buffer.alloc(MPIOC_KIOV_MAX * IOVEC_SIZE);
// Taken once: the buffer lives as long as the module, and V8 never moves a backing store.
const iovScratchAddress = sys.addressOf(iovScratch);

/** The address of a struct iovec array describing `segs`: the reused one when they fit it. */
function iovecArray(segs: readonly IoSegment[]): bigint {
  const iov = encodeIovecs(segs, iovScratch);
  return iov.buffer === iovScratch.buffer ? iovScratchAddress : sys.addressOf(iov);
}

export abstract class PoolObjects<Props extends { committed: boolean }> {
  readonly pool: PoolHandle;
  readonly limits: IoLimits;
  protected abstract readonly kind: ObjectKind;

  constructor(pool: PoolHandle, limits: IoLimits = ioLimits()) {
    this.pool = pool;
    this.limits = limits;
  }

  /** The object's properties; also how an error tells a committed object from an uncommitted one. */
  abstract find(id: bigint): Props;

  protected context(op: string, id?: bigint, hints?: ObjectHints): ObjectErrorContext {
    return objectContext(this.kind, op, this.pool.path, (x) => this.find(x), id, hints);
  }

  /** One ioctl on the pool's node, its argument one generated struct. */
  protected ioctl<T>(cmd: IoctlName, codec: StructCodec<T>, value: T): T {
    return ioctlStruct(this.pool.fd, IOCTLS[cmd], codec, value, this.pool.path);
  }

  /** One I/O ioctl over these segments: `value` gets the address of their struct iovec array. */
  protected iovecIoctl<T>(cmd: IoctlName, codec: StructCodec<T>, segs: readonly IoSegment[], value: (iov: bigint) => T): void {
    ioctlStructIn(this.pool.fd, IOCTLS[cmd], codec, value(iovecArray(segs)), this.pool.path);
  }

  /**
   * The same for one segment, the common case of an I/O call, with the
   * argument's fields written straight into its buffer: `put` gets the
   * zeroed view of `cmd`'s argument and the iovec array's address.
   */
  protected oneSegmentIoctl(cmd: IoctlName, address: bigint, length: number, put: (dv: DataView, iov: bigint) => void): void {
    const info = IOCTLS[cmd];
    putIovec(iovScratch, 0, address, length);
    put(argumentView(info.size), iovScratchAddress);
    ioctlArgument(this.pool.fd, info, this.pool.path);
  }

  /** Run `fn` (after checking `id`, if one); a failure is rethrown naming the object, with `hints`. */
  protected call<T>(op: string, id: bigint | undefined, hints: ObjectHints, fn: () => T): T {
    if (id !== undefined) checkObjectId(id, this.kind, op, this.pool.path);
    return this.guard(op, id, hints, fn);
  }

  /**
   * Page I/O on object `id`: whole pages of `buf` at a page-aligned
   * `offset`, refused before any ioctl otherwise.
   */
  protected pageIo(op: string, id: bigint, offset: number, buf: Uint8Array | AlignedBuffer, hints: LazyHints, fn: (bytes: Uint8Array) => void): void {
    const bytes = buf instanceof AlignedBuffer ? buf.bytes : buf;
    checkObjectId(id, this.kind, op, this.pool.path);
    if (!pagesOk(offset, bytes.length)) checkPages(`${this.kind} ${op}`, `${this.kind} ${objectIdHex(id)}`, offset, bytes.length, this.pool.path);
    this.guard(op, id, hints, () => fn(bytes));
  }

  private guard<T>(op: string, id: bigint | undefined, hints: LazyHints, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      objectError(e, this.context(op, id, typeof hints === 'function' ? hints() : hints));
    }
  }
}
