/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * mpool_ioctl.h - the ioctl contract between the mpool module and userland.
 *
 * This header is binary compatible with the mpool 1.9.0 ABI: every command
 * number, structure size and field offset below matches that release, and
 * every name is kept so that C clients written against 1.9.0 build and run
 * unchanged.  The layout is pinned by the _Static_assert block at the end of
 * the file; the TypeScript codecs are generated from the compiler's view of
 * this file (see codegen/).
 *
 * Differences from the 1.9.0 text, none of which move a byte:
 *  - fixed-width __u8/__u16/__u32/__u64 replace uint*_t, uid_t, gid_t, mode_t,
 *    bool and the enum-typed field, with the same sizes on LP64;
 *  - the implicit padding holes are spelled out as *_pad fields, so the
 *    kernel can clear them and no stack byte ever reaches userspace;
 *  - the enums that 1.9.0 kept in private headers (device type, command
 *    options, device state and status, physical interface, pool status, mlog
 *    state) live here, so that userland can be generated from one file.
 *    Code that still defines them itself can define
 *    MPOOL_IOCTL_NO_DEVICE_ENUMS before including this header.
 *
 * The structures embed user pointers, so a 32-bit process on a 64-bit kernel
 * is not supported (there is no compat_ioctl translation); this too is as in
 * 1.9.0.
 */

#ifndef MPOOL_IOCTL_H
#define MPOOL_IOCTL_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/uuid.h>

/*
 * 1.9.0 declares its uuids as uuid_le: 16 bytes, byte aligned.  The uapi
 * <linux/uuid.h> defines it, with the UUID_LE() macro beside it; the
 * kernel's own header no longer does (6.12 has guid_t only: the same 16
 * bytes), so a module built there names it here.
 */
#if defined(__KERNEL__) && !defined(UUID_LE)
#define uuid_le guid_t
#endif

#ifdef __KERNEL__
#include <linux/build_bug.h>
#include <linux/uio.h>
#else
#include <sys/uio.h>
#ifndef __cplusplus
#include <assert.h>
#endif
#endif

#ifndef __user
#define __user
#endif

/* Name lengths, NUL included.  libblkid knows MPOOL_NAMESZ_MAX: keep it. */
#define MPOOL_NAMESZ_MAX            32
#define MPOOL_LABELSZ_MAX           64
#define PD_NAMESZ_MAX               32
#define PD_DEV_ID_LEN               64

#define MPC_DEV_SUBDIR              "mpool"
#define MPC_DEV_CTLNAME             MPC_DEV_SUBDIR "ctl"
#define MPC_DEV_CTLPATH             "/dev/" MPC_DEV_CTLNAME

#define MPOOL_LABEL_INVALID         ""
#define MPOOL_LABEL_DEFAULT         "raw"

/* mcache readahead is capped at 128 KiB; in pages for the running kernel. */
#define MPOOL_RA_BYTES_MAX          (128 * 1024)
#define MPOOL_RA_PAGES_INVALID      0xffffffffU
#define MPOOL_RA_PAGES_MAX          (MPOOL_RA_BYTES_MAX / PAGE_SIZE)

#define MPOOL_MCLASS_INVALID        MP_MED_INVALID
#define MPOOL_MCLASS_DEFAULT        MP_MED_CAPACITY

/* Spare space per media class, in percent; INVALID means "leave as is". */
#define MPOOL_SPARES_INVALID        0xff
#define MPOOL_SPARES_DEFAULT        5

#define MPOOL_ROOT_LOG_CAP          (8 * 1024 * 1024)
#define MPOOL_MBSIZE_MB_DEFAULT     32
#define MPOOL_MDCNUM_DEFAULT        16

/* Largest iovec count accepted by the mblock and mlog I/O commands. */
#define MPIOC_KIOV_MAX              1024

/*
 * enum mp_mgmt_flags - bit numbers (not masks) for mp_flags and drv_flags.
 * @MP_FLAGS_FORCE:            override safety checks
 * @MP_FLAGS_PERMIT_META_CONV: let activation rewrite metadata in the
 *                             current on-media version
 * @MP_FLAGS_RESIZE:           grow the pool to the device size on activation
 */
enum mp_mgmt_flags {
	MP_FLAGS_FORCE,
	MP_FLAGS_PERMIT_META_CONV,
	MP_FLAGS_RESIZE,
};

/*
 * enum mp_media_classp - media classes.
 * @MP_MED_STAGING:  fast media for ingest and hot data (optional)
 * @MP_MED_CAPACITY: the pool's primary media (required)
 */
enum mp_media_classp {
	MP_MED_STAGING   = 0,
	MP_MED_CAPACITY  = 1,
};

#define MP_MED_BASE                 MP_MED_STAGING
#define MP_MED_NUMBER               (MP_MED_CAPACITY + 1)
#define MP_MED_INVALID              0xff

