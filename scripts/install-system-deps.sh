#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (idempotent; needs root).
set -euo pipefail
pkgs=(clang-19 llvm-19 libbpf-dev bpftool xdp-tools libxdp1 xdp-tests iproute2 iputils-ping libc6-dev-i386 binutils gcc util-linux)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-system-deps: missing ${missing[*]}; run as root or install them with apt-get" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
