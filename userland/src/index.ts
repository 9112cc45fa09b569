/** mpool: the typed library. */
export { Control, summarize, type PoolSummary } from './lib/control.js';
export {
  Pools,
  type ActivateOptions,
  type CreateOptions,
  type DestroyOptions,
  type DestroyResult,
  type PoolsOptions,
  type PoolsScanResult,
  type RenameOptions,
  type RenameResult,
  type ScanAction,
  type ScanOptions,
} from './lib/pools.js';
export { Pool, poolNodePath, withPool, type AddDeviceOptions, type PoolOpenOptions, type SetPropsRequest } from './lib/pool.js';
export {
  readStats,
  readGlobalStats,
  readPoolStats,
  globalRates,
  poolRates,
  statsRates,
  GLOBAL_STATS,
  POOL_STATS,
  type GlobalCounterKey,
  type GlobalCounters,
  type GlobalRates,
  type GlobalStats,
  type McacheStats,
  type PoolCounterKey,
  type PoolCounters,
  type PoolIoStats,
  type PoolRates,
  type PoolStats,
  type PoolSysfsParams,
  type StatInfo,
  type StatKind,
  type StatUnit,
  type StatsRates,
  type StatsSnapshot,
} from './lib/stats.js';
export { readReaper, setReaper, reaperProblem, REAPER_KNOBS, type ReaperKnobs, type ReaperUpdate } from './lib/reaper.js';
export { SYSFS_ROOT, type SysfsOptions } from './lib/sysfs.js';
export { AlignedBuffer, PAGE_SIZE, roundUpToPage } from './lib/aligned.js';
export { PoolObjects, type PoolHandle } from './lib/pool-objects.js';
export { Mblocks, fromMblockProps, type MblockAllocOptions, type MblockProps, type MblockWriteOptions } from './lib/mblock.js';
export {
  Mlogs,
  fromMlogProps,
  kernelMlogMedia,
  MLOG_STATE_COMMITTED,
  KernelMlogMedia,
  type MlogAllocOptions,
  type MlogCommitResult,
  type MlogProps,
} from './lib/mlog.js';
export {
  Mcache,
  McacheMap,
  MCACHE_ADVICE,
  type MapAdvice,
  type McacheAdvice,
  type McacheLayout,
  type McacheMapOptions,
  type McacheResidency,
} from './lib/mcache.js';
export { openMlog, openErasedMlog } from './lib/mlog-open.js';
export { allocMdc, deleteMdc, openMdc, openRootMdc, type MdcAllocOptions, type MdcIds } from './lib/mdc-open.js';
export { Mlog, MlogReader, MlogWriter, type MlogData, type MlogGeometry, type MlogMedia, type MlogOpenOptions } from './mlog/framing.js';
export { MLOG_PAGE_SIZE, MLOG_FLUSH_MAX, maxRecordLength, withGeneration } from './mlog/media.js';
export { Mdc, type MdcBacking, type MdcLogIndex } from './mdc/mdc.js';
export type { IoData } from './lib/objio.js';
export {
  objectIdHex,
  parseObjectId,
  parseObjectIdText,
  makeObjectId,
  kindOfId,
  planIo,
  readRwszMax,
  OBJ_TYPE_MBLOCK,
  OBJ_TYPE_MLOG,
  type IoLimits,
  type ObjectIdParts,
  type ObjectKind,
} from './lib/objects.js';
export type { IoSegment } from './sys/iovec.js';
export {
  fromMpoolParams,
  toMpoolParams,
  type PoolCreateParams,
  type PoolHealth,
  type PoolParams,
  type PoolParamsUpdate,
} from './lib/params.js';
export type { DeviceProps, DeviceStatus, MediaClassInfo, PoolDevice, PoolProps, PoolUsage } from './lib/props.js';
export {
  computePdProp,
  measureDevice,
  physIfFor,
  zonePagesForMiB,
  type DeviceMeasurement,
  type GeometryOptions,
  type MediaClass,
} from './lib/device.js';
export { parseSuperblock, chooseSuperblock, type Superblock, type SuperblockCopy, type SuperblockRead } from './lib/superblock.js';
export {
  scanDevices,
  readDevice,
  groupPools,
  parsePartitions,
  type ScanResult,
  type ScannedPool,
  type ScannedDevice,
  type ScanProblem,
} from './lib/scan.js';
export { poolNameProblem, poolRefProblem, isValidPoolName, looksLikeUuid, POOL_NAME_MAX } from './lib/names.js';
export { formatUuid, parseUuid } from './lib/uuid.js';
export { MpoolError, errnoName, errnoMessage, isMpoolError } from './sys/errors.js';
export * as constants from './gen/constants.js';
export * as structs from './gen/structs.js';
export { IOCTLS, type IoctlInfo } from './gen/ioctl.js';
export { VERSION } from './version.js';
