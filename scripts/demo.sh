#!/usr/bin/env bash
# The main job: a robot carries out a delivery in the embedded MuJoCo warehouse.
#
# Starts every node of config/bringup.yaml (sim, base_driver, planner,
# controller and behavior servers, the navigator running Nav2's own tree, the
# orchestrator) as its own process, runs missions/fetch_and_deliver.xml, prints
# progress and a summary, and records the run in runs/<stamp>/: summary.json,
# mission.jsonl, run.mcap and trajectory.png. Extra arguments go to
# `orchestrator run`, e.g.  bash scripts/demo.sh --rtf 2
set -Eeo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=/dev/null
source "$ROOT/env.sh"
# a domain of the run's own, so nothing else on the machine talks to this robot
exec python -m orchestrator_pkg.testing.ros_domain -- bash -c '
    stamp="$(date -u +%Y%m%dT%H%M%SZ)"
    echo "demo: fetch_and_deliver mission in the warehouse; run folder runs/$stamp"
    orchestrator run --world warehouse --mission fetch_and_deliver --run-dir "runs/$stamp" "$@"
' demo "$@"
