/** Child process for the EPERM test: runs without CAP_SYS_ADMIN and reports errno names as JSON. */
import { IOCTLS } from '../../../userland/src/gen/ioctl.js';
import { MpiocMpool } from '../../../userland/src/gen/structs.js';
import { Control } from '../../../userland/src/lib/control.js';
import { MpoolError } from '../../../userland/src/sys/errors.js';
import * as sys from '../../../userland/src/sys/libc.js';

function code(fn: () => unknown): string {
  try {
    fn();
    return 'OK';
  } catch (e) {
    return e instanceof MpoolError ? e.code : String(e);
  }
}

const fd = sys.open('/dev/mpoolctl', sys.O_RDWR);
const create = code(() => sys.ioctl(fd, IOCTLS.MPIOC_MP_CREATE.request, Buffer.alloc(MpiocMpool.size), 'MP_CREATE'));
sys.close(fd);
const list = code(() => {
  const c = Control.open();
  c.listPools();
  c.close();
});
process.stdout.write(JSON.stringify({ create, list }));
