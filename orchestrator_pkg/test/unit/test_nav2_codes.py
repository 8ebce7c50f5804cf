"""The navigator's own error codes cannot be mistaken for a server's code."""
import json
import os

from orchestrator_pkg import nav2_codes

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, '..', 'data', 'jazzy_interfaces.json'), encoding='utf-8') as _f:
    JAZZY = json.load(_f)['interfaces']


def test_jazzy_defines_none_of_them():
    # every error-code constant that a Jazzy result defines, by value
    jazzy_values = {value for facts in JAZZY.values()
                    for part, layout in facts['layouts'].items() if part == 'Result'
                    for value in layout['constants'].values()}
    assert 208 in jazzy_values  # the scan saw the results (ComputePathToPose NO_VALID_PATH)
    for codes in nav2_codes.BY_ACTION.values():
        assert codes.NONE == 0
        own = set(codes) - {0}
        assert len(own) == 4
        assert not own & jazzy_values


def test_each_action_has_its_own_range():
    to_pose = set(nav2_codes.NAVIGATE_TO_POSE) - {0}
    through = set(nav2_codes.NAVIGATE_THROUGH_POSES) - {0}
    assert not to_pose & through
    assert set(nav2_codes.BY_ACTION) == {'navigate_to_pose', 'navigate_through_poses'}