#ifndef MPOOL_IOCTL_NO_DEVICE_ENUMS

/* enum mpool_status - overall health of a pool (mpool_params.mp_stat). */
enum mpool_status {
	MPOOL_STAT_UNDEF    = 0,
	MPOOL_STAT_OPTIMAL  = 1,
	MPOOL_STAT_FAULTED  = 2,
	MPOOL_STAT_LAST     = MPOOL_STAT_FAULTED,
};

/* enum pd_status - run-time status of a pool device (pdp_status). */
enum pd_status {
	PD_STAT_UNDEF      = 0,
	PD_STAT_ONLINE     = 1,
	PD_STAT_SUSPECT    = 2,
	PD_STAT_OFFLINE    = 3,
	PD_STAT_UNAVAIL    = 4,
};

/* enum pd_state - whether a device could be opened (pdp_devstate). */
enum pd_state {
	PD_DEV_STATE_UNDEFINED = 0,
	PD_DEV_STATE_AVAIL     = 1,
	PD_DEV_STATE_UNAVAIL   = 2,
	PD_DEV_STATE_LAST      = PD_DEV_STATE_UNAVAIL,
};

/* enum pd_cmd_opt - device capability bits (pdp_cmdopt, a mask). */
enum pd_cmd_opt {
	PD_CMD_NONE             = 0,
	PD_CMD_DISCARD          = 0x1,
	PD_CMD_SECTOR_UPDATABLE = 0x2,
	PD_CMD_DIF_ENABLED      = 0x4,
	PD_CMD_SED_ENABLED      = 0x8,
	PD_CMD_DISCARD_ZERO     = 0x10,
	PD_CMD_RDONLY           = 0x20,
};

/* enum pd_devtype - kind of device behind a pool drive (pdp_devtype). */
enum pd_devtype {
	PD_DEV_TYPE_BLOCK_STREAM = 1,
	PD_DEV_TYPE_BLOCK_STD    = 2,
	PD_DEV_TYPE_FILE         = 3,
	PD_DEV_TYPE_MEM          = 4,
	PD_DEV_TYPE_ZONE         = 5,
	PD_DEV_TYPE_BLOCK_NVDIMM = 6,
	PD_DEV_TYPE_LAST         = PD_DEV_TYPE_BLOCK_NVDIMM,
};

/* enum device_phys_if - how the host reaches the device (pdp_phys_if). */
enum device_phys_if {
	DEVICE_PHYS_IF_UNKNOWN = 0,
	DEVICE_PHYS_IF_VIRTUAL = 1,
	DEVICE_PHYS_IF_NVDIMM  = 2,
	DEVICE_PHYS_IF_NVME    = 3,
	DEVICE_PHYS_IF_SAS     = 4,
	DEVICE_PHYS_IF_SATA    = 5,
	DEVICE_PHYS_IF_TEST    = 6,
	DEVICE_PHYS_IF_LAST    = DEVICE_PHYS_IF_TEST,
};

/* enum mlog_state - object state bits reported in mi_state and lpx_state. */
enum mlog_state {
	MLOG_STATE_COMMITTED = 0x1,
	MLOG_STATE_REMOVED   = 0x2,
};

#endif /* MPOOL_IOCTL_NO_DEVICE_ENUMS */

/*
 * struct mpool_devprops - one pool device, as DEVPROPS_GET reports it.
 * All capacities are in bytes.  @pdp_mclassp is an mp_media_classp and
 * @pdp_status a pd_status.
 */
struct mpool_devprops {
	uuid_le     pdp_devid;
	__u8        pdp_mclassp;
	__u8        pdp_status;
	__u8        pdp_rsvd1[6];
	__u64       pdp_total;      /* raw size */
	__u64       pdp_avail;      /* total less unusable zones */
	__u64       pdp_spare;      /* set aside as spare */
	__u64       pdp_fspare;     /* spare still free */
	__u64       pdp_usable;     /* available for ordinary allocation */
	__u64       pdp_fusable;    /* usable still free */
	__u64       pdp_used;       /* allocated */
	__u64       pdp_rsvd2;
};

/*
 * struct mpool_params - the pool's persistent, user-visible parameters.
 *
 * On PARAMS_SET a field holding its "invalid" value (all ones for the
 * 32-bit ids, MPOOL_SPARES_INVALID, MPOOL_RA_PAGES_INVALID, an empty label)
 * leaves the stored value unchanged.
 *
 * @mp_poolid:       pool uuid, also in every superblock
 * @mp_uid:          owner of /dev/mpool/<name>
 * @mp_gid:          group of /dev/mpool/<name>
 * @mp_mode:         permission bits of /dev/mpool/<name>
 * @mp_stat:         enum mpool_status
 * @mp_spare_cap:    spare percent, capacity class
 * @mp_spare_stg:    spare percent, staging class
 * @mp_mdc_captgt:   capacity target of user MDCs, bytes
 * @mp_oidv:         the two mlogs of the client root MDC
 * @mp_ra_pages_max: mcache readahead ceiling, pages
 * @mp_vma_size_max: log2 of the address space given to one mcache map
 * @mp_mblocksz:     mblock (zone) size per media class, MiB
 * @mp_mdc0cap:      MDC-0 capacity, MiB
 * @mp_mdcncap:      MDC-1..N capacity, MiB
 * @mp_mdcnum:       number of MDCs beyond MDC-0
 * @mp_utype:        opaque type stamp owned by the client
 * @mp_label:        free-form label, NUL terminated
 * @mp_name:         pool name, NUL terminated (< MPOOL_NAMESZ_MAX used)
 */
