#!/usr/bin/env bash
# Rebuilds README.md from its fixed head (up to "## Connecting to a cloud"), the per-area parts in
# docs/readme-parts/ (each owned by one area of the code) and its fixed tail (from "## Tests").
set -euo pipefail
cd "$(dirname "$0")/.."
parts=(access-layer inventory backup restore restore-planner data-engine data-path-performance backends-and-bench)
head_end=$(grep -n '^## Connecting to a cloud' README.md | cut -d: -f1)
tail_start=$(grep -n '^## Tests' README.md | cut -d: -f1)
{
  head -n "$((head_end - 1))" README.md
  for p in "${parts[@]}"; do cat "docs/readme-parts/$p.md"; echo; done
  tail -n "+$tail_start" README.md
} > README.md.new
mv README.md.new README.md
