// N-API binding of permafrost's native helpers: block digests of a chunk (keyed-hash.ts
// digestBlocks) and the data extents of a sparse file (chunk-source.ts).
//
//   digestPaths: string[]          the block-digest paths this CPU runs, fastest first, among
//                                  "avx512" (16 blocks at once in AVX-512 lanes), "shani" (x86 SHA
//                                  extensions, two blocks interleaved) and "openssl" (OpenSSL's
//                                  SHA-256, which Node links in; runs everywhere)
//   digestBlocks(data, out, path): n
//                                  for each whole 4096-byte block i of `data`: 32 zero bytes at
//                                  out[32i] when the block is all zeros, else its SHA-256; returns
//                                  the number of all-zero blocks. `path` is an index into
//                                  DIGEST_PATH_NAMES (default: the fastest). A shorter tail block
//                                  is left to the caller. Synchronous: it runs on the calling
//                                  (worker) thread.
//   dataExtent(fd, offset)        [start, end) of the first data extent at or after `offset`, or
//                                  null when only a hole (or the end of the file) follows; throws
//                                  an Error with `code` (errno name) on failure.
#include <node_api.h>
#include <stdint.h>
#include <string.h>
#include "sha256-openssl.h"
#include "sha256-shani.h"
#include "sha256-x16.h"
#include "sparse.h"
#include <errno.h>

#define BLOCK 4096
#define LANES 16

enum digest_path { PATH_AVX512, PATH_SHANI, PATH_OPENSSL, PATH_COUNT };
static const char *const DIGEST_PATH_NAMES[PATH_COUNT] = {"avx512", "shani", "openssl"};

static int path_supported(int path) {
  switch (path) {
    case PATH_AVX512: return sha256_x16_supported();
    case PATH_SHANI: return sha256_shani_supported();
    case PATH_OPENSSL: return 1;
    default: return 0;
  }
}

static int all_zero(const uint8_t *p) {
  if (p[0] != 0 || p[BLOCK - 1] != 0) return 0;
  const uint64_t *q = (const uint64_t *)p;
  for (int i = 0; i < BLOCK / 8; i += 8) {
    if (q[i] | q[i + 1] | q[i + 2] | q[i + 3] | q[i + 4] | q[i + 5] | q[i + 6] | q[i + 7]) return 0;
  }
  return 1;
}

/* For an all-zero block: 32 zero bytes at `digest`, and 1 (the caller counts it and skips hashing). */
static int zero_block(const uint8_t *block, uint8_t *digest) {
  if (!all_zero(block)) return 0;
  memset(digest, 0, 32);
  return 1;
}

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

/* Pointer and length of a typed array or Buffer argument. */
static int bytes_of(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  napi_typedarray_type type;
  size_t count;
  void *p;
  if (napi_get_typedarray_info(env, v, &type, &count, &p, NULL, NULL) != napi_ok || type != napi_uint8_array) return 0;
  *data = (uint8_t *)p;
  *len = count;
  return 1;
}

/* The AVX-512 path: non-zero blocks are gathered into batches of 16 lanes. */
static uint32_t digest_blocks_x16(const uint8_t *data, uint8_t *out, size_t blocks) {
  int32_t offs[LANES];
  uint8_t *outs[LANES];
  uint8_t spare[LANES][32];
  int lanes = 0;
  uint32_t zero = 0;
  for (size_t i = 0; i < blocks; i++) {
    if (zero_block(data + i * BLOCK, out + i * 32)) {
      zero++;
      continue;
    }
    offs[lanes] = (int32_t)(i * BLOCK);
    outs[lanes] = out + i * 32;
    if (++lanes == LANES) {
      sha256_x16_4k(data, offs, outs);
      lanes = 0;
    }
  }
  if (lanes > 0) {
    // A partial batch: the empty lanes hash the first block again into scratch space.
    for (int l = lanes; l < LANES; l++) {
      offs[l] = offs[0];
      outs[l] = spare[l];
    }
    sha256_x16_4k(data, offs, outs);
  }
  return zero;
}

/* The SHA-NI path: non-zero blocks are hashed in pairs (the kernel interleaves two messages). */
static uint32_t digest_blocks_shani(const uint8_t *data, uint8_t *out, size_t blocks) {
  uint32_t zero = 0;
  const uint8_t *waiting = NULL;
  uint8_t *waiting_out = NULL;
  for (size_t i = 0; i < blocks; i++) {
    const uint8_t *block = data + i * BLOCK;
    if (zero_block(block, out + i * 32)) {
      zero++;
    } else if (waiting) {
      sha256_shani_4k_x2(waiting, block, waiting_out, out + i * 32);
      waiting = NULL;
    } else {
      waiting = block;
      waiting_out = out + i * 32;
    }
  }
  if (waiting) sha256_shani_4k(waiting, waiting_out);
  return zero;
}

