#include <archive.h>
#include <archive_entry.h>

/* File-type macros are casts, which Swift does not import: re-export them. */
static const unsigned int carchive_ifmt = AE_IFMT;
static const unsigned int carchive_ifreg = AE_IFREG;
static const unsigned int carchive_iflnk = AE_IFLNK;
static const unsigned int carchive_ifdir = AE_IFDIR;
static const unsigned int carchive_ifchr = AE_IFCHR;
static const unsigned int carchive_ifblk = AE_IFBLK;
static const unsigned int carchive_ififo = AE_IFIFO;
static const unsigned int carchive_ifsock = AE_IFSOCK;
