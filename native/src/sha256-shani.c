// SHA-256 (FIPS 180-4) of 4096-byte messages with the x86 SHA extensions (SHA-NI), two messages
// interleaved, for CPUs without AVX-512 (where the 16-lane kernel does not run).
//
// Why: node:crypto would reach the same instructions through OpenSSL, but with one JavaScript call
// per 4 KiB block; looping here over a whole chunk in one call removes that per-block overhead.
// The kernel is compiled with a target attribute, so the addon still builds and loads on any
// x86-64 CPU (sha256_shani_supported() says no there) and on other architectures (stubs below).
#include "sha256-shani.h"
#include "sha256-constants.h"
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

/* The padding block every 4096-byte message ends with: 0x80, zeros, the bit length 32768. */
static const uint8_t PAD[64] = {0x80, [62] = 0x80, [63] = 0x00};

int sha256_shani_supported(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  int ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  int sha = (b >> 29) & 1;
  return ssse3 && sse41 && sha;
}

#define TARGET __attribute__((target("sha,sse4.1,ssse3")))

/* One 64-byte block of each of two messages into their states (ABEF/CDGH register pairs, the
   form the instructions use). Two independent messages interleaved keep the SHA unit busy while
   each round waits for the previous one of its own message. */
TARGET static inline void compress2(__m128i st[4], const uint8_t *block0, const uint8_t *block1) {
  const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i a0 = st[0], c0 = st[1], a1 = st[2], c1 = st[3], m0[4], m1[4];
#pragma GCC unroll 16
  for (int i = 0; i < 16; i++) {
    __m128i x, y;
    if (i < 4) {
      x = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(block0 + 16 * i)), bswap);
      y = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(block1 + 16 * i)), bswap);
    } else {
      // W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16], four words at a time.
      x = _mm_sha256msg1_epu32(m0[(i - 4) & 3], m0[(i - 3) & 3]);
      y = _mm_sha256msg1_epu32(m1[(i - 4) & 3], m1[(i - 3) & 3]);
      x = _mm_add_epi32(x, _mm_alignr_epi8(m0[(i - 1) & 3], m0[(i - 2) & 3], 4));
      y = _mm_add_epi32(y, _mm_alignr_epi8(m1[(i - 1) & 3], m1[(i - 2) & 3], 4));
      x = _mm_sha256msg2_epu32(x, m0[(i - 1) & 3]);
      y = _mm_sha256msg2_epu32(y, m1[(i - 1) & 3]);
    }
    m0[i & 3] = x;
    m1[i & 3] = y;
    const __m128i k = _mm_load_si128((const __m128i *)&SHA256_K[4 * i]);
    __m128i kx = _mm_add_epi32(x, k), ky = _mm_add_epi32(y, k);
    c0 = _mm_sha256rnds2_epu32(c0, a0, kx);
    c1 = _mm_sha256rnds2_epu32(c1, a1, ky);
    a0 = _mm_sha256rnds2_epu32(a0, c0, _mm_shuffle_epi32(kx, 0x0E));
    a1 = _mm_sha256rnds2_epu32(a1, c1, _mm_shuffle_epi32(ky, 0x0E));
  }
  st[0] = _mm_add_epi32(st[0], a0);
  st[1] = _mm_add_epi32(st[1], c0);
  st[2] = _mm_add_epi32(st[2], a1);
  st[3] = _mm_add_epi32(st[3], c1);
}

/* The digest (big-endian words A..H) of an ABEF/CDGH state pair. */
TARGET static void store_digest(__m128i abef, __m128i cdgh, uint8_t out[32]) {
  uint32_t x[4], y[4], h[8];
  _mm_storeu_si128((__m128i *)x, abef); /* F E B A */
  _mm_storeu_si128((__m128i *)y, cdgh); /* H G D C */
  h[0] = x[3], h[1] = x[2], h[2] = y[3], h[3] = y[2], h[4] = x[1], h[5] = x[0], h[6] = y[1], h[7] = y[0];
  for (int i = 0; i < 8; i++) {
    uint32_t be = __builtin_bswap32(h[i]);
    memcpy(out + 4 * i, &be, 4);
  }
}

TARGET void sha256_shani_4k_x2(const uint8_t *message0, const uint8_t *message1, uint8_t out0[32], uint8_t out1[32]) {
  // H0 as the instructions want it: ABEF = {F, E, B, A} and CDGH = {H, G, D, C} from low to high.
  const __m128i abef = _mm_set_epi32(0x6a09e667, 0xbb67ae85, 0x510e527f, 0x9b05688c);
  const __m128i cdgh = _mm_set_epi32(0x3c6ef372, 0xa54ff53a, 0x1f83d9ab, 0x5be0cd19);
  __m128i st[4] = {abef, cdgh, abef, cdgh};
  for (int blk = 0; blk < 64; blk++) compress2(st, message0 + 64 * blk, message1 + 64 * blk);
  compress2(st, PAD, PAD);
  store_digest(st[0], st[1], out0);
  store_digest(st[2], st[3], out1);
}

TARGET void sha256_shani_4k(const uint8_t *message, uint8_t out[32]) {
  // The pair kernel with the message twice: one code path to keep right, and a lone block is rare
  // (at most one per chunk).
  uint8_t spare[32];
  sha256_shani_4k_x2(message, message, out, spare);
}

#else

int sha256_shani_supported(void) { return 0; }
void sha256_shani_4k(const uint8_t *message, uint8_t out[32]) {
  (void)message;
  (void)out;
}
void sha256_shani_4k_x2(const uint8_t *message0, const uint8_t *message1, uint8_t out0[32], uint8_t out1[32]) {
  (void)message0;
  (void)message1;
  (void)out0;
  (void)out1;
}

#endif
