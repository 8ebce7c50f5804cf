"""``orchestrator teleop``: drive the robot from the keyboard, through base_driver.

Publishes ``cmd_vel_nav`` (where the controller publishes), so base_driver's
limits, acceleration ramps, watchdog and e-stop apply as they do to the
navigation stack: the keys ask, base_driver decides. The speed steps and
the shown limits are base_driver's own ``max_vel_x``, ``min_vel_x`` and
``max_vel_theta``, read from its parameters when it answers within a second
(the defaults of config/base_driver.yaml otherwise). The terminal is put in
cbreak mode (keys arrive one by one, nothing echoed) and always restored;
the robot gets a zero command when teleop ends.

Keys: ``w``/up faster, ``s``/down slower (then backwards), ``a``/left and
``d``/right turn, space or ``k`` stop, ``q`` or Ctrl-C quit.
"""
from dataclasses import dataclass
import os
import select
import sys
import time

from orchestrator_pkg import cli_ros

RATE_HZ = 10.0  # commands a second: well inside base_driver's 0.2 s command timeout
STEPS = 5  # key presses from standstill to the limit
KEYS = {'w': 'faster', '\x1b[A': 'faster', 's': 'slower', '\x1b[B': 'slower',
        'a': 'left', '\x1b[D': 'left', 'd': 'right', '\x1b[C': 'right',
        ' ': 'stop', 'k': 'stop', 'q': 'quit', '\x03': 'quit'}
HELP = ('w/up faster, s/down slower or back, a/left d/right turn, space stop, q quit')


@dataclass
class Teleop:
    """The command the keys ask for, kept inside base_driver's limits. Pure: no ROS."""

    max_vel_x: float = 0.5
    min_vel_x: float = -0.25
    max_vel_theta: float = 2.0
    linear: float = 0.0
    angular: float = 0.0

    def press(self, key: str) -> bool:
        """Apply a key; return False for quit."""
        action = KEYS.get(key)
        step_v, step_w = self.max_vel_x / STEPS, self.max_vel_theta / STEPS
        if action == 'quit':
            self.linear = self.angular = 0.0
            return False
        if action == 'faster':
            self.linear = min(self.linear + step_v, self.max_vel_x)
        elif action == 'slower':
            self.linear = max(self.linear - step_v, self.min_vel_x)
        elif action == 'left':
            self.angular = min(self.angular + step_w, self.max_vel_theta)
        elif action == 'right':
            self.angular = max(self.angular - step_w, -self.max_vel_theta)
        elif action == 'stop':
            self.linear = self.angular = 0.0
        self.linear = round(self.linear, 6)
        self.angular = round(self.angular, 6)
        return True

    def status(self) -> str:
        """One line: the command and the limits."""
        return (f'v {self.linear:+.2f} m/s  w {self.angular:+.2f} rad/s   (limits '
                f'{self.min_vel_x:g}..{self.max_vel_x:g} m/s, +-{self.max_vel_theta:g} rad/s)')


def split_keys(data: str):
    """Split what the terminal sent into keys (an arrow is one three-character key)."""
    keys, i = [], 0
    while i < len(data):
        if data.startswith('\x1b[', i) and i + 2 < len(data):
            keys.append(data[i:i + 3])
            i += 3
        else:
            keys.append(data[i])
            i += 1
    return keys


def _limits(node, driver: str, timeout_s: float) -> dict:
    """Read base_driver's speed limits; {} when it does not answer in time."""
    found = cli_ros.get_parameters(node, driver, ['max_vel_x', 'min_vel_x', 'max_vel_theta'],
                                   timeout_s)
    return {name: value for name, value in found.items() if isinstance(value, float)}


def run(args) -> int:
    """Read keys, publish cmd_vel_nav at RATE_HZ, restore the terminal."""
    import termios
    import tty

    from geometry_msgs.msg import Twist, TwistStamped
    import rclpy
    if not sys.stdin.isatty():
        return cli_ros.fail('teleop reads the keyboard: run it in a terminal')
    topic = f'{args.namespace.strip("/")}/cmd_vel_nav'.lstrip('/')
    driver = f'/{args.namespace.strip("/")}/base_driver'.replace('//', '/')
    with cli_ros.client_node('orchestrator_teleop') as node:
        teleop = Teleop(**_limits(node, driver, 1.0))
        publisher = node.create_publisher(TwistStamped if args.stamped else Twist, topic, 10)

        def send():
            twist = Twist()
            twist.linear.x, twist.angular.z = teleop.linear, teleop.angular
            if args.stamped:
                message = TwistStamped(twist=twist)
                message.header.stamp = node.get_clock().now().to_msg()
                message.header.frame_id = 'base_link'
                publisher.publish(message)
            else:
                publisher.publish(twist)
        print(f'teleop on /{topic} through {driver}: {HELP}')
        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
        try:
            tty.setcbreak(fd)
            going, shown, next_send = True, '', 0.0
            while going:
                ready, _, _ = select.select([fd], [], [], 1.0 / RATE_HZ)
                if ready:
                    for key in split_keys(os.read(fd, 16).decode('utf-8', 'replace')):
                        going = teleop.press(key) and going
                if time.monotonic() >= next_send or not going:
                    send()
                    next_send = time.monotonic() + 1.0 / RATE_HZ
                line = teleop.status()
                if line != shown:
                    sys.stdout.write('\r' + line + '  ')
                    sys.stdout.flush()
                    shown = line
                rclpy.spin_once(node, timeout_sec=0.0)
        except KeyboardInterrupt:
            pass
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
            teleop.linear = teleop.angular = 0.0
            for _ in range(3):  # a zero command, so base_driver holds still at once
                send()
            print()
    return 0


def register(subparsers) -> None:
    """Add ``teleop``."""
    parser = subparsers.add_parser(
        'teleop', help='drive the robot from the keyboard (cmd_vel_nav, through base_driver)',
        description=__doc__.split('\n\n')[1].replace('\n', ' '))
    parser.add_argument('--namespace', default='', metavar='NS',
                        help='the robot\'s namespace (e.g. robot2); default: none')
    parser.add_argument('--stamped', action='store_true',
                        help='publish TwistStamped (base_driver use_stamped:=true)')
    parser.set_defaults(func=run)
