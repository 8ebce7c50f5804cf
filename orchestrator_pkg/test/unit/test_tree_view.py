"""The terminal rendering of a tree snapshot."""
from orchestrator_interfaces.msg import BehaviourStatus, BehaviourTreeSnapshot
from orchestrator_pkg.commands.tree import render


def test_render_indents_by_parent_and_shows_statuses():
    snapshot = BehaviourTreeSnapshot(mission='m', tree_id='T', tick=7, visited=[0, 1])
    snapshot.behaviours = [
        BehaviourStatus(id=0, parent_id=-1, name='Seq', type='Sequence', status=1),
        BehaviourStatus(id=1, parent_id=0, name='Go', type='FollowPath', status=1,
                        feedback_message='waiting for result'),
        BehaviourStatus(id=2, parent_id=0, name='Done', type='AlwaysSuccess', status=0),
    ]
    lines = render(snapshot).splitlines()
    assert lines[0] == 'm / T  tick 7'
    assert lines[1] == '* Seq (Sequence) [RUNNING]'
    assert lines[2] == '  * Go (FollowPath) [RUNNING] - waiting for result'
    assert lines[3] == '  - Done (AlwaysSuccess) [IDLE] ~'
    assert '\033[' in render(snapshot, color=True)


def test_a_failure_shows_its_reason_and_a_tall_tree_folds_what_the_tick_did_not_reach():
    snapshot = BehaviourTreeSnapshot(mission='m', tree_id='T', tick=9, visited=[0, 1, 2])
    snapshot.behaviours = [
        BehaviourStatus(id=0, parent_id=-1, name='Seq', type='Sequence', status=3),
        BehaviourStatus(id=1, parent_id=0, name='Plan', type='ComputePathToPose', status=3,
                        feedback_message='no valid path found (error 203)'),
        BehaviourStatus(id=2, parent_id=1, name='Inner', type='Inner', status=0),
        *[BehaviourStatus(id=i, parent_id=0, name=f'Later{i}', type='Wait', status=0)
          for i in range(3, 40)],
    ]
    full = render(snapshot).splitlines()
    assert len(full) == 41
    assert full[2] == '  x Plan (ComputePathToPose) [FAILURE] - no valid path found (error 203)'
    folded = render(snapshot, max_lines=20).splitlines()
    # the reached rows (one of them idle, but ticked) stay, at their depth; the rest is counted
    assert folded[1:4] == ['x Seq (Sequence) [FAILURE]', full[2], '    - Inner [IDLE]']
    assert folded[4] == '(37 idle behaviours not reached by the last tick not shown)'
    assert len(folded) == 5
    assert render(snapshot, max_lines=50) == '\n'.join(full)  # it fits: nothing folded
