#!/usr/bin/env bash
# make test: start a throwaway PostgreSQL, run every ctest test against it, stop it.
set -uo pipefail
build=${1:?usage: run-tests.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
pgdir="$build/pg-test"
"$here/node-deps.sh" "$build" || exit 1
export CRMCTL_NODE_MODULES=$(cd "$build/node/node_modules" && pwd)
"$here/pg.sh" start "$pgdir" || exit 1
trap '"$here/pg.sh" stop "$pgdir"' EXIT
export CRMCTL_TEST_DATABASE_URL=$(cat "$pgdir/url")
# Tests never see a developer's own settings.
unset CRMCTL_DATABASE_URL DATABASE_URL CRMCTL_CONFIG CRMCTL_PROFILE CRMCTL_MASTER_KEY CRMCTL_MASTER_KEY_FILE
export XDG_CONFIG_HOME="$build/test-xdg" HOME="$build/test-home"
mkdir -p "$XDG_CONFIG_HOME" "$HOME"
ctest --test-dir "$build" --output-on-failure -j "${CTEST_JOBS:-2}" --timeout 300