/* The OpenSSL path: one block at a time. */
static uint32_t digest_blocks_openssl(const uint8_t *data, uint8_t *out, size_t blocks) {
  uint32_t zero = 0;
  for (size_t i = 0; i < blocks; i++) {
    if (zero_block(data + i * BLOCK, out + i * 32))
      zero++;
    else
      sha256_openssl_4k(data + i * BLOCK, out + i * 32);
  }
  return zero;
}

static int fastest_path(void) {
  for (int p = 0; p < PATH_COUNT; p++)
    if (path_supported(p)) return p;
  return PATH_OPENSSL;
}

static napi_value digest_blocks(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  const char *usage = "digestBlocks(data, out, path?) takes two Uint8Arrays and an optional path index";
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return throw_error(env, usage);
  uint8_t *data, *out;
  size_t len, out_len;
  if (!bytes_of(env, argv[0], &data, &len) || !bytes_of(env, argv[1], &out, &out_len)) return throw_error(env, usage);
  int32_t path = fastest_path();
  napi_valuetype type = napi_undefined;
  if (argc >= 3) napi_typeof(env, argv[2], &type);
  if (type != napi_undefined && napi_get_value_int32(env, argv[2], &path) != napi_ok) return throw_error(env, usage);
  if (!path_supported(path)) return throw_error(env, "digestBlocks: this CPU does not run that digest path");
  size_t blocks = len / BLOCK;
  if (out_len < blocks * 32) return throw_error(env, "digestBlocks: out is too small for the block digests");
  if (blocks > INT32_MAX / BLOCK) return throw_error(env, "digestBlocks: data is too large");

  uint32_t zero = path == PATH_AVX512  ? digest_blocks_x16(data, out, blocks)
                  : path == PATH_SHANI ? digest_blocks_shani(data, out, blocks)
                                       : digest_blocks_openssl(data, out, blocks);
  napi_value result;
  napi_create_uint32(env, zero, &result);
  return result;
}

static napi_value data_extent_js(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  int64_t offset;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_int64(env, argv[1], &offset) != napi_ok || offset < 0)
    return throw_error(env, "dataExtent(fd, offset) takes a descriptor and a non-negative offset");
  int64_t start = 0, end = 0;
  int r = data_extent(fd, offset, &start, &end);
  if (r < 0) {
    napi_value msg, code, err;
    napi_create_string_utf8(env, strerror(-r), NAPI_AUTO_LENGTH, &msg);
    napi_create_string_utf8(env, -r == EBADF ? "EBADF" : -r == EINVAL ? "EINVAL" : -r == ENOSYS ? "ENOSYS" : "EIO", NAPI_AUTO_LENGTH, &code);
    napi_create_error(env, code, msg, &err);
    napi_set_named_property(env, err, "code", code);
    napi_throw(env, err);
    return NULL;
  }
  napi_value result;
  if (r == 0) {
    napi_get_null(env, &result);
    return result;
  }
  napi_value s, e;
  napi_create_int64(env, start, &s);
  napi_create_int64(env, end, &e);
  napi_create_array_with_length(env, 2, &result);
  napi_set_element(env, result, 0, s);
  napi_set_element(env, result, 1, e);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn, extent, paths;
  napi_create_function(env, "dataExtent", NAPI_AUTO_LENGTH, data_extent_js, NULL, &extent);
  napi_set_named_property(env, exports, "dataExtent", extent);
  napi_create_function(env, "digestBlocks", NAPI_AUTO_LENGTH, digest_blocks, NULL, &fn);
  napi_set_named_property(env, exports, "digestBlocks", fn);
  // Every path by index (digestBlocks' third argument); those this CPU runs in digestPaths.
  napi_value names, name;
  napi_create_array_with_length(env, PATH_COUNT, &names);
  napi_create_array(env, &paths);
  uint32_t supported = 0;
  for (int p = 0; p < PATH_COUNT; p++) {
    napi_create_string_utf8(env, DIGEST_PATH_NAMES[p], NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, names, (uint32_t)p, name);
    if (path_supported(p)) napi_set_element(env, paths, supported++, name);
  }
  napi_set_named_property(env, exports, "digestPathNames", names);
  napi_set_named_property(env, exports, "digestPaths", paths);
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
