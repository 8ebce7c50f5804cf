"""The progress display: mission steps from the tree's shape, throttled lines, feedback text."""
from types import SimpleNamespace

from orchestrator_pkg.behaviours.ros.feedback_text import describe_feedback
from orchestrator_pkg.bringup.progress import ProgressDisplay, mission_steps, step_of

# Deliver's shape: root -> Sequence -> 3 steps, one a subtree with two leaves
ROWS = [(0, -1, 'D'), (1, 0, 'D/S'), (2, 1, 'D/S/GoTo'), (3, 2, 'D/S/GoTo/Seq'),
        (4, 3, 'D/S/GoTo/Seq/Look'), (5, 3, 'D/S/GoTo/Seq/Navigate'), (6, 1, 'D/S/Pick'),
        (7, 1, 'D/S/Home')]


def test_steps_are_the_children_of_the_first_branching_node():
    steps = mission_steps(ROWS)
    assert steps == ['D/S/GoTo', 'D/S/Pick', 'D/S/Home']
    assert step_of(steps, 'D/S/GoTo/Seq/Navigate') == 1
    assert step_of(steps, 'D/S/Pick') == 2
    assert step_of(steps, 'D/S/PickUp') == 0  # a prefix of the name is not the step
    assert mission_steps([(0, -1, 'A')]) == ['A']
    assert mission_steps([]) == []


def test_a_reactive_guard_over_the_steps_is_looked_through():
    # fetch_and_deliver: ReactiveSequence[StayLocalized, SequenceWithMemory(steps)]
    rows = [(0, -1, 'M', 'SubTree'), (1, 0, 'M/Guarded', 'ReactiveSequence'),
            (2, 1, 'M/Guarded/StayLocalized', 'SubTree'),
            (3, 2, 'M/Guarded/StayLocalized/Check', 'IsLocalized'),
            (4, 2, 'M/Guarded/StayLocalized/Relocalize', 'SubTree'),
            (5, 1, 'M/Guarded/Steps', 'SequenceWithMemory'),
            (6, 5, 'M/Guarded/Steps/GoTo', 'NavigateToPose'),
            (7, 5, 'M/Guarded/Steps/Pick', 'Gripper')]
    steps = mission_steps(rows)
    assert steps == ['M/Guarded/Steps/GoTo', 'M/Guarded/Steps/Pick']
    assert step_of(steps, 'M/Guarded/StayLocalized/Relocalize') == 0  # not a step
    # a plain Sequence is not a guard: its children are the steps
    plain = [(0, -1, 'M', 'Sequence'), (1, 0, 'M/A', 'X'), (2, 0, 'M/B', 'Y')]
    assert mission_steps(plain) == ['M/A', 'M/B']


def test_the_battery_guard_is_looked_through_and_recharging_is_not_a_step():
    # the orchestrator wraps every mission: BatteryGuard -> [mission root, recharge root]
    rows = [(0, -1, 'BatteryGuard', 'BatteryGuard')]
    rows += [(i + 1, 0 if p == -1 else p + 1, path, 'X') for i, p, path in ROWS]
    rows += [(20, 0, 'Recharge', 'Sequence'), (21, 20, 'Recharge/GoToDock', 'NavigateToPose'),
             (22, 20, 'Recharge/Charge', 'WaitUntilCharged')]
    steps = mission_steps(rows)
    assert steps == ['D/S/GoTo', 'D/S/Pick', 'D/S/Home']
    clock = Clock()
    display = ProgressDisplay(clock=clock)
    display.set_steps(steps)
    line = display.update('Recharge/Charge', 'charging: 45% of 80%', 0.5, 40.0)
    assert line.startswith('[mission] step -/3') and 'Charge - charging: 45% of 80%' in line
    # deep inside a step only the last two levels are shown
    clock.t = 1.0
    line = display.update('D/S/GoTo/Search/Look1/GoAndLook/Nav', 'running: 2.00 m to go', 0.5, 41)
    assert line.startswith('[mission] step 1/3 GoTo') and ' .../GoAndLook/Nav - running' in line


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_at_most_one_line_a_second_and_progress_throttled():
    clock = Clock()
    display = ProgressDisplay('mission', min_interval_s=2.0, clock=clock)
    display.set_steps(mission_steps(ROWS))
    line = display.update('D/S/GoTo/Seq/Navigate', 'running: 5.00 m to go', 0.25, 3.0)
    assert line.startswith('[mission] step 1/3 GoTo')
    assert 'Seq/Navigate - running: 5.00 m to go' in line and ' 25%' in line
    clock.t = 1.0  # progress only, too soon
    assert display.update('D/S/GoTo/Seq/Navigate', 'running: 4.00 m to go', 0.25, 4.0) is None
    clock.t = 2.5  # progress only, due
    assert '4.50 m to go' in display.update('D/S/GoTo/Seq/Navigate', 'running: 4.50 m to go',
                                            0.25, 5.0)
    clock.t = 2.6  # same text again: nothing new
    assert display.update('D/S/GoTo/Seq/Navigate', 'running: 4.50 m to go', 0.25, 5.1) is None
    clock.t = 2.7  # a new step, but a line was shown 0.2 s ago: it waits
    assert display.update('D/S/Pick', 'goal sent', 0.5, 5.2) is None
    clock.t = 3.6  # ... a second after the last line at most
    assert display.update('D/S/Pick', 'gripping', 0.5, 5.9).startswith(
        '[mission] step 2/3 Pick')
    lines, t = 0, 3.6  # twenty feedbacks a second, the node flipping: one line a second at most
    for i in range(200):
        t += 0.05
        clock.t = t
        path = 'D/S/Home' if i % 2 else 'D/S/GoTo/Seq/Look'
        lines += display.update(path, f'text {i}', 0.6, 10 + i * 0.05) is not None
    assert lines <= 11


