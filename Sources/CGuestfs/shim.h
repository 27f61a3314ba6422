#include <guestfs.h>
#include <stdint.h>

/* Optional-argument bitmasks are UINT64_C(1)<<n macros, which Swift does not import: re-export them. */
static const uint64_t cguestfs_add_drive_format = GUESTFS_ADD_DRIVE_OPTS_FORMAT_BITMASK;
static const uint64_t cguestfs_add_drive_readonly = GUESTFS_ADD_DRIVE_OPTS_READONLY_BITMASK;
static const uint64_t cguestfs_add_drive_cachemode = GUESTFS_ADD_DRIVE_OPTS_CACHEMODE_BITMASK;
static const uint64_t cguestfs_add_drive_discard = GUESTFS_ADD_DRIVE_OPTS_DISCARD_BITMASK;
