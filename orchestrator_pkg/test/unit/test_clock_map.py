"""ClockMap: a message's publish time in sim time, from /clock's own source timestamps."""
from orchestrator_pkg.bringup.recorder import ClockMap


def test_the_sim_time_at_a_wall_instant_is_the_last_clock_sent_by_then():
    clocks = ClockMap()
    assert clocks.sim_at(1000) is None  # nothing known yet
    for k in range(10):  # the sim sends clock 5k at wall 100k
        clocks.add(100 * k, 5 * k)
    assert clocks.sim_at(-1) is None  # before the earliest clock kept
    assert clocks.sim_at(0) == 0
    assert clocks.sim_at(250) == 10  # sent between clocks 2 and 3: clock 2's time
    assert clocks.sim_at(300) == 15
    assert clocks.sim_at(10**9) == 45  # after the last: the last (never extrapolated)


def test_out_of_order_clocks_are_ignored_and_old_ones_are_dropped():
    clocks = ClockMap(keep=4)
    clocks.add(100, 1)
    clocks.add(50, 7)  # older than what is kept: a second clock source
    assert clocks.sim_at(60) is None and clocks.sim_at(100) == 1
    for k in range(2, 20):
        clocks.add(100 * k, k)
    assert clocks.sim_at(1950) == 19
    assert clocks.sim_at(150) is None  # long gone: at most 2 * keep are held
