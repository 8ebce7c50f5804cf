"""With a seed the sim is deterministic: two runs publish the same noisy scans."""
import rclpy
from sensor_msgs.msg import LaserScan
from sim_helpers import WAIT_S, Listener, sim_process


def _scans(ros_domain, seed, until_s=6.0):
    # real time, so that the subscription is up (discovery) long before until_s of sim time
    proc = sim_process(ros_domain.env(), f'seed:={seed}', rtf=1.0, world='warehouse')
    with proc:
        assert proc.wait_for_output('sim ready', WAIT_S), proc.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        listener = Listener(f'determinism_{seed}')
        try:
            listener.watch(LaserScan, 'scan')
            listener.wait_for(lambda: (listener.sim_time_of('scan') or 0.0) >= until_s,
                              what=f'scans up to {until_s} s of sim time')
            return {(m.header.stamp.sec, m.header.stamp.nanosec): list(m.ranges)
                    for m in listener.messages['scan']}
        finally:
            listener.destroy()
            rclpy.shutdown()


def test_same_seed_same_scans_other_seed_other_noise(ros_domain):
    first, second, other = (_scans(ros_domain, seed) for seed in (11, 11, 12))
    common = set(first) & set(second)
    assert len(common) >= 3, (sorted(first), sorted(second))
    for stamp in common:
        assert first[stamp] == second[stamp]
    shared = set(first) & set(other)
    assert shared and all(first[s] != other[s] for s in shared)
    stamps = sorted(first)
    assert first[stamps[0]] != first[stamps[1]]  # the noise changes from scan to scan
