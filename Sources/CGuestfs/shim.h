#include <guestfs.h>
#include <dlfcn.h>
#include <stdint.h>

/* Optional-argument bitmasks are UINT64_C(1)<<n macros, which Swift does not import: re-export them. */
static const uint64_t cguestfs_add_drive_format = GUESTFS_ADD_DRIVE_OPTS_FORMAT_BITMASK;
static const uint64_t cguestfs_add_drive_readonly = GUESTFS_ADD_DRIVE_OPTS_READONLY_BITMASK;
static const uint64_t cguestfs_add_drive_cachemode = GUESTFS_ADD_DRIVE_OPTS_CACHEMODE_BITMASK;
static const uint64_t cguestfs_add_drive_discard = GUESTFS_ADD_DRIVE_OPTS_DISCARD_BITMASK;

/*
 * libguestfs is loaded when a command first needs it, not when dibkit starts: linked in, it brings some
 * 55 more shared libraries (libvirt, glib, gnutls, krb5…) whose symbol relocations cost every run about
 * 18 ms of CPU, and it would make `convert`, `info`, `check` and `upload` fail to start on a host
 * without libguestfs, although they never use it.
 *
 * The functions dibkit calls, without their `guestfs_` prefix; each becomes a field of `cguestfs_api`.
 */
#define CGUESTFS_FUNCTIONS(F) \
    F(create) F(close) F(last_error) F(set_error_handler) F(set_event_callback) F(set_verbose) \
    F(set_backend_settings) F(set_network) F(set_memsize) F(set_smp) F(set_pgroup) F(set_recovery_proc) \
    F(add_drive_opts_argv) F(launch) F(mount) F(sh) F(fstrim_argv) F(umount_all) F(shutdown) F(list_partitions) \
    F(list_devices) F(vfs_type) F(is_dir) F(exists) F(is_symlink) F(upload) F(read_file) F(write) \
    F(write_append) F(mkdir_mode) F(chmod) F(chown) F(rename) F(rm_f) F(debug) F(mkmountpoint) F(mount_ro) \
    F(umount) F(tar_out) F(download)

#define CGUESTFS_FIELD(name) __typeof__(guestfs_##name) *_Nonnull name;
/* libguestfs's functions, as loaded by `cguestfs_load`. */
typedef struct cguestfs_api {
    CGUESTFS_FUNCTIONS(CGUESTFS_FIELD)
} cguestfs_api;
#undef CGUESTFS_FIELD

/*
 * Loads libguestfs and looks up every function. Returns the table, or NULL with `*error` set to the
 * loader's message. Not thread-safe: call it once (dibkit's Swift side does, from a lazy global).
 */
static inline const cguestfs_api *_Nullable cguestfs_load(const char *_Nullable *_Nonnull error) {
    static cguestfs_api api;
    void *library = dlopen("libguestfs.so.0", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        *error = dlerror();
        return NULL;
    }
#define CGUESTFS_LOOKUP(name) \
    if ((api.name = (__typeof__(guestfs_##name) *)dlsym(library, "guestfs_" #name)) == NULL) { \
        *error = dlerror(); \
        return NULL; \
    }
    CGUESTFS_FUNCTIONS(CGUESTFS_LOOKUP)
#undef CGUESTFS_LOOKUP
    return &api;
}
