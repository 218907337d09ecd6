#!/usr/bin/env bash
# Rebuilds every example's BPF object (the built .o files are committed so the
# examples run where clang is absent). Needs clang-19 and libbpf-dev.
set -euo pipefail
cd "$(dirname "$0")"
for src in */*.bpf.c; do
  clang-19 -O2 -g -target bpf -D__TARGET_ARCH_x86 -I/usr/include/$(uname -m)-linux-gnu -c "$src" -o "${src%.c}.o"
  echo "built ${src%.c}.o"
done