struct mpool_params {
	uuid_le     mp_poolid;
	__u32       mp_uid;
	__u32       mp_gid;
	__u32       mp_mode;
	__u8        mp_stat;
	__u8        mp_spare_cap;
	__u8        mp_spare_stg;
	__u8        mp_rsvd0;
	__u64       mp_mdc_captgt;
	__u64       mp_oidv[2];
	__u32       mp_ra_pages_max;
	__u32       mp_vma_size_max;
	__u32       mp_mblocksz[MP_MED_NUMBER];
	__u16       mp_mdc0cap;
	__u16       mp_mdcncap;
	__u16       mp_mdcnum;
	__u16       mp_rsvd1;
	__u32       mp_rsvd2;
	__u32       mp_pad1;
	__u64       mp_rsvd3;
	__u64       mp_rsvd4;
	uuid_le     mp_utype;
	char        mp_label[MPOOL_LABELSZ_MAX];
	char        mp_name[MPOOL_NAMESZ_MAX * 2];
};

/*
 * struct mpool_usage - space accounting, in bytes.
 * @mpu_used may exceed @mpu_usable once allocation has dipped into spares.
 */
struct mpool_usage {
	__u64       mpu_total;
	__u64       mpu_usable;
	__u64       mpu_fusable;
	__u64       mpu_used;
	__u64       mpu_spare;
	__u64       mpu_fspare;
	__u64       mpu_alen;         /* all objects, allocated */
	__u64       mpu_wlen;         /* all objects, written */
	__u64       mpu_mblock_alen;
	__u64       mpu_mblock_wlen;
	__u64       mpu_mlog_alen;
	__u32       mpu_mblock_cnt;
	__u32       mpu_mlog_cnt;
};

/*
 * struct mpool_mclass_xprops - one media class.
 * @mc_devtype:  enum pd_devtype
 * @mc_mclass:   enum mp_media_classp
 * @mc_sectorsz: log2 of the sector size
 * @mc_spare:    spare percent
 * @mc_uacnt:    devices in PD_STAT_UNAVAIL
 * @mc_zonepg:   zone size in pages
 * @mc_features: on-media feature bits of the class
 */
struct mpool_mclass_xprops {
	__u8                mc_devtype;
	__u8                mc_mclass;
	__u8                mc_sectorsz;
	__u8                mc_rsvd1;
	__u32               mc_spare;
	__u16               mc_uacnt;
	__u16               mc_rsvd2;
	__u32               mc_zonepg;
	__u64               mc_features;
	__u64               mc_rsvd3;
	struct mpool_usage  mc_usage;
};

/* struct mpool_mclass_props - media class summary; sizes in bytes. */
struct mpool_mclass_props {
	__u32       mc_mblocksz;      /* MiB */
	__u32       mc_rsvd;
	__u64       mc_total;         /* usable + spare */
	__u64       mc_usable;
	__u64       mc_used;
	__u64       mc_spare;
	__u64       mc_spare_used;
};

/* struct mpool_xprops - parameters plus per-class device facts. */
struct mpool_xprops {
	struct mpool_params ppx_params;
	__u8                ppx_rsvd[MP_MED_NUMBER];
	__u8                ppx_drive_spares[MP_MED_NUMBER];
	__u16               ppx_uacnt[MP_MED_NUMBER];
	__u32               ppx_pd_mclassv[MP_MED_NUMBER];
	char                ppx_pd_namev[MP_MED_NUMBER][PD_NAMESZ_MAX];
};

/*
 * struct mblock_props - one mblock.
 * @mpr_alloc_cap:    bytes reserved on media
 * @mpr_write_len:    bytes written so far
 * @mpr_optimal_wrsz: best size for every write but the last
 * @mpr_mclassp:      enum mp_media_classp
 * @mpr_iscommitted:  non-zero once committed
 */
struct mblock_props {
	__u64       mpr_objid;
	__u32       mpr_alloc_cap;
	__u32       mpr_write_len;
	__u32       mpr_optimal_wrsz;
	__u32       mpr_mclassp;
	__u8        mpr_iscommitted;
	__u8        mpr_rsvd1[7];
	__u64       mpr_rsvd2;
};

