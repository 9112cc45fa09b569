/**
 * Child process for the EPERM tests: runs as uid 0 without CAP_SYS_ADMIN
 * and reports, as JSON, the error code of every pool management command.
 * argv[2]: an active pool to try the pool-node commands on.
 */
import { IOCTLS } from '../../../userland/src/gen/ioctl.js';
import { MpiocDrive, MpiocList, MpiocMpool, MpiocParams, MpiocProp } from '../../../userland/src/gen/structs.js';
import { Pool } from '../../../userland/src/lib/pool.js';
import { Pools } from '../../../userland/src/lib/pools.js';
import { MpoolError } from '../../../userland/src/sys/errors.js';
import * as sys from '../../../userland/src/sys/libc.js';

const name = process.argv[2] ?? '';

function code(fn: () => unknown): string {
  try {
    fn();
    return 'OK';
  } catch (e) {
    return e instanceof MpoolError ? e.code : String(e);
  }
}

const out: Record<string, string> = {};
const ctl = sys.open('/dev/mpoolctl', sys.O_RDWR);
for (const cmd of ['MPIOC_MP_CREATE', 'MPIOC_MP_ACTIVATE', 'MPIOC_MP_DEACTIVATE', 'MPIOC_MP_DESTROY', 'MPIOC_MP_RENAME'] as const) {
  out[cmd] = code(() => sys.ioctl(ctl, IOCTLS[cmd].request, Buffer.alloc(MpiocMpool.size), cmd));
}
sys.close(ctl);

// Through the library too: the message must say what is missing.
const pools = new Pools();
try {
  pools.deactivate(name);
  out.libDeactivate = 'OK';
} catch (e) {
  out.libDeactivate = e instanceof MpoolError ? e.message : String(e);
}
out.list = code(() => pools.list());

const pool = Pool.open(name, { write: true });
const sizes = { MPIOC_PARAMS_SET: MpiocParams.size, MPIOC_DRV_ADD: MpiocDrive.size, MPIOC_DRV_SPARES: MpiocDrive.size, MPIOC_PROP_SET: MpiocList.size } as const;
for (const [cmd, size] of Object.entries(sizes) as [keyof typeof sizes, number][]) {
  out[cmd] = code(() => sys.ioctl(pool.fd, IOCTLS[cmd].request, Buffer.alloc(size), cmd));
}
out.params = code(() => pool.params());
out.props = code(() => pool.props());
out.mclass = code(() => pool.mediaClasses());
out.propSize = String(MpiocProp.size);
pool.close();
process.stdout.write(JSON.stringify(out));
