# Sourced by setup.sh, env.sh and the Makefile: the environment that the
# workspace builds and runs on (its "underlay").
#   no ROS 2 sourced : the .venv that holds the ROS 2 Jazzy wheels
#   ROS_DISTRO set   : the sourced distro, plus the .venv for Python deps
_orch_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_orch_venv="$_orch_root/.venv"
if [ ! -x "$_orch_venv/bin/python" ]; then
    echo "orchestrator: $_orch_venv is missing; run 'make setup' first" >&2
    return 1
fi
VIRTUAL_ENV_DISABLE_PROMPT="${VIRTUAL_ENV_DISABLE_PROMPT:-}"
# shellcheck source=/dev/null
source "$_orch_venv/bin/activate"
if [ -z "${ROS_DISTRO:-}" ] || [ "$(cat "$_orch_venv/.orchestrator-mode" 2>/dev/null)" = "wheels-jazzy" ]; then
    case ":${AMENT_PREFIX_PATH:-}:" in *":$_orch_venv:"*) ;; *)
        export AMENT_PREFIX_PATH="$_orch_venv${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}";; esac
    case ":${CMAKE_PREFIX_PATH:-}:" in *":$_orch_venv:"*) ;; *)
        export CMAKE_PREFIX_PATH="$_orch_venv${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}";; esac
    export ROS_DISTRO_WHEELS=jazzy
fi
export RMW_IMPLEMENTATION="${RMW_IMPLEMENTATION:-rmw_fastrtps_cpp}"
unset _orch_venv
