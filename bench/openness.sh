#!/usr/bin/env bash
# Openness benchmark (issue 5): reports per second on a generated corpus of repositories, and
# the wall time to regrade a hub of 100,000 repositories after a rule change.
#
#   bench/openness.sh                     # 100,000 repositories, 20,000-repository sample
#   bench/openness.sh --repos 10000       # smaller hub; any flag of the example is passed on
#
# Runs crates/openness/examples/openness_bench.rs in release mode. The figures are absolute
# (reports/s, seconds): there is no peer tool that grades repositories from their files and
# card, so there is no ratio to print. The Model Openness Tool (lfai/model_openness_tool)
# computes only the MOF class, from components a person declares in a form, inside a Drupal
# application (PHP, entity storage); it has no library or command line to run beside this one.
# See BENCHMARKS.md, section "Openness".
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc)
load=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load" 'BEGIN { exit !(l > 1) }'; then
  jobs=1 # the machine is shared; build gently
fi

echo "== machine"
date
uname -srm
grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'
echo "$(nproc) logical CPUs, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
rustc --version
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== build (release, -j$jobs)"
cargo build --release -j"$jobs" -p agora-openness --example openness_bench 2>&1 | tail -n 1

echo "== run"
cmd=(target/release/examples/openness_bench --json "$@")
echo "command: ${cmd[*]}"
"${cmd[@]}"

echo
echo "No ratio is printed: no peer tool grades repositories (OSAID, MOF class, freedoms) from"
echo "their files and cards. The Model Openness Tool's MOF class computation is PHP inside a"
echo "Drupal site and takes declared components, not repositories (see BENCHMARKS.md)."
