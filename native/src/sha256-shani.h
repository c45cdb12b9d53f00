// SHA-256 of one 4096-byte message with the x86 SHA extensions (SHA-NI).
#ifndef PERMAFROST_SHA256_SHANI_H
#define PERMAFROST_SHA256_SHANI_H
#include <stdint.h>

/** True when this CPU has SHA-NI (with the SSSE3 and SSE4.1 the kernel also uses). */
int sha256_shani_supported(void);

/** The digest of the 4096 bytes at `message` into `out`. Call only when sha256_shani_supported(). */
void sha256_shani_4k(const uint8_t *message, uint8_t out[32]);

#endif
