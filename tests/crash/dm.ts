/**
 * DM_TARGET_MSG through /dev/mapper/control: "dmsetup message <name> 0 <text>"
 * without starting a process (a process per mark costs a lot under TCG).
 * Layout from <linux/dm-ioctl.h> (interface 4.x): struct dm_ioctl is 312
 * bytes, name at 48; the dm_target_msg { u64 sector; char message[] } at
 * data_start.
 */
import * as sys from '../../userland/src/sys/libc.js';

const DM_TARGET_MSG = 0xc138fd0e;
const DM_IOCTL_SIZE = 312;
const NAME_OFF = 48;
const NAME_LEN = 128;

export class DmControl {
  readonly #fd: number;

  constructor(path = '/dev/mapper/control') {
    this.#fd = sys.open(path, sys.O_RDWR);
  }

  /** Send `message` to sector 0 of device `name` (e.g. "mark op-3" to a log-writes target). */
  message(name: string, message: string): void {
    const text = Buffer.from(`${message}\0`, 'utf8');
    const size = DM_IOCTL_SIZE + 8 + text.length;
    const buf = Buffer.alloc((size + 7) & ~7);
    buf.writeUInt32LE(4, 0); // version 4.0.0
    buf.writeUInt32LE(buf.length, 12); // data_size: the whole buffer
    buf.writeUInt32LE(DM_IOCTL_SIZE, 16); // data_start
    const n = Buffer.from(name, 'utf8');
    if (n.length >= NAME_LEN) throw new RangeError(`device-mapper name "${name}" is too long`);
    n.copy(buf, NAME_OFF);
    buf.writeBigUInt64LE(0n, DM_IOCTL_SIZE); // sector
    text.copy(buf, DM_IOCTL_SIZE + 8);
    sys.ioctl(this.#fd, DM_TARGET_MSG, buf, 'DM_TARGET_MSG', '/dev/mapper/control');
  }

  close(): void {
    sys.close(this.#fd);
  }
}