struct mblock_props_ex {
	struct mblock_props mbx_props;
	__u8                mbx_zonecnt;      /* zones per stripe */
	__u8                mbx_rsvd1[7];
	__u64               mbx_rsvd2;
};

/*
 * enum mlog_open_flags - userland mlog open flags.
 * @MLOG_OF_COMPACT_SEM: honour compaction markers on read
 * @MLOG_OF_SKIP_SER:    the caller serializes appends and reads itself
 */
enum mlog_open_flags {
	MLOG_OF_COMPACT_SEM = 0x1,
	MLOG_OF_SKIP_SER    = 0x2,
};

/* struct mlog_capacity - a @lcp_captgt of 0 lets the allocator choose. */
struct mlog_capacity {
	__u64       lcp_captgt;       /* bytes wanted */
	__u8        lcp_spare;        /* non-zero: allocate from spare space */
	__u8        lcp_rsvd1[7];
};

/*
 * struct mlog_props - one mlog.
 * @lpr_uuid:  the log's magic, stamped in every log block header
 * @lpr_gen:   generation, bumped by every erase
 */
struct mlog_props {
	uuid_le     lpr_uuid;
	__u64       lpr_objid;
	__u64       lpr_alloc_cap;
	__u64       lpr_gen;
	__u8        lpr_mclassp;
	__u8        lpr_iscommitted;
	__u8        lpr_rsvd1[6];
	__u64       lpr_rsvd2;
};

/*
 * struct mlog_props_ex - mlog plus layout facts.
 * @lpx_totsec:   capacity in sectors
 * @lpx_zonecnt:  zones per stripe
 * @lpx_state:    enum mlog_state bits
 * @lpx_secshift: log2 of the sector size
 */
struct mlog_props_ex {
	struct mlog_props   lpx_props;
	__u32               lpx_totsec;
	__u32               lpx_zonecnt;
	__u8                lpx_state;
	__u8                lpx_secshift;
	__u8                lpx_rsvd1[6];
	__u64               lpx_rsvd2;
};

/* enum mdc_open_flags - @MDC_OF_SKIP_SER: the caller serializes access. */
enum mdc_open_flags {
	MDC_OF_SKIP_SER  = 0x1,
};

/* struct mdc_capacity - MDC sizing; @mdt_spare is a boolean. */
struct mdc_capacity {
	__u64       mdt_captgt;
	__u8        mdt_spare;
	__u8        mdt_pad1[7];
};

/* struct mdc_props - the two mlogs of an MDC; @mdc_mclassp: mp_media_classp */
struct mdc_props {
	__u64       mdc_objid1;
	__u64       mdc_objid2;
	__u64       mdc_alloc_cap;
	__u32       mdc_mclassp;
	__u32       mdc_pad1;
};

/*
 * enum mpc_vma_advice - how long an mcache map's pages deserve to stay in
 * memory: COLD pages go first, PINNED pages are never reaped.
 */
enum mpc_vma_advice {
	MPC_VMA_COLD = 0,
	MPC_VMA_WARM,
	MPC_VMA_HOT,
	MPC_VMA_PINNED
};

/*
 * struct pd_znparam - zone geometry.
 * @dvb_zonepg:  zone size in pages
 * @dvb_zonetot: number of zones
 */
struct pd_znparam {
	__u32       dvb_zonepg;
	__u32       dvb_zonetot;
	__u64       dvb_rsvd1;
};

/*
 * struct pd_prop - a device as userland describes it to create, activate
 * and drive-add.  Userland measures the device; the kernel checks it.
 *
 * @pdp_didstr:              model string
 * @pdp_devtype:             enum pd_devtype
 * @pdp_devstate:            enum pd_state
 * @pdp_phys_if:             enum device_phys_if
 * @pdp_mclassp:             enum mp_media_classp
 * @pdp_fua:                 boolean, the device honours FUA
 * @pdp_cmdopt:              enum pd_cmd_opt bits
 * @pdp_zparam:              zone geometry
 * @pdp_discard_granularity: bytes
 * @pdp_sectorsz:            log2 of the sector size
 * @pdp_optiosz:             optimal I/O size, bytes
 * @pdp_devsz:               device size, bytes
 */
struct pd_prop {
	char                pdp_didstr[PD_DEV_ID_LEN];
	__u8                pdp_devtype;
	__u8                pdp_devstate;
	__u8                pdp_phys_if;
	__u8                pdp_mclassp;
	__u8                pdp_fua;
	__u8                pdp_pad1[3];
	__u64               pdp_cmdopt;
	struct pd_znparam   pdp_zparam;
	__u32               pdp_discard_granularity;
	__u32               pdp_sectorsz;
	__u32               pdp_optiosz;
	__u32               pdp_rsvd2;
	__u64               pdp_devsz;
	__u64               pdp_rsvd3;
};