def test_the_distance_to_go_is_on_the_line_while_the_robot_follows_a_path():
    clock = Clock()
    display = ProgressDisplay(clock=clock, min_interval_s=1.0)
    display.set_steps(mission_steps(ROWS))
    # the running node says it itself: not twice
    line = display.update('D/S/GoTo/Seq/Navigate', 'running: 4.21 m to go', 0.2, 1.0, 4.3)
    assert line.endswith('Seq/Navigate - running: 4.21 m to go')
    clock.t = 1.5  # Nav2 replans: the planner's node runs and says no distance
    line = display.update('D/S/GoTo/Seq/Look', 'goal sent, waiting for acceptance', 0.2, 1.5,
                          4.02)
    assert line.endswith('Seq/Look - goal sent, waiting for acceptance | 4.02 m to go')
    clock.t = 3.0  # no path followed: no distance
    line = display.update('D/S/Pick', 'goal sent', 0.4, 3.0, None)
    assert 'm to go' not in line
    clock.t = 4.5
    assert display.update('D/S/Home', '', 0.9, 4.5, 1.5).endswith('Home - 1.50 m to go')


def test_without_the_tree_shape_the_step_is_unknown():
    line = ProgressDisplay(clock=Clock()).update('D/S/Pick', 'goal sent', 0.0, 1.0)
    assert 'step ?' in line and 'Pick - goal sent' in line


def test_the_first_lines_wait_a_little_for_the_tree_shape():
    display = ProgressDisplay(clock=Clock(), wait_for_steps=2)
    assert display.update('D/S/Pick', 'goal sent', 0.0, 1.0) is None
    display.set_steps(mission_steps(ROWS))
    assert 'step 2/3 Pick' in display.update('D/S/Pick', 'goal sent', 0.0, 1.1)
    late = ProgressDisplay(clock=Clock(), wait_for_steps=2)  # no shape comes: then without
    assert [late.update('D/S/Pick', 'goal sent', 0.0, t) is None for t in (1, 2)] == [True] * 2
    assert 'step ?' in late.update('D/S/Pick', 'goal sent', 0.0, 3.0)


def test_feedback_text_of_nav2_style_feedback():
    nav = SimpleNamespace(distance_remaining=4.214,
                          estimated_time_remaining=SimpleNamespace(sec=12, nanosec=0),
                          number_of_recoveries=0, navigation_time=SimpleNamespace(sec=3))
    assert describe_feedback(nav) == '4.21 m to go, ETA 12 s'
    nav.number_of_recoveries, nav.estimated_time_remaining.sec = 2, 0
    assert describe_feedback(nav) == '4.21 m to go, recoveries 2'
    assert describe_feedback(SimpleNamespace(distance_to_goal=1.0, speed=0.25)) == \
        '1.00 m to go, speed 0.25 m/s'
    assert describe_feedback(SimpleNamespace(angular_distance_traveled=1.5)) == 'turned 1.50 rad'
    assert describe_feedback(SimpleNamespace(opening=0.04)) == 'opening 0.04 m'
    assert describe_feedback(SimpleNamespace(other=1)) == ''
