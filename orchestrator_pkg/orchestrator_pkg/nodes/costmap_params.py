"""Costmap parameters shared by the planner, controller and behavior servers."""
from orchestrator_pkg.planning.costmap import (
    Costmap2D,
    InflationParams,
    LayeredCostmap,
    footprint_radii,
    rectangle_footprint,
)
from orchestrator_pkg.ros_edge.params import Spec


def costmap_specs(rolling: bool) -> dict:
    """Parameter specs of one costmap (global: fixed window; local: rolling window)."""
    specs = {
        'global_frame': Spec('odom', 'frame of the costmap, the paths and the robot pose '
                             '(odom when there is no localization)', read_only=True),
        'resolution_m': Spec(0.05, 'costmap cell size', 0.01, 1.0, read_only=True),
        'width_m': Spec(6.0 if rolling else 40.0, 'costmap width (x)', 1.0, 500.0,
                        read_only=True),
        'height_m': Spec(6.0 if rolling else 40.0, 'costmap height (y)', 1.0, 500.0,
                         read_only=True),
        'robot_length_m': Spec(0.508, 'footprint length along x (Jackal 0.508)', 0.05, 5.0,
                               read_only=True),
        'robot_width_m': Spec(0.430, 'footprint width along y (Jackal 0.430)', 0.05, 5.0,
                              read_only=True),
        'inflation_radius_m': Spec(0.55, 'inflation layer radius', 0.0, 5.0, read_only=True),
        'cost_scaling_factor': Spec(3.0, 'exponential decay rate of inflated cost (1/m)',
                                    0.0, 100.0, read_only=True),
        'obstacle_max_range_m': Spec(4.0, 'scan hits farther than this are not marked',
                                     0.1, 100.0, read_only=True),
        'raytrace_max_range_m': Spec(5.0, 'free space is cleared up to this range', 0.1, 100.0,
                                     read_only=True),
        'track_unknown_space': Spec(False, 'keep unseen cells NO_INFORMATION instead of free',
                                    read_only=True),
        'scan_offset_x_m': Spec(0.0, 'base_link -> base_scan x offset', -5.0, 5.0,
                                read_only=True),
        'scan_offset_y_m': Spec(0.0, 'base_link -> base_scan y offset', -5.0, 5.0,
                                read_only=True),
        'scan_offset_yaw': Spec(0.0, 'base_link -> base_scan yaw (rad)', -3.1416, 3.1416,
                                read_only=True),
    }
    if not rolling:
        specs['origin_x_m'] = Spec(-20.0, 'x of the lower-left corner when there is no map',
                                   -1e4, 1e4, read_only=True)
        specs['origin_y_m'] = Spec(-20.0, 'y of the lower-left corner when there is no map',
                                   -1e4, 1e4, read_only=True)
    return specs


def object_specs() -> dict:
    """Parameter specs of the object layer (planner's global and controller's local costmap)."""
    return {
        'object_topic': Spec('tracked_objects', 'objects for the object layer '
                             "(orchestrator_interfaces/DetectionArray; '' = no object layer)",
                             read_only=True),
        'object_min_size_m': Spec(0.1, 'an object smaller than this (or of unknown size) is '
                                  'marked this big', 0.0, 5.0),
        'object_clearance_m': Spec(0.15, "an object this close to the robot's footprint or to "
                                   "a goal's (circumscribed circle) is not marked: the robot "
                                   'holds it or is sent to reach it', 0.0, 5.0),
    }


def footprint_from(v: dict):
    """Rectangle footprint from the parameter values."""
    return rectangle_footprint(v['robot_length_m'], v['robot_width_m'])


def build_costmap(v: dict, rolling: bool) -> LayeredCostmap:
    """Build the layered costmap the parameter values describe."""
    inscribed, _ = footprint_radii(footprint_from(v))
    grid = Costmap2D.from_size_m(v['width_m'], v['height_m'], v['resolution_m'],
                                 v.get('origin_x_m', 0.0), v.get('origin_y_m', 0.0))
    inflation = InflationParams(inscribed, max(v['inflation_radius_m'], inscribed),
                                v['cost_scaling_factor'])
    return LayeredCostmap(grid, inflation, v['obstacle_max_range_m'], v['raytrace_max_range_m'],
                          rolling_window=rolling, track_unknown=v['track_unknown_space'])
