// SHA-256 of 4096-byte messages through OpenSSL's low-level SHA256_* functions, for CPUs with
// neither AVX-512 nor SHA-NI: OpenSSL picks its best code for the CPU (AVX2, SSSE3, ...), and
// looping here over a chunk's blocks saves node:crypto's one JavaScript call per block. The
// low-level calls are deprecated in OpenSSL 3 but still exported by Node; the one-shot SHA256()
// would look the algorithm up again on every block.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "sha256-openssl.h"
#include <openssl/sha.h>

void sha256_openssl_4k(const uint8_t *message, uint8_t out[32]) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, message, 4096);
  SHA256_Final(out, &ctx);
}
