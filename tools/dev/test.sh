#!/usr/bin/env bash
# `npm test`: the same bring-up as `npm start` (infrastructure, install, build), then every check in order:
#   lint (Nx project graph + eslint, one test) and typecheck (tsc, one test), unit, integration, end-to-end.
# Every stage runs even when an earlier one failed. The last line is the total over all stages,
#   N passed, N failed
# also written to tmp/test-summary.txt; the exit code is non-zero when anything failed.
# Jest totals come from each run's --json output file: numPassedTests, and as failures numFailedTests plus
# numRuntimeErrorTestSuites (suites that failed to run: syntax error, a throwing hook). A jest run that crashed without
# writing its output file, or exited non-zero with no failure counted, counts as one failure. A stage with no test
# files yet runs with --passWithNoTests.
set -uo pipefail # no -e: a failing stage must not stop the others
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
mkdir -p tmp
rm -f tmp/test-summary.txt

total_passed=0
total_failed=0
summary=()
run_started=$SECONDS

step() { printf '\n==> %s\n' "$*"; }
record() { # STAGE PASSED FAILED NOTE SECONDS_TAKEN
  total_passed=$((total_passed + $2))
  total_failed=$((total_failed + $3))
  summary+=("$(printf '  %-14s %4s passed %4s failed  %5ss  %s' "$1" "$2" "$3" "$5" "$4")")
}
# Setup steps count only when they fail: a broken bring-up must show in the totals even if no test could run.
record_setup() { # STAGE RC SECONDS_TAKEN
  if [ "$2" = 0 ]; then summary+=("$(printf '  %-14s %-24s %5ss' "$1" ok "$3")")
  else record "$1" 0 1 "failed (exit $2)" "$3"; fi
}

# --- bring-up --------------------------------------------------------------------------------------------------------
step "infrastructure (PostgreSQL, NATS with JetStream, Redis; databases clarion, clarion_test; flow exporters)"
t=$SECONDS
bash tools/infra/ensure-services.sh --test-db --with-exporters
record_setup infrastructure $? $((SECONDS - t))

# promtool (Debian package `prometheus`) runs the alert rules' unit tests (deploy/prometheus/alerts.spec.ts). Installed
# like the flow exporters: with apt, on Debian/Ubuntu as root, unless CLARION_INFRA_AUTO_INSTALL=0; elsewhere the spec
# fails and says what to install. Only the binary is wanted: the package would start its Prometheus daemon and enable
# it at boot, so a temporary policy-rc.d (exit 101: "action forbidden", honoured by invoke-rc.d and
# deb-systemd-invoke) keeps it from starting, and the service is disabled afterwards.
install_promtool() {
  command -v promtool >/dev/null 2>&1 && return 0
  if [ "${CLARION_INFRA_AUTO_INSTALL:-1}" = 0 ] || ! command -v apt-get >/dev/null 2>&1 || [ ! -r /etc/debian_version ] ||
    [ "$(id -u)" != 0 ]; then
    echo "promtool is missing and cannot be installed here: install the package 'prometheus' (the alert rule tests need it)" >&2
    return 0
  fi
  local policy=/usr/sbin/policy-rc.d added_policy=0 rc
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# Temporary (clarion tools/dev/test.sh): install promtool without starting services.\nexit 101\n' >"$policy" &&
      chmod 755 "$policy" && added_policy=1
  fi
  echo "apt-get install prometheus (for promtool; its daemon is not started)"
  apt-get update -qq || echo "apt-get update failed; trying the install with the package lists already here" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  rc=$?
  [ "$added_policy" = 1 ] && rm -f "$policy"
  if [ "$rc" = 0 ]; then
    if command -v systemctl >/dev/null 2>&1; then
      [ -d /run/systemd/system ] && systemctl stop prometheus.service >/dev/null 2>&1
      systemctl disable prometheus.service >/dev/null 2>&1
    fi
    update-rc.d prometheus disable >/dev/null 2>&1
  fi
  return "$rc"
}
t=$SECONDS
install_promtool
record_setup promtool $? $((SECONDS - t))

t=$SECONDS
bash tools/dev/install-if-needed.sh
install_rc=$?
record_setup install $install_rc $((SECONDS - t))

finish() {
  step "summary ($((SECONDS - run_started)) s)"
  printf '%s\n' "${summary[@]}"
  local line="$total_passed passed, $total_failed failed"
  printf '%s\n' "$line" >tmp/test-summary.txt
  printf '\n%s\n' "$line"
  [ "$total_failed" = 0 ]
  exit $?
}

if [ "$install_rc" != 0 ]; then
  echo "dependencies could not be installed; no check can run" >&2
  finish
fi

step build
t=$SECONDS
npm run --silent build
build_rc=$?
record_setup build $build_rc $((SECONDS - t))

# --- lint and typecheck ----------------------------------------------------------------------------------------------
step "lint (Nx project graph, eslint)"
t=$SECONDS
# The module-boundaries rule reads the project graph that `nx show projects` computes and caches.
if NX_DAEMON=false npx --no-install nx show projects >/dev/null && npx --no-install eslint . --max-warnings=0; then
  record lint 1 0 "" $((SECONDS - t))
else
  record lint 0 1 "" $((SECONDS - t))
fi

step "typecheck (tsc --noEmit)"
t=$SECONDS
if npx --no-install tsc -p tsconfig.json --noEmit; then
  record typecheck 1 0 "" $((SECONDS - t))
else
  record typecheck 0 1 "" $((SECONDS - t))
fi

# --- jest stages -----------------------------------------------------------------------------------------------------
run_jest() { # STAGE CONFIG
  local stage=$1 config=$2 out="tmp/jest-$1.json" flags=(--ci) files rc counts passed failed note=""
  step "$stage tests ($config)"
  local t=$SECONDS
  files="$(npx --no-install jest -c "$config" --listTests 2>/dev/null | grep -c 'spec\.ts$')"
  if [ "${files:-0}" = 0 ]; then
    flags+=(--passWithNoTests)
    note="no tests yet"
  fi
  rm -f "$out"
  npx --no-install jest -c "$config" "${flags[@]}" --json --outputFile="$out"
  rc=$?
  if [ -s "$out" ] && counts="$(node -e '
      const r = require(require("path").resolve(process.argv[1]));
      console.log(r.numPassedTests, r.numFailedTests + r.numRuntimeErrorTestSuites);
    ' "$out")"; then
    read -r passed failed <<<"$counts"
    if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
      failed=1
      note="jest exited $rc with no failing test (see its output)"
    fi
  else
    passed=0
    failed=1
    note="jest crashed (exit $rc) without writing results"
  fi
  record "$stage" "$passed" "$failed" "$note" $((SECONDS - t))
}

run_jest unit jest.unit.config.js
run_jest integration jest.integration.config.js
if [ "$build_rc" = 0 ]; then
  run_jest e2e jest.e2e.config.js
else
  step "e2e tests: not run, the build failed"
  record e2e 0 1 "not run: the build failed" 0
fi

finish
