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