/*
 * struct mpioc_mpool - argument of the pool lifecycle commands.
 * @mp_flags:    mp_mgmt_flags bits
 * @mp_dpathc:   number of device paths
 * @mp_dpathssz: bytes at @mp_dpaths, NUL included
 * @mp_dpaths:   newline separated device paths
 * @mp_pd_prop:  @mp_dpathc device descriptions
 */
struct mpioc_mpool {
	struct mpool_params     mp_params;
	__u32                   mp_flags;
	__u32                   mp_dpathc;
	__u32                   mp_dpathssz;
	__u32                   mp_rsvd1;
	__u64                   mp_rsvd2;
	char __user            *mp_dpaths;
	struct pd_prop __user  *mp_pd_prop;
};

struct mpioc_params {
	struct mpool_params     mps_params;
};

/* struct mpioc_mclass - fills up to @mcl_cnt entries at @mcl_xprops. */
struct mpioc_mclass {
	struct mpool_mclass_xprops __user  *mcl_xprops;
	__u32                               mcl_cnt;
	__u32                               mcl_rsvd1;
};

/* struct mpioc_drive - DRV_ADD and DRV_SPARES; fields as in mpioc_mpool. */
struct mpioc_drive {
	__u32                   drv_flags;
	__u32                   drv_rsvd1;
	__u32                   drv_dpathc;
	__u32                   drv_dpathssz;
	struct pd_prop __user  *drv_pd_prop;
	char __user            *drv_dpaths;
};

/*
 * enum mpioc_list_cmd - what PROP_GET returns.
 * @MPIOC_LIST_CMD_PROP_GET:  this pool (pool node)
 * @MPIOC_LIST_CMD_PROP_LIST: every active pool (control node)
 */
enum mpioc_list_cmd {
	MPIOC_LIST_CMD_INVALID     = 0,
	MPIOC_LIST_CMD_PROP_GET    = 1,
	MPIOC_LIST_CMD_PROP_LIST   = 2,
	MPIOC_LIST_CMD_LAST        = MPIOC_LIST_CMD_PROP_LIST,
};

/*
 * struct mpioc_list - a vector of @ls_listc mpioc_prop at @ls_listv.
 * On return @ls_listc holds the number of entries filled in.
 */
struct mpioc_list {
	__u32           ls_cmd;
	__u32           ls_listc;
	void __user    *ls_listv;
};

struct mpioc_prop {
	struct mpool_xprops         pr_xprops;
	struct mpool_usage          pr_usage;
	struct mpool_mclass_xprops  pr_mcxv[MP_MED_NUMBER];
	__u32                       pr_mcxc;
	__u32                       pr_rsvd1;
	__u64                       pr_rsvd2;
};

/* struct mpioc_devprops - @dpr_pdname names the device to report on. */
struct mpioc_devprops {
	char                    dpr_pdname[PD_NAMESZ_MAX];
	struct mpool_devprops   dpr_devprops;
};

/*
 * struct mpioc_mblock - MB_ALLOC and MB_FIND.
 * @mb_spare:   non-zero: allocate from spare space
 * @mb_mclassp: enum mp_media_classp to allocate from
 */
struct mpioc_mblock {
	__u64                   mb_objid;
	__s64                   mb_offset;
	struct mblock_props_ex  mb_props;
	__u8                    mb_spare;
	__u8                    mb_mclassp;
	__u16                   mb_rsvd1;
	__u32                   mb_rsvd2;
	__u64                   mb_rsvd3;
};

struct mpioc_mblock_id {
	__u64       mi_objid;
};

/* struct mpioc_mblock_rw - MB_READ at @mb_offset, or MB_WRITE (appends). */
struct mpioc_mblock_rw {
	__u64                       mb_objid;
	__s64                       mb_offset;
	__u32                       mb_rsvd2;
	__u16                       mb_rsvd3;
	__u16                       mb_iov_cnt;
	const struct iovec __user  *mb_iov;
};

struct mpioc_mlog {
	__u64                   ml_objid;
	__u64                   ml_rsvd;
	struct mlog_props_ex    ml_props;
	struct mlog_capacity    ml_cap;
	__u8                    ml_mclassp;
	__u8                    ml_rsvd1[7];
	__u64                   ml_rsvd2;
};

/*
 * struct mpioc_mlog_id - COMMIT, ABORT, DELETE and ERASE.
 * @mi_gen:   ERASE: the lowest acceptable new generation; out: generation
 * @mi_state: out: enum mlog_state bits
 */
struct mpioc_mlog_id {
	__u64       mi_objid;
	__u64       mi_gen;
	__u8        mi_state;
	__u8        mi_rsvd1[7];
};

/*
 * struct mpioc_mlog_io - raw page I/O on an mlog.  @mi_op (0 read, 1 write)
 * decides the direction, whichever of MLOG_READ and MLOG_WRITE carried it.
 */
