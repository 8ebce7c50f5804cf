# Source this file to use the workspace:   source env.sh
# After it, rclpy and the project's interfaces import, and the
# `orchestrator` command is on PATH. Run `make setup` once before.
_orch_here="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)"
if [ ! -f "$_orch_here/install/setup.bash" ]; then
    echo "env.sh: $_orch_here/install is missing; run 'make setup' first" >&2
else
    # shellcheck source=/dev/null
    source "$_orch_here/scripts/underlay.sh" && source "$_orch_here/install/setup.bash"
    # the stack's Fast DDS profile: a killed node leaves the ROS graph within about 1 s
    # (Fast DDS's default lease: 20 s), and discovery and data stay on 127.0.0.1 over
    # UDP, without shared memory; see orchestrator_pkg/config/fastdds.xml and
    # docs/reliability.md
    export FASTRTPS_DEFAULT_PROFILES_FILE="${FASTRTPS_DEFAULT_PROFILES_FILE:-$_orch_here/orchestrator_pkg/config/fastdds.xml}"
    # SYSTEM_DEFAULT leaves that profile as it is (LOCALHOST would add shared memory
    # back); with a profile of your own, LOCALHOST. Set the variable to override.
    if grep -q 'profile_name="orchestrator_participant"' "$FASTRTPS_DEFAULT_PROFILES_FILE" 2>/dev/null; then
        export ROS_AUTOMATIC_DISCOVERY_RANGE="${ROS_AUTOMATIC_DISCOVERY_RANGE:-SYSTEM_DEFAULT}"
    else
        export ROS_AUTOMATIC_DISCOVERY_RANGE="${ROS_AUTOMATIC_DISCOVERY_RANGE:-LOCALHOST}"
    fi
fi
unset _orch_here
