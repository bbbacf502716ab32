#ifndef HARE_CLIBFUZZER_H
#define HARE_CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver for programs that have their own main (LLVM 11 and later): parses the
/// libFuzzer flags in argv and fuzzes `callback`. Linked in by -sanitize=fuzzer.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