struct mpioc_mlog_io {
	__u64                   mi_objid;
	__s64                   mi_off;
	__u8                    mi_op;
	__u8                    mi_rsvd1[5];
	__u16                   mi_iovc;
	struct iovec __user    *mi_iov;
	__u64                   mi_rsvd2;
};

/*
 * struct mpioc_vma - mcache maps.
 * @im_advice: enum mpc_vma_advice
 * @im_mbidc:  number of mblock ids at @im_mbidv
 * @im_bktsz:  out: bytes of address space per mblock
 * @im_offset: out of CREATE, in to the others: the map's mmap offset
 * @im_len:    out: length to mmap
 * @im_vssp:   out of VRSS: virtual size, pages
 * @im_rssp:   out of VRSS: resident size, pages
 */
struct mpioc_vma {
	__u32               im_advice;
	__u32               im_mbidc;
	__u64 __user       *im_mbidv;
	__u64               im_bktsz;
	__s64               im_offset;
	__u64               im_len;
	__u64               im_vssp;
	__u64               im_rssp;
	__u64               im_rsvd;
};

union mpioc_union {
	struct mpioc_mpool      mpu_mpool;
	struct mpioc_drive      mpu_drive;
	struct mpioc_params     mpu_params;
	struct mpioc_mclass     mpu_mclass;
	struct mpioc_list       mpu_list;
	struct mpioc_prop       mpu_prop;
	struct mpioc_devprops   mpu_devprops;
	struct mpioc_mlog       mpu_mlog;
	struct mpioc_mlog_id    mpu_mlog_id;
	struct mpioc_mlog_io    mpu_mlog_io;
	struct mpioc_mblock     mpu_mblock;
	struct mpioc_mblock_id  mpu_mblock_id;
	struct mpioc_mblock_rw  mpu_mblock_rw;
	struct mpioc_vma        mpu_vma;
};

#define MPIOC_MAGIC             ('2')

/* /dev/mpoolctl: pool lifecycle */
#define MPIOC_MP_CREATE         _IOWR(MPIOC_MAGIC, 1, struct mpioc_mpool)
#define MPIOC_MP_DESTROY        _IOW(MPIOC_MAGIC, 2, struct mpioc_mpool)
#define MPIOC_MP_ACTIVATE       _IOWR(MPIOC_MAGIC, 5, struct mpioc_mpool)
#define MPIOC_MP_DEACTIVATE     _IOW(MPIOC_MAGIC, 6, struct mpioc_mpool)
#define MPIOC_MP_RENAME         _IOWR(MPIOC_MAGIC, 7, struct mpioc_mpool)

/* /dev/mpool/<name>: pool parameters and devices */
#define MPIOC_PARAMS_GET        _IOWR(MPIOC_MAGIC, 10, struct mpioc_params)
#define MPIOC_PARAMS_SET        _IOWR(MPIOC_MAGIC, 11, struct mpioc_params)
#define MPIOC_MP_MCLASS_GET     _IOWR(MPIOC_MAGIC, 12, struct mpioc_mclass)
#define MPIOC_DRV_ADD           _IOWR(MPIOC_MAGIC, 15, struct mpioc_drive)
#define MPIOC_DRV_SPARES        _IOWR(MPIOC_MAGIC, 16, struct mpioc_drive)

/* both: properties (the list mode on the control node, get on a pool) */
#define MPIOC_PROP_GET          _IOWR(MPIOC_MAGIC, 20, struct mpioc_list)
#define MPIOC_PROP_SET          _IOWR(MPIOC_MAGIC, 21, struct mpioc_list)
#define MPIOC_DEVPROPS_GET      _IOWR(MPIOC_MAGIC, 22, struct mpioc_devprops)

/* /dev/mpool/<name>: mlogs */
#define MPIOC_MLOG_ALLOC        _IOWR(MPIOC_MAGIC, 30, struct mpioc_mlog)
#define MPIOC_MLOG_COMMIT       _IOWR(MPIOC_MAGIC, 32, struct mpioc_mlog_id)
#define MPIOC_MLOG_ABORT        _IOW(MPIOC_MAGIC, 33, struct mpioc_mlog_id)
#define MPIOC_MLOG_DELETE       _IOW(MPIOC_MAGIC, 34, struct mpioc_mlog_id)
#define MPIOC_MLOG_FIND         _IOWR(MPIOC_MAGIC, 37, struct mpioc_mlog)
#define MPIOC_MLOG_READ         _IOW(MPIOC_MAGIC, 40, struct mpioc_mlog_io)
#define MPIOC_MLOG_WRITE        _IOW(MPIOC_MAGIC, 41, struct mpioc_mlog_io)
#define MPIOC_MLOG_PROPS        _IOWR(MPIOC_MAGIC, 42, struct mpioc_mlog)
#define MPIOC_MLOG_ERASE        _IOWR(MPIOC_MAGIC, 43, struct mpioc_mlog_id)

