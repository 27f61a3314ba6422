#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * openat2(2) (Linux 5.6), which glibc does not wrap and Swift cannot call through the variadic syscall(2):
 * opens `path` relative to the folder `dirfd` with open(2)'s `flags`, resolving it as `resolve` allows
 * (RESOLVE_* flags). Returns the descriptor, or -1 with errno set.
 */
static inline int copenat2(int dirfd, const char *_Nonnull path, unsigned long long flags, unsigned long long resolve) {
    struct open_how how = { .flags = flags, .mode = 0, .resolve = resolve };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

/* Macros Swift does not import: RESOLVE_* are not in glibc's headers, O_PATH needs _GNU_SOURCE. */
static const unsigned long long copenat2_resolve_beneath = RESOLVE_BENEATH;
static const unsigned long long copenat2_resolve_no_magiclinks = RESOLVE_NO_MAGICLINKS;
static const int copenat2_o_path = __O_PATH;
