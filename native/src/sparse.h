#ifndef PERMAFROST_SPARSE_H
#define PERMAFROST_SPARSE_H
#include <stdint.h>

/**
 * The first data extent of `fd` at or after `offset`: [*start, *end). Returns 1 when found, 0 when
 * there is no data at or after `offset` (a trailing hole, or the end of the file), -errno on error.
 * Moves the descriptor's file position (callers use positioned reads).
 */
int data_extent(int fd, int64_t offset, int64_t *start, int64_t *end);

#endif
