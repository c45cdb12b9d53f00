// SHA-256 (FIPS 180-4) of 16 independent 4096-byte messages in the 16 lanes of AVX-512 registers.
//
// Why: a chunk's block digests are 256 independent hashes of 4 KiB each (keyed-hash.ts). SHA-NI
// through node:crypto hashes one at a time (~1.0-1.4 GB per CPU-second here, with a call per
// block); the same work spread over 16 lanes runs ~2x faster, and hashing was a fifth of a full
// backup's and a restore's CPU time. The kernel is compiled for AVX-512 with a target attribute,
// so the addon still loads on other x86-64 CPUs (sha256_x16_supported() says no there).
#include "sha256-x16.h"
#include "sha256-constants.h"
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

/* K[t] + W[t] of the padding block every 4096-byte message ends with (0x80, zeros, bit length). */
static uint32_t PAD_KW[64];
static int pad_ready;

static uint32_t ror32(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void init_pad(void) {
  uint32_t w[64] = {0};
  w[0] = 0x80000000u;
  w[15] = 4096u * 8u;
  for (int t = 16; t < 64; t++) {
    uint32_t s0 = ror32(w[t - 15], 7) ^ ror32(w[t - 15], 18) ^ (w[t - 15] >> 3);
    uint32_t s1 = ror32(w[t - 2], 17) ^ ror32(w[t - 2], 19) ^ (w[t - 2] >> 10);
    w[t] = w[t - 16] + s0 + w[t - 7] + s1;
  }
  for (int t = 0; t < 64; t++) PAD_KW[t] = SHA256_K[t] + w[t];
  pad_ready = 1;
}

int sha256_x16_supported(void) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw")) return 0;
  if (!pad_ready) init_pad();
  return 1;
}

#define TARGET __attribute__((target("avx512f,avx512bw")))
#define ROR(x, n) _mm512_ror_epi32(x, n)
#define XOR3(a, b, c) _mm512_ternarylogic_epi32(a, b, c, 0x96)
#define CH(e, f, g) _mm512_ternarylogic_epi32(e, f, g, 0xCA)
#define MAJ(a, b, c) _mm512_ternarylogic_epi32(a, b, c, 0xE8)
#define ADD(a, b) _mm512_add_epi32(a, b)

/* 64 rounds on state s; w holds the block's 16 message words (expanded in place), or is unused
   for the padding block, whose K+W are precomputed. */
TARGET static inline void compress(__m512i s[8], __m512i w[16], int padding) {
  __m512i a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
  for (int t = 0; t < 64; t++) {
    __m512i kw;
    if (padding) {
      kw = _mm512_set1_epi32((int)PAD_KW[t]);
    } else {
      if (t >= 16) {
        __m512i w15 = w[(t - 15) & 15], w2 = w[(t - 2) & 15];
        __m512i s0 = XOR3(ROR(w15, 7), ROR(w15, 18), _mm512_srli_epi32(w15, 3));
        __m512i s1 = XOR3(ROR(w2, 17), ROR(w2, 19), _mm512_srli_epi32(w2, 10));
        w[t & 15] = ADD(ADD(w[t & 15], s0), ADD(s1, w[(t - 7) & 15]));
      }
      kw = ADD(w[t & 15], _mm512_set1_epi32((int)SHA256_K[t]));
    }
    __m512i t1 = ADD(ADD(h, XOR3(ROR(e, 6), ROR(e, 11), ROR(e, 25))), ADD(CH(e, f, g), kw));
    __m512i t2 = ADD(XOR3(ROR(a, 2), ROR(a, 13), ROR(a, 22)), MAJ(a, b, c));
    h = g;
    g = f;
    f = e;
    e = ADD(d, t1);
    d = c;
    c = b;
    b = a;
    a = ADD(t1, t2);
  }
  s[0] = ADD(s[0], a);
  s[1] = ADD(s[1], b);
  s[2] = ADD(s[2], c);
  s[3] = ADD(s[3], d);
  s[4] = ADD(s[4], e);
  s[5] = ADD(s[5], f);
  s[6] = ADD(s[6], g);
  s[7] = ADD(s[7], h);
}

TARGET void sha256_x16_4k(const uint8_t *base, const int32_t offs[16], uint8_t *const outs[16]) {
  const __m512i bswap = _mm512_set4_epi32(0x0c0d0e0f, 0x08090a0b, 0x04050607, 0x00010203);
  const __m512i idx = _mm512_loadu_si512((const void *)offs);
  __m512i s[8], w[16];
  for (int i = 0; i < 8; i++) s[i] = _mm512_set1_epi32((int)H0[i]);
  for (int blk = 0; blk < 64; blk++) {
    // Word t of block blk of every lane's message, gathered and made big-endian.
    for (int t = 0; t < 16; t++) {
      __m512i v = _mm512_i32gather_epi32(idx, (const void *)(base + blk * 64 + t * 4), 1);
      w[t] = _mm512_shuffle_epi8(v, bswap);
    }
    compress(s, w, 0);
  }
  compress(s, w, 1);
  uint32_t words[8][16];
  for (int i = 0; i < 8; i++) _mm512_storeu_si512((void *)words[i], _mm512_shuffle_epi8(s[i], bswap));
  for (int lane = 0; lane < 16; lane++) {
    for (int i = 0; i < 8; i++) memcpy(outs[lane] + i * 4, &words[i][lane], 4);
  }
}

#else

int sha256_x16_supported(void) { return 0; }
void sha256_x16_4k(const uint8_t *base, const int32_t offs[16], uint8_t *const outs[16]) {
  (void)base;
  (void)offs;
  (void)outs;
}

#endif
