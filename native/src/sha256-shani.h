// SHA-256 of 4096-byte messages with the x86 SHA extensions (SHA-NI).
#ifndef PERMAFROST_SHA256_SHANI_H
#define PERMAFROST_SHA256_SHANI_H
#include <stdint.h>

/** True when this CPU has SHA-NI (with the SSSE3 and SSE4.1 the kernel also uses). */
int sha256_shani_supported(void);

/** The digest of the 4096 bytes at `message` into `out`. Call only when sha256_shani_supported(). */
void sha256_shani_4k(const uint8_t *message, uint8_t out[32]);

/** The digests of two 4096-byte messages, computed interleaved (faster than one after the other). */
void sha256_shani_4k_x2(const uint8_t *message0, const uint8_t *message1, uint8_t out0[32], uint8_t out1[32]);

#endif
