/**
 * The errno values the pool code names. Literal because Node's tables
 * (os.constants.errno, util.getSystemErrorMap) lack some of them on Linux:
 * ENOTBLK, ENOMEDIUM, and (for names) EBADMSG.
 */
export const ENOENT = 2;
export const ENXIO = 6;
export const ENOTBLK = 15;
export const EINVAL = 22;
export const ENAMETOOLONG = 36;
export const EBADMSG = 74;
export const ENOMEDIUM = 123;

/** Symbolic names for the errnos above that Node cannot name. */
export const MISSING_CODES: Readonly<Record<number, string>> = { [ENOTBLK]: 'ENOTBLK', [EBADMSG]: 'EBADMSG', [ENOMEDIUM]: 'ENOMEDIUM' };
