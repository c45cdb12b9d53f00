{
  "targets": [
    {
      "target_name": "permafrost_native",
      "sources": ["src/binding.c", "src/sha256-x16-avx512.c", "src/sha256-shani.c", "src/sha256-openssl.c", "src/sha256-constants.c", "src/sparse.c"],
      "cflags": ["-O3", "-std=c11", "-Wall", "-Wextra"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
