#!/usr/bin/env bash
# The checked-in man pages and completions match what the command tree generates.
. "$(dirname "$0")/../harness/e2e-lib.sh"
run __gendocs --out "$WORK/gen"
expect_rc 0 "gendocs"
for d in man completions; do
  CHECKS=$((CHECKS + 1))
  if ! diff -r "$SRC/$d" "$WORK/gen/$d" >"$WORK/diff" 2>&1; then
    fail "$d/ is stale: run \`make docs\` and commit ($(head -c 600 "$WORK/diff"))"
  fi
done
# man pages render
if command -v man >/dev/null; then
  CHECKS=$((CHECKS + 1))
  MANWIDTH=100 man -l "$SRC/man/crmctl.1" 2>&1 | grep -q "EXIT STATUS" || fail "man crmctl does not render"
fi
# bash completion loads and completes a subcommand
CHECKS=$((CHECKS + 1))
out=$(bash -c ". '$SRC/completions/crmctl.bash'; COMP_WORDS=(crmctl mig); COMP_CWORD=1; _crmctl; echo \${COMPREPLY[*]}")
[ "$out" = "migrate" ] || fail "bash completion gave '$out'"
CHECKS=$((CHECKS + 1))
out=$(bash -c ". '$SRC/completions/crmctl.bash'; COMP_WORDS=(crmctl migrate u); COMP_CWORD=2; _crmctl; echo \${COMPREPLY[*]}")
[ "$out" = "up" ] || fail "bash completion of 'migrate u' gave '$out'"
finish
