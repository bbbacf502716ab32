// A malloc counter without LD_PRELOAD: the executable defines malloc & co., so the dynamic
// linker binds every library's calls (libswiftCore, libFoundation, NIO, libc itself) to these
// definitions. Each one bumps a counter and forwards to glibc's real allocator through its
// exported __libc_* entry points, so malloc_usable_size and free keep working on the chunks.
#define _GNU_SOURCE
#include <stdlib.h>  // defines __GLIBC__ on glibc

#if defined(__linux__) && defined(__GLIBC__)
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "MallocCounter.h"

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void *pointer);

#include <dlfcn.h>

static uint64_t mallocs;
static uint64_t frees;

void *malloc(size_t size) {
    mallocs++;
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    mallocs++;
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    mallocs++;
    return __libc_realloc(pointer, size);
}

void free(void *pointer) {
    if (pointer != NULL) frees++;
    __libc_free(pointer);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
    mallocs++;
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL && size != 0) return ENOMEM;
    *result = pointer;
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size) {
    mallocs++;
    return __libc_memalign(alignment, size);
}

void *memalign(size_t alignment, size_t size) {
    mallocs++;
    return __libc_memalign(alignment, size);
}

uint64_t hare_malloc_count(void) { return mallocs; }
uint64_t hare_free_count(void) { return frees; }
int hare_malloc_counter_active(void) {
    // Interposition works when the dynamic linker's global "malloc" is this file's one (it is not
    // when, say, the executable does not export it).
    return dlsym(RTLD_DEFAULT, "malloc") == (void *)malloc;
}

#else
#include "MallocCounter.h"
uint64_t hare_malloc_count(void) { return 0; }
uint64_t hare_free_count(void) { return 0; }
int hare_malloc_counter_active(void) { return 0; }
#endif
