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
