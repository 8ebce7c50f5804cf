"""follow_waypoints bookkeeping (planning.waypoints): order, loops, missed, stop_on_failure."""
import pytest

from orchestrator_pkg.planning.waypoints import Missed, WaypointRun


def _visit(run, fails=()):
    """Drive ``run`` to its end; return the indices visited (fails: {index: code})."""
    fails = dict(fails)
    seen = []
    while not run.done:
        seen.append(run.index)
        if run.index in fails:
            run.failed(fails[run.index])
        else:
            run.reached()
        assert len(seen) < 100
    return seen


def test_waypoints_are_visited_in_order_from_goal_index():
    run = WaypointRun(3)
    assert _visit(run) == [0, 1, 2] and run.missed == [] and not run.stopped
    assert _visit(WaypointRun(4, goal_index=2)) == [2, 3]


def test_number_of_loops_goes_round_again_from_the_first_waypoint():
    assert _visit(WaypointRun(2, number_of_loops=2)) == [0, 1, 0, 1, 0, 1]
    assert _visit(WaypointRun(3, goal_index=1, number_of_loops=1)) == [1, 2, 0, 1, 2]


def test_stop_on_failure_stops_at_the_missed_waypoint():
    run = WaypointRun(3, stop_on_failure=True)
    assert _visit(run, {1: 204}) == [0, 1]
    assert run.stopped and run.missed == [Missed(1, 204)]


def test_without_stop_on_failure_the_missed_ones_are_listed_and_the_rest_visited():
    run = WaypointRun(3, number_of_loops=1, stop_on_failure=False)
    assert _visit(run, {1: 204, 2: 105}) == [0, 1, 2, 0, 1, 2]
    assert not run.stopped
    assert run.missed == [Missed(1, 204), Missed(2, 105), Missed(1, 204), Missed(2, 105)]


@pytest.mark.parametrize('count,goal_index', [(0, 0), (2, 2), (2, -1)])
def test_a_run_needs_waypoints_and_a_goal_index_among_them(count, goal_index):
    with pytest.raises(ValueError):
        WaypointRun(count, goal_index)
