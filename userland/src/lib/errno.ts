/**
 * The errno values the pool code compares against. Literal because Node's
 * os.constants.errno lacks some of them on Linux (ENOTBLK, ENOMEDIUM).
 */
export const ENOENT = 2;
export const ENXIO = 6;
export const EAGAIN = 11;
export const ENOTBLK = 15;
export const EINVAL = 22;
export const ENAMETOOLONG = 36;
export const EBADMSG = 74;
export const ENOMEDIUM = 123;
