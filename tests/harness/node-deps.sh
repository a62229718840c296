#!/usr/bin/env bash
# Installs the npm packages the tests use (bcryptjs: Node's bcrypt format, to check our hashes)
# into BUILD/node, once. Needs node and npm (Debian packages nodejs, npm).
set -euo pipefail
build=${1:?usage: node-deps.sh BUILD_DIR}
dir="$build/node"
[ -f "$dir/node_modules/bcryptjs/package.json" ] && exit 0
if ! command -v npm >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "node-deps.sh: npm is missing: sudo apt-get install -y nodejs npm" >&2
    exit 1
  fi
fi
mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund --silent bcryptjs@3 >/dev/null
