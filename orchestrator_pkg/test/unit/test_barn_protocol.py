"""The BARN protocol's arithmetic: cell mapping, path length, metric, outcome, indices."""
import math
import os

import numpy as np
import pytest

from orchestrator_pkg.benchmark import barn
from orchestrator_pkg.commands.barn import default_barn_dir

BARN_DIR = default_barn_dir()


def test_cells_map_to_world_as_the_readme_says():
    xy = barn.cell_to_world([[0, 0], [15, 30]])
    assert xy[0] == pytest.approx([-4.575, 5.075])
    assert xy[1] == pytest.approx([15 * 0.15 - 0.075 - 4.5, 30 * 0.15 + 0.075 + 5])


def test_path_length_sums_start_cells_goal_segment_by_segment():
    # one cell straight ahead of the start column: x = 15*0.15-4.575 = -2.325
    cells = [[15, 0], [15, 10]]
    p0 = (15 * 0.15 - 4.575, 5.075)
    p1 = (15 * 0.15 - 4.575, 10 * 0.15 + 5.075)
    expected = (math.hypot(p0[0] + 2.25, p0[1] - 3.0) + (p1[1] - p0[1])
                + math.hypot(p1[0] + 2.25, p1[1] - 13.0))
    assert barn.path_length(cells) == pytest.approx(expected)
    # no detour can be shorter than the 10 m straight line
    assert barn.path_length(cells) > 10.0
    assert barn.optimal_time(barn.path_length(cells)) == pytest.approx(expected / 2.0)


def test_metric_is_clipped_between_two_and_eight_optimal_times():
    opt = 6.0
    assert barn.metric(True, 5.0, opt) == pytest.approx(0.5)       # faster than 2x: capped
    assert barn.metric(True, 12.0, opt) == pytest.approx(0.5)
    assert barn.metric(True, 24.0, opt) == pytest.approx(0.25)
    assert barn.metric(True, 90.0, opt) == pytest.approx(0.125)    # slower than 8x: floor
    assert barn.metric(False, 12.0, opt) == 0.0


def test_the_2022_scale_clips_at_four_optimal_times_and_is_the_metric_capped_at_025():
    opt = 6.0
    assert barn.metric(True, 12.0, opt, scale_max=0.25) == pytest.approx(0.25)
    assert barn.metric(True, 18.0, opt, scale_max=0.25) == pytest.approx(0.25)  # 3x: capped
    assert barn.metric(True, 36.0, opt, scale_max=0.25) == pytest.approx(1 / 6)
    for t in (3.0, 12.0, 18.0, 24.0, 30.0, 47.0, 90.0):  # min(metric, 0.25), whatever the time
        assert barn.metric(True, t, opt, 0.25) == pytest.approx(min(barn.metric(True, t, opt),
                                                                     0.25))
    with pytest.raises(barn.BarnError, match='on 0.5 or 0.25'):
        barn.metric(True, 12.0, opt, scale_max=1.0)
    # the DWA line of the challenge's README is on this scale, and says so
    assert barn.DWA_BASELINE['scale_max'] == 0.25 and 'metric' not in barn.DWA_BASELINE
    assert barn.TEST_WORLDS[:3] == (0, 6, 12) and len(barn.TEST_WORLDS) == 50
    assert barn.TEST_WORLDS[-1] == 294


def test_classification():
    assert barn.classify(5.0, False, 10.0) is None
    assert barn.classify(0.99, False, 10.0) == 'succeeded'
    assert barn.classify(1.01, False, 10.0) is None
    assert barn.classify(0.5, True, 10.0) == 'collided'       # a collision is never success
    assert barn.classify(3.0, False, 100.0) == 'timeout'
    assert barn.classify(0.5, False, 100.5) == 'timeout'      # too late
    assert barn.classify(3.0, False, 30.0, time_limit_s=20.0) == 'timeout'


