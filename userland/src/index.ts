/** mpool: the typed library. */
export { Control, summarize, type PoolSummary } from './lib/control.js';
export { formatUuid, parseUuid } from './lib/uuid.js';
export { MpoolError, errnoName, errnoMessage, isMpoolError } from './sys/errors.js';
export * as constants from './gen/constants.js';
export * as structs from './gen/structs.js';
export { IOCTLS, type IoctlInfo } from './gen/ioctl.js';
export { VERSION } from './version.js';
