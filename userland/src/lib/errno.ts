/**
 * The errno values the pool code compares against, from the generated
 * table (userland/src/gen/errno.ts, made from <asm-generic/errno*.h>).
 */
export { EACCES, EAGAIN, EBADF, EBADMSG, EINVAL, EIO, ENAMETOOLONG, ENOENT, ENOMEDIUM, ENOTBLK, ENXIO, EPERM } from '../gen/errno.js';
