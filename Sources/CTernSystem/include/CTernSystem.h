#ifndef CTERNSYSTEM_H
#define CTERNSYSTEM_H

/// Asks the kernel to send `signal` to this process when the thread that
/// started it ends (Linux `prctl(PR_SET_PDEATHSIG)`, which Swift cannot call
/// directly because `prctl` is variadic).
///
/// Returns 0 on success, -1 on failure (errno set). Does nothing and
/// returns 0 on systems without `prctl`.
int tern_set_parent_death_signal(int signal);

#endif
