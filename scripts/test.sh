#!/usr/bin/env bash
# colcon test + colcon test-result for the workspace, in a ROS domain of the
# run's own with localhost-only discovery. Exits non-zero on any failure.
# Run through `make test`, which runs setup (and so colcon build) first.
set -Eo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=/dev/null
source "$ROOT/env.sh"  # the underlay, the workspace, and the DDS settings the stack runs with

rm -rf "$ROOT/build"/*/pytest.xml "$ROOT/build"/*/test_results
python -m orchestrator_pkg.testing.ros_domain -- \
    colcon --log-base "$ROOT/log" test \
        --base-paths orchestrator_interfaces orchestrator_pkg orchestrator_sim compat \
        --build-base "$ROOT/build" --install-base "$ROOT/install" \
        --event-handlers console_cohesion+ summary+ desktop_notification- \
        --return-code-on-test-failure \
        "$@"
test_rc=$?

summary="$(colcon test-result --test-result-base "$ROOT/build" --verbose)"
result_rc=$?
echo "$summary"
# "Summary: 40 tests, 0 errors, 1 failure, 2 skipped"
read -r total errors failures skipped < <(echo "$summary" | sed -n \
    's/^Summary: \([0-9]*\) tests\?, \([0-9]*\) errors\?, \([0-9]*\) failures\?, \([0-9]*\) skipped.*/\1 \2 \3 \4/p' | tail -1)
total=${total:-0}; errors=${errors:-0}; failures=${failures:-0}; skipped=${skipped:-0}
failed=$((errors + failures))
echo "tests: $((total - failed - skipped)) passed, $failed failed, $skipped skipped"
if [ "$test_rc" -ne 0 ] || [ "$result_rc" -ne 0 ] || [ "$total" -eq 0 ]; then
    [ "$total" -eq 0 ] && echo "test: no test ran" >&2
    echo "test: FAILED (colcon test exit $test_rc, colcon test-result exit $result_rc)" >&2
    exit 1
fi
