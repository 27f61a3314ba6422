#include <archive.h>
#include <archive_entry.h>

/* File-type macros are casts, which Swift does not import: re-export the ones the harness writes. */
static const unsigned int clibarchive_ifreg = AE_IFREG;
static const unsigned int clibarchive_iflnk = AE_IFLNK;
static const unsigned int clibarchive_ifdir = AE_IFDIR;
static const unsigned int clibarchive_ifchr = AE_IFCHR;
static const unsigned int clibarchive_ififo = AE_IFIFO;
