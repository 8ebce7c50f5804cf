"""Give each test run its own ROS_DOMAIN_ID, so that runs never see each other.

The claim itself (an abstract Unix socket per ID, released by the kernel when
the holder exits) is :mod:`orchestrator_pkg.ros_edge.domains`; this module is
its test-side front.

Used two ways:

* ``python -m orchestrator_pkg.testing.ros_domain -- CMD ...`` runs CMD with
  a claimed ``ROS_DOMAIN_ID`` and discovery on this machine only
  (:func:`~orchestrator_pkg.ros_edge.dds.discovery_range`), holding the
  claim until CMD exits (``make test`` does this);
* :func:`claim_domain` from a test fixture, for one test's processes.
"""
import signal
import subprocess
import sys

from orchestrator_pkg.ros_edge.dds import DISCOVERY_RANGE_VAR
from orchestrator_pkg.ros_edge.domains import (  # noqa: F401 -- the tests' names for them
    FIRST_DOMAIN_ID,
    LAST_DOMAIN_ID,
    DomainClaim,
    NoFreeDomainError,
    claim_domain,
)


def main(argv=None) -> int:
    """Run a command in a freshly claimed ROS domain."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ['--']:
        argv = argv[1:]
    if not argv:
        print('usage: python -m orchestrator_pkg.testing.ros_domain -- CMD [ARG...]',
              file=sys.stderr)
        return 2
    # The run's own ID stays out of the pool while it is held, so the
    # per-test claims made inside CMD get other IDs.
    with claim_domain() as claim:
        env = claim.env()
        print(f'ros_domain: ROS_DOMAIN_ID={claim.domain_id}, discovery on this machine only '
              f'({DISCOVERY_RANGE_VAR}={env[DISCOVERY_RANGE_VAR]})', flush=True)
        child = subprocess.Popen(argv, env=env)
        # SIGTERM (``timeout``, a CI runner) goes to this process alone: pass it on
        # and wait for CMD to stop, instead of leaving CMD running without its wrapper
        signal.signal(signal.SIGTERM, lambda signum, _: child.send_signal(signum))
        while True:
            try:
                code = child.wait()
            except KeyboardInterrupt:
                # Ctrl-C reached CMD too (one process group): CMD decides how to stop
                continue
            return 128 - code if code < 0 else code  # killed by signal N: 128 + N, as a shell


if __name__ == '__main__':
    sys.exit(main())
