// Linux calls the Swift Glibc module does not declare (they sit behind _GNU_SOURCE).
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>

// glibc >= 2.28; Linux >= 3.15 (ext4, xfs, btrfs, tmpfs). Fails with EINVAL where the filesystem cannot.
extern int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);

/// Swaps two paths in one step (RENAME_EXCHANGE): at every moment each name holds one of the two folders.
static inline int lex_rename_exchange(const char *a, const char *b) {
    return renameat2(AT_FDCWD, a, AT_FDCWD, b, 1u << 1);
}

/// The calling process gets SIGKILL when its parent dies (a child must not outlive the run that started it).
static inline void lex_die_with_parent(void) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}
