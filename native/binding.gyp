{
  "targets": [
    {
      "target_name": "blockhash",
      "sources": ["src/blockhash.c", "src/sha256-x16-avx512.c"],
      "cflags": ["-O3", "-std=c11", "-Wall", "-Wextra"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