def test_summary_means():
    runs = [barn.RunResult(0, 0, 'succeeded', 12.0, 6.0, 0.5),
            barn.RunResult(2, 0, 'collided', 4.0, 6.0, 0.0),
            barn.RunResult(4, 0, 'timeout', 100.0, 6.0, 0.0),
            barn.RunResult(6, 0, 'succeeded', 24.0, 6.0, 0.25)]
    means = barn.summarize(runs)
    assert means['runs'] == 4 and means['worlds'] == 4
    assert means['success'] == 0.5 and means['collision'] == 0.25
    assert means['timeout'] == 0.25 and means['error'] == 0.0
    assert means['metric'] == pytest.approx(0.1875)
    assert means['metric_025'] == pytest.approx((0.25 + 0.25) / 4)
    assert means['mean_time_s_succeeded'] == pytest.approx(18.0)
    assert barn.summarize([]) == {'runs': 0}


def test_tree_counts_key_ends_of_followpath_and_recoveries_by_name():
    assert barn.tree_count_key('FollowPath', 'FollowPath', 'failed') == 'FollowPath failed'
    assert barn.tree_count_key('BackUp', 'BackUp', 'succeeded') == 'BackUp succeeded'
    assert barn.tree_count_key('ClearEntireCostmap', 'ClearLocalCostmap-Context',
                               'succeeded') == 'ClearLocalCostmap-Context succeeded'
    assert barn.tree_count_key('Spin', 'Spin', None) is None          # started or halted
    assert barn.tree_count_key('Sequence', 'ClearingActions', 'succeeded') is None
    run = barn.RunResult(0, 0, 'succeeded', 12.0, 6.0, 0.5,
                         tree_counts={'FollowPath failed': 2})
    row = run.as_dict()
    assert row['tree_counts'] == {'FollowPath failed': 2}
    # a row read back (campaign result files, the recoveries bench) is the same run
    assert barn.RunResult.from_dict({**row, 'unknown': 1}) == run


def test_world_indices_and_selection(tmp_path):
    for i in (0, 2, 4, 10, 298):
        (tmp_path / f'world_{i}.world').write_text('<sdf/>')
    (tmp_path / 'notes.txt').write_text('')
    found = barn.world_indices(str(tmp_path))
    assert found == [0, 2, 4, 10, 298]
    assert barn.parse_indices('all', found) == found
    assert barn.parse_indices('4,0,2-5', found) == [4, 0, 2]
    with pytest.raises(barn.BarnError, match='world_6.world'):
        barn.parse_indices('6', found)
    with pytest.raises(barn.BarnError, match="'x'"):
        barn.parse_indices('x', found)
    with pytest.raises(barn.BarnError, match='no such folder'):
        barn.world_indices(str(tmp_path / 'missing'))
    assert barn.spread_sample(found, 3) == [0, 4, 298]
    assert barn.spread_sample(found, 9) == found


def test_path_file_errors_name_the_file(tmp_path):
    good = tmp_path / 'path_0.npy'
    np.save(good, np.array([[1, 2], [3, 4]]))
    assert barn.load_path(str(good)).shape == (2, 2)
    bad = tmp_path / 'path_1.npy'
    np.save(bad, np.array([1, 2, 3]))
    with pytest.raises(barn.BarnError, match='path_1.npy'):
        barn.load_path(str(bad))
    with pytest.raises(barn.BarnError, match='path_9.npy'):
        barn.load_path(str(tmp_path / 'path_9.npy'))


@pytest.mark.skipif(not os.path.isdir(os.path.join(BARN_DIR, 'worlds')),
                    reason=f'the shared BARN data is not present at {BARN_DIR}')
def test_shared_reference_paths_are_at_least_the_straight_line():
    root = BARN_DIR
    indices = barn.world_indices(os.path.join(root, 'worlds'))
    assert len(indices) == 150
    for i in indices:
        length = barn.path_length(barn.load_path(os.path.join(root, 'path_files',
                                                              f'path_{i}.npy')))
        assert 10.0 <= length < 20.0, (i, length)
