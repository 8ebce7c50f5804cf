"""What a run folder's ``run.mcap`` says the robot did, for system tests (ground truth)."""
import os
from typing import List, Tuple


def ground_truth_track(run_dir, robot: str = '') -> List[Tuple[float, float, float]]:
    """Return the robot's ``(sim time, x, y)`` from ``ground_truth/odom``, in recorded order."""
    from mcap.reader import make_reader
    from mcap_ros2.decoder import DecoderFactory
    topic = '/' + '/'.join(p for p in (robot.strip('/'), 'ground_truth/odom') if p)
    track = []
    with open(os.path.join(run_dir, 'run.mcap'), 'rb') as f:
        reader = make_reader(f, decoder_factories=[DecoderFactory()])
        for _s, _c, _m, msg in reader.iter_decoded_messages(topics=[topic]):
            stamp, position = msg.header.stamp, msg.pose.pose.position
            track.append((stamp.sec + stamp.nanosec * 1e-9, position.x, position.y))
    return track
