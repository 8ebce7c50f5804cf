"""Navigator error codes that Jazzy's nav2_msgs has no constant for.

On Jazzy (nav2_msgs 1.3.x, navigation2 branch ``jazzy``) the results of
``NavigateToPose`` and ``NavigateThroughPoses`` define only ``NONE = 0``; the
navigator reports the failing server's code. Kilted (nav2_msgs 1.4.x, branch
``kilted``) added codes of the navigator's own, one range per action:
``NavigateToPose`` 9000-9003 and ``NavigateThroughPoses`` 9100-9103 (the same
values are on ``main``). Our navigator reports these when no server code
applies (a tree that does not load, a preempted goal, a failure without a
code). It takes them from here, not from the result classes, so it runs the
same against our compat nav2_msgs (Jazzy's constants only) and against a real
Jazzy or Kilted install.

Pure: no ROS imports.
"""
from typing import NamedTuple


class NavigatorCodes(NamedTuple):
    """The error codes of one navigator action, named as Kilted's constants."""

    NONE: int
    UNKNOWN: int
    FAILED_TO_LOAD_BEHAVIOR_TREE: int
    TF_ERROR: int
    TIMEOUT: int


# navigation2 branch kilted, nav2_msgs/action/NavigateToPose.action
NAVIGATE_TO_POSE = NavigatorCodes(NONE=0, UNKNOWN=9000, FAILED_TO_LOAD_BEHAVIOR_TREE=9001,
                                  TF_ERROR=9002, TIMEOUT=9003)
# navigation2 branch kilted, nav2_msgs/action/NavigateThroughPoses.action
NAVIGATE_THROUGH_POSES = NavigatorCodes(NONE=0, UNKNOWN=9100, FAILED_TO_LOAD_BEHAVIOR_TREE=9101,
                                        TF_ERROR=9102, TIMEOUT=9103)

# by the Nav2 action name the navigator serves
BY_ACTION = {
    'navigate_to_pose': NAVIGATE_TO_POSE,
    'navigate_through_poses': NAVIGATE_THROUGH_POSES,
}

# The Nav2 error code of a goal that the edge refuses (orchestrator_pkg.ros_edge.goals),
# by action and problem kind; 'unknown' is also the code of a server's own exception.
# Values from nav2_msgs' .action files (Jazzy; the navigators' from Kilted, above).
BAD_GOAL = {
    # ComputePathToPose: UNKNOWN 200, TF_ERROR 202, START_OUTSIDE_MAP 203,
    # GOAL_OUTSIDE_MAP 204 (GOAL_OCCUPIED 206 comes from the planner's costmap)
    'compute_path_to_pose': {'frame': 202, 'position': 204, 'start_position': 203,
                             'orientation': 200, 'number': 200, 'unknown': 200},
    # ComputePathThroughPoses: the same + 100, and NO_VIAPOINTS_GIVEN 309 (no goals)
    'compute_path_through_poses': {'frame': 302, 'position': 304, 'start_position': 303,
                                   'orientation': 300, 'number': 300, 'unknown': 300,
                                   'empty': 309},
    # FollowPath: UNKNOWN 100, INVALID_PATH 103
    'follow_path': {'frame': 103, 'position': 103, 'orientation': 103, 'number': 103,
                    'unknown': 100},
    # Spin: UNKNOWN 700 (Jazzy's Spin has no INVALID_INPUT)
    'spin': {'number': 700, 'unknown': 700},
    # BackUp: UNKNOWN 710, INVALID_INPUT 713
    'backup': {'number': 713, 'unknown': 710},
    # DriveOnHeading: UNKNOWN 720, INVALID_INPUT 724
    'drive_on_heading': {'number': 724, 'unknown': 720},
    # FollowWaypoints: UNKNOWN 600 (Jazzy has no code for a bad goal)
    'follow_waypoints': {'frame': 600, 'position': 600, 'orientation': 600, 'number': 600,
                         'unknown': 600},
    # Wait: Jazzy's Wait result has error_code but no constants
    'wait': {'unknown': 0},
    'navigate_to_pose': {'frame': NAVIGATE_TO_POSE.TF_ERROR, 'unknown': NAVIGATE_TO_POSE.UNKNOWN},
    'navigate_through_poses': {'frame': NAVIGATE_THROUGH_POSES.TF_ERROR,
                               'unknown': NAVIGATE_THROUGH_POSES.UNKNOWN},
}


# bt_navigator's error_code_name_prefixes default on Kilted: each prefix names the
# blackboard keys <prefix>_error_code and <prefix>_error_msg
KILTED_ERROR_CODE_NAME_PREFIXES = (
    'assisted_teleop', 'backup', 'compute_path', 'dock_robot', 'drive_on_heading',
    'follow_path', 'nav_thru_poses', 'nav_to_pose', 'route', 'spin', 'undock_robot', 'wait')
# Jazzy's error_code_names default: whole blackboard keys, no messages
JAZZY_ERROR_CODE_NAMES = ('compute_path_error_code', 'follow_path_error_code')


def priority_error(blackboard, names=(), prefixes=()) -> tuple:
    """Return ``(code, key, message)``: the navigation result's error, as Nav2 picks it.

    Nav2's rule (Jazzy's ``error_code_names``, Kilted's ``error_code_name_prefixes``):
    the **lowest** non-zero code among the keys wins, since a lower code is the
    more specific one (a controller's 1xx before a planner's 2xx). ``names`` are
    whole keys (Jazzy); each of ``prefixes`` gives ``<prefix>_error_code`` (Kilted).
    The message is the winner's ``<prefix>_error_msg`` where the tree wrote one.
    ``blackboard`` is anything with ``get(key, default)``; a value that is not an
    integer is skipped. ``(0, '', '')`` when no key holds an error.
    """
    keys = dict.fromkeys([*names, *(f'{p}_error_code' for p in prefixes)])
    best, best_key = 0, ''
    for key in keys:
        try:
            code = int(blackboard.get(key, 0) or 0)
        except (TypeError, ValueError):
            continue
        if code > 0 and (not best or code < best):
            best, best_key = code, key
    message = ''
    if best_key.endswith('_error_code'):
        message = str(blackboard.get(best_key[:-len('_error_code')] + '_error_msg', '') or '')
    return best, best_key, message
