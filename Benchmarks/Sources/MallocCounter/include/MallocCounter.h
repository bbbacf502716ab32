#ifndef HARE_MALLOC_COUNTER_H
#define HARE_MALLOC_COUNTER_H

#include <stdint.h>

/// Number of allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign)
/// made by this process since it started. Not atomic: the benchmark is single-threaded.
uint64_t hare_malloc_count(void);

/// Number of frees of a non-NULL pointer since the process started.
uint64_t hare_free_count(void);

/// Whether this process's malloc is the counting one (1) or the counter is inert (0).
int hare_malloc_counter_active(void);

#endif
