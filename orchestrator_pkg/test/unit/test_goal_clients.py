"""ros_edge.graph.goal_clients: which clients a goal has, and when they have all left."""
from orchestrator_pkg.ros_edge.graph import goal_clients

OLD, NAV, OTHER = b'old-client', b'nav-client', b'other-client'


def test_the_first_look_takes_the_clients_there():
    assert goal_clients(set(), {OLD}) == {OLD}
    assert goal_clients(set(), set()) == set()  # none discovered yet: look again


def test_the_goal_is_orphaned_when_none_of_its_clients_is_left():
    assert goal_clients({NAV}, set()) is None
    assert goal_clients({NAV}, {OTHER}) is None  # a client that came after it left


def test_a_client_discovered_late_keeps_the_goal_when_an_older_one_leaves():
    # the server's first look held only an older client of the action; the goal's
    # own client reached the server's graph a look later; then the older one retired
    known = goal_clients(set(), {OLD})
    known = goal_clients(known, {OLD, NAV})
    assert known == {OLD, NAV}
    assert goal_clients(known, {NAV}) == {OLD, NAV}
    # and when the goal's client dies too, the goal is orphaned
    assert goal_clients(known, set()) is None