/* /dev/mpool/<name>: mblocks */
#define MPIOC_MB_ALLOC          _IOWR(MPIOC_MAGIC, 50, struct mpioc_mblock)
#define MPIOC_MB_ABORT          _IOW(MPIOC_MAGIC, 52, struct mpioc_mblock_id)
#define MPIOC_MB_COMMIT         _IOW(MPIOC_MAGIC, 53, struct mpioc_mblock_id)
#define MPIOC_MB_DELETE         _IOW(MPIOC_MAGIC, 54, struct mpioc_mblock_id)
#define MPIOC_MB_FIND           _IOWR(MPIOC_MAGIC, 56, struct mpioc_mblock)
#define MPIOC_MB_READ           _IOW(MPIOC_MAGIC, 60, struct mpioc_mblock_rw)
#define MPIOC_MB_WRITE          _IOW(MPIOC_MAGIC, 61, struct mpioc_mblock_rw)

/* /dev/mpool/<name>: mcache maps */
#define MPIOC_VMA_CREATE        _IOWR(MPIOC_MAGIC, 70, struct mpioc_vma)
#define MPIOC_VMA_DESTROY       _IOW(MPIOC_MAGIC, 71, struct mpioc_vma)
#define MPIOC_VMA_PURGE         _IOW(MPIOC_MAGIC, 72, struct mpioc_vma)
#define MPIOC_VMA_VRSS          _IOWR(MPIOC_MAGIC, 73, struct mpioc_vma)

/*
 * The 1.9.0 ABI, pinned.  Sizes of every structure, and the offset of every
 * field that sits next to padding or that the 1.9.0 layout placed by an
 * implicit hole.  A change that breaks one of these breaks existing clients.
 */
