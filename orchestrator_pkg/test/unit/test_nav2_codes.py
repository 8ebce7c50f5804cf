"""The navigator's own error codes cannot be mistaken for a server's code; Nav2's pick of one."""
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


def test_priority_error_takes_the_lowest_non_zero_code_as_nav2_does():
    board = {'compute_path_error_code': 208, 'follow_path_error_code': 105,
             'spin_error_code': 0}
    assert nav2_codes.priority_error(board, names=nav2_codes.JAZZY_ERROR_CODE_NAMES) == \
        (105, 'follow_path_error_code', '')
    assert nav2_codes.priority_error({'compute_path_error_code': 208},
                                     names=nav2_codes.JAZZY_ERROR_CODE_NAMES) == \
        (208, 'compute_path_error_code', '')


def test_priority_error_with_kilted_prefixes_carries_the_message():
    board = {'compute_path_error_code': 206, 'compute_path_error_msg': 'goal occupied',
             'backup_error_code': 710, 'backup_error_msg': 'collision ahead'}
    assert nav2_codes.priority_error(
        board, prefixes=nav2_codes.KILTED_ERROR_CODE_NAME_PREFIXES) == \
        (206, 'compute_path_error_code', 'goal occupied')
    # a Jazzy list and Kilted prefixes together: one candidate per key
    assert nav2_codes.priority_error(board, names=('backup_error_code',),
                                     prefixes=('backup',))[0] == 710


def test_priority_error_skips_what_is_not_an_error_code():
    board = {'follow_path_error_code': 'oops', 'compute_path_error_code': None,
             'spin_error_code': -3}
    assert nav2_codes.priority_error(
        board, prefixes=nav2_codes.KILTED_ERROR_CODE_NAME_PREFIXES) == (0, '', '')
    assert nav2_codes.priority_error({}, names=('x',), prefixes=('y',)) == (0, '', '')
