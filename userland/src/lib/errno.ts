/**
 * The errno values the pool code compares against, from the generated
 * table (userland/src/gen/errno.ts, made from <asm-generic/errno*.h>).
 */
export { EAGAIN, EBADF, EBADMSG, EINVAL, ENAMETOOLONG, ENOENT, ENOMEDIUM, ENOTBLK, ENXIO } from '../gen/errno.js';