#define MPOOL_ABI_SIZE(t, n) \
	static_assert(sizeof(struct t) == (n), "ABI: sizeof(struct " #t ")")
#define MPOOL_ABI_OFFSET(t, f, n) \
	static_assert(__builtin_offsetof(struct t, f) == (n), "ABI: " #t "." #f)

MPOOL_ABI_SIZE(mpool_devprops, 88);
MPOOL_ABI_SIZE(mpool_params, 248);
MPOOL_ABI_SIZE(mpool_usage, 96);
MPOOL_ABI_SIZE(mpool_mclass_xprops, 128);
MPOOL_ABI_SIZE(mpool_mclass_props, 48);
MPOOL_ABI_SIZE(mpool_xprops, 328);
MPOOL_ABI_SIZE(mblock_props, 40);
MPOOL_ABI_SIZE(mblock_props_ex, 56);
MPOOL_ABI_SIZE(mlog_capacity, 16);
MPOOL_ABI_SIZE(mlog_props, 56);
MPOOL_ABI_SIZE(mlog_props_ex, 80);
MPOOL_ABI_SIZE(mdc_capacity, 16);
MPOOL_ABI_SIZE(mdc_props, 32);
MPOOL_ABI_SIZE(pd_znparam, 16);
MPOOL_ABI_SIZE(pd_prop, 128);
MPOOL_ABI_SIZE(mpioc_mpool, 288);
MPOOL_ABI_SIZE(mpioc_params, 248);
MPOOL_ABI_SIZE(mpioc_mclass, 16);
MPOOL_ABI_SIZE(mpioc_drive, 32);
MPOOL_ABI_SIZE(mpioc_list, 16);
MPOOL_ABI_SIZE(mpioc_prop, 696);
MPOOL_ABI_SIZE(mpioc_devprops, 120);
MPOOL_ABI_SIZE(mpioc_mblock, 88);
MPOOL_ABI_SIZE(mpioc_mblock_id, 8);
MPOOL_ABI_SIZE(mpioc_mblock_rw, 32);
MPOOL_ABI_SIZE(mpioc_mlog, 128);
MPOOL_ABI_SIZE(mpioc_mlog_id, 24);
MPOOL_ABI_SIZE(mpioc_mlog_io, 40);
MPOOL_ABI_SIZE(mpioc_vma, 64);
static_assert(sizeof(union mpioc_union) == 696, "ABI: sizeof(union mpioc_union)");

MPOOL_ABI_OFFSET(mpool_devprops, pdp_total, 24);
MPOOL_ABI_OFFSET(mpool_params, mp_uid, 16);
MPOOL_ABI_OFFSET(mpool_params, mp_stat, 28);
MPOOL_ABI_OFFSET(mpool_params, mp_mdc_captgt, 32);
MPOOL_ABI_OFFSET(mpool_params, mp_ra_pages_max, 56);
MPOOL_ABI_OFFSET(mpool_params, mp_mblocksz, 64);
MPOOL_ABI_OFFSET(mpool_params, mp_mdc0cap, 72);
MPOOL_ABI_OFFSET(mpool_params, mp_rsvd2, 80);
MPOOL_ABI_OFFSET(mpool_params, mp_rsvd3, 88);
MPOOL_ABI_OFFSET(mpool_params, mp_utype, 104);
MPOOL_ABI_OFFSET(mpool_params, mp_label, 120);
MPOOL_ABI_OFFSET(mpool_params, mp_name, 184);
MPOOL_ABI_OFFSET(mpool_mclass_xprops, mc_spare, 4);
MPOOL_ABI_OFFSET(mpool_mclass_xprops, mc_features, 16);
MPOOL_ABI_OFFSET(mpool_mclass_xprops, mc_usage, 32);
MPOOL_ABI_OFFSET(mpool_xprops, ppx_uacnt, 252);
MPOOL_ABI_OFFSET(mpool_xprops, ppx_pd_mclassv, 256);
MPOOL_ABI_OFFSET(mpool_xprops, ppx_pd_namev, 264);
MPOOL_ABI_OFFSET(mblock_props, mpr_iscommitted, 24);
MPOOL_ABI_OFFSET(mblock_props, mpr_rsvd2, 32);
MPOOL_ABI_OFFSET(mblock_props_ex, mbx_zonecnt, 40);
MPOOL_ABI_OFFSET(mblock_props_ex, mbx_rsvd2, 48);
MPOOL_ABI_OFFSET(mlog_capacity, lcp_spare, 8);
MPOOL_ABI_OFFSET(mlog_props, lpr_mclassp, 40);
MPOOL_ABI_OFFSET(mlog_props, lpr_rsvd2, 48);
MPOOL_ABI_OFFSET(mlog_props_ex, lpx_state, 64);
MPOOL_ABI_OFFSET(mlog_props_ex, lpx_rsvd2, 72);
MPOOL_ABI_OFFSET(mdc_capacity, mdt_spare, 8);
MPOOL_ABI_OFFSET(mdc_props, mdc_mclassp, 24);
MPOOL_ABI_OFFSET(pd_prop, pdp_fua, 68);
MPOOL_ABI_OFFSET(pd_prop, pdp_cmdopt, 72);
MPOOL_ABI_OFFSET(pd_prop, pdp_zparam, 80);
MPOOL_ABI_OFFSET(pd_prop, pdp_devsz, 112);
MPOOL_ABI_OFFSET(mpioc_mpool, mp_flags, 248);
MPOOL_ABI_OFFSET(mpioc_mpool, mp_dpaths, 272);
MPOOL_ABI_OFFSET(mpioc_mpool, mp_pd_prop, 280);
MPOOL_ABI_OFFSET(mpioc_mclass, mcl_cnt, 8);
MPOOL_ABI_OFFSET(mpioc_drive, drv_pd_prop, 16);
MPOOL_ABI_OFFSET(mpioc_drive, drv_dpaths, 24);
MPOOL_ABI_OFFSET(mpioc_list, ls_listv, 8);
MPOOL_ABI_OFFSET(mpioc_prop, pr_usage, 328);
MPOOL_ABI_OFFSET(mpioc_prop, pr_mcxv, 424);
MPOOL_ABI_OFFSET(mpioc_prop, pr_mcxc, 680);
MPOOL_ABI_OFFSET(mpioc_devprops, dpr_devprops, 32);
MPOOL_ABI_OFFSET(mpioc_mblock, mb_props, 16);
MPOOL_ABI_OFFSET(mpioc_mblock, mb_spare, 72);
MPOOL_ABI_OFFSET(mpioc_mblock, mb_rsvd3, 80);
MPOOL_ABI_OFFSET(mpioc_mblock_rw, mb_iov_cnt, 22);
MPOOL_ABI_OFFSET(mpioc_mblock_rw, mb_iov, 24);
MPOOL_ABI_OFFSET(mpioc_mlog, ml_props, 16);
MPOOL_ABI_OFFSET(mpioc_mlog, ml_cap, 96);
MPOOL_ABI_OFFSET(mpioc_mlog, ml_mclassp, 112);
MPOOL_ABI_OFFSET(mpioc_mlog_id, mi_state, 16);
MPOOL_ABI_OFFSET(mpioc_mlog_io, mi_op, 16);
MPOOL_ABI_OFFSET(mpioc_mlog_io, mi_iovc, 22);
MPOOL_ABI_OFFSET(mpioc_mlog_io, mi_iov, 24);
MPOOL_ABI_OFFSET(mpioc_mlog_io, mi_rsvd2, 32);
MPOOL_ABI_OFFSET(mpioc_vma, im_mbidv, 8);
MPOOL_ABI_OFFSET(mpioc_vma, im_rsvd, 56);

#undef MPOOL_ABI_SIZE
#undef MPOOL_ABI_OFFSET

#endif /* MPOOL_IOCTL_H */
