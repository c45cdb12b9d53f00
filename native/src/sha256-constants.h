// The SHA-256 round constants (FIPS 180-4 §4.2.2), shared by the kernels.
#ifndef PERMAFROST_SHA256_CONSTANTS_H
#define PERMAFROST_SHA256_CONSTANTS_H
#include <stdint.h>

/** K[0..63], 16-byte aligned (the SHA-NI kernel loads four at a time). */
extern const uint32_t SHA256_K[64];

#endif
