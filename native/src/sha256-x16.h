// SHA-256 of 16 messages of exactly 4096 bytes at once (one message per 32-bit lane of AVX-512).
#ifndef PERMAFROST_SHA256_X16_H
#define PERMAFROST_SHA256_X16_H
#include <stdint.h>

/** True when this CPU (and its OS) runs the AVX-512 kernel. */
int sha256_x16_supported(void);

/**
 * Digests of the 16 messages at base + offs[i] (each 4096 bytes) into outs[i] (32 bytes each).
 * Call only when sha256_x16_supported().
 */
void sha256_x16_4k(const uint8_t *base, const int32_t offs[16], uint8_t *const outs[16]);

#endif
