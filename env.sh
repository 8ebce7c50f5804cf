# Source this file to use the workspace:   source env.sh
# After it, rclpy and the project's interfaces import, and the
# `orchestrator` command is on PATH. Run `make setup` once before.
_orch_here="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)"
if [ ! -f "$_orch_here/install/setup.bash" ]; then
    echo "env.sh: $_orch_here/install is missing; run 'make setup' first" >&2
else
    # shellcheck source=/dev/null
    source "$_orch_here/scripts/underlay.sh" && source "$_orch_here/install/setup.bash"
    export ROS_AUTOMATIC_DISCOVERY_RANGE="${ROS_AUTOMATIC_DISCOVERY_RANGE:-LOCALHOST}"
    # a killed node leaves the ROS graph within about 1 s (Fast DDS's default lease:
    # 20 s); see orchestrator_pkg/config/fastdds.xml and docs/reliability.md
    export FASTRTPS_DEFAULT_PROFILES_FILE="${FASTRTPS_DEFAULT_PROFILES_FILE:-$_orch_here/orchestrator_pkg/config/fastdds.xml}"
fi
unset _orch_here
