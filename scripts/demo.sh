#!/usr/bin/env bash
# The main job. Until the sim and the orchestrator land, this shows the
# environment only; it does not pretend to run a mission.
set -Eeo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=/dev/null
source "$ROOT/env.sh"
orchestrator info
echo
echo "demo: the embedded-sim mission is not built yet (see the open issues); nothing else to run."
