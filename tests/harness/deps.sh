#!/usr/bin/env bash
# Installs the Debian packages crmctl needs, only those missing. As root: apt-get; otherwise a
# message naming the packages and exit 1.
set -euo pipefail
pkgs=(g++ cmake ninja-build ccache pkg-config git
      libcli11-dev libpqxx-dev nlohmann-json3-dev libyaml-cpp-dev libssl-dev
      libgtest-dev libgmock-dev libcurl4-openssl-dev libcpp-httplib-dev
      libspdlog-dev libfmt-dev libcrypt-dev libre2-dev postgresql-15 postgresql-client-15 util-linux
      libcairo2-dev poppler-utils fonts-dejavu-core pgbouncer)
# `make fuzz` (deps.sh --fuzz): clang and its libFuzzer/sanitizer runtimes.
[ "${1:-}" = "--fuzz" ] && pkgs+=(clang libclang-rt-14-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "crmctl needs these Debian packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
