// SHA-256 of one 4096-byte message through OpenSSL (linked into Node and exposed to addons).
#ifndef PERMAFROST_SHA256_OPENSSL_H
#define PERMAFROST_SHA256_OPENSSL_H
#include <stdint.h>

/** The digest of the 4096 bytes at `message` into `out`. Runs on every CPU. */
void sha256_openssl_4k(const uint8_t *message, uint8_t out[32]);

#endif
