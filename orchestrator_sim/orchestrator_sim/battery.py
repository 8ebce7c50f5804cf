"""A battery that drains with time and motion and charges on a dock; no ROS.

Power drawn is ``idle_power_w + motion_power_w * speed_fraction`` where
``speed_fraction`` is the linear speed over the robot's maximum (clipped to
[0, 1]). On the dock the battery charges at ``charge_power_w`` until full.
The terminal voltage falls linearly from 105 % of nominal (full) to 85 %
(empty), a simple stand-in for a Li-ion discharge curve.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class BatteryReading:
    """What a BatteryState message needs."""

    percentage: float  # 0..1
    charge_ah: float
    capacity_ah: float
    voltage: float
    current: float  # A; negative while discharging (sensor_msgs/BatteryState)
    charging: bool
    full: bool


class Battery:
    """Energy bookkeeping for one battery."""

    def __init__(self, capacity_wh: float, voltage: float, idle_power_w: float,
                 motion_power_w: float, charge_power_w: float, initial_fraction: float = 1.0):
        if capacity_wh <= 0 or voltage <= 0:
            raise ValueError('battery capacity and voltage must be > 0')
        if not 0.0 <= initial_fraction <= 1.0:
            raise ValueError(f'initial battery fraction must be in [0, 1], got {initial_fraction}')
        self.capacity_wh = capacity_wh
        self.nominal_voltage = voltage
        self.idle_power_w = idle_power_w
        self.motion_power_w = motion_power_w
        self.charge_power_w = charge_power_w
        self.energy_wh = capacity_wh * initial_fraction
        self._power_w = 0.0
        self._charging = False

    @property
    def fraction(self) -> float:
        """State of charge in [0, 1]."""
        return self.energy_wh / self.capacity_wh

    def update(self, dt: float, speed_fraction: float, docked: bool) -> None:
        """Advance ``dt`` seconds of drain (or charge when ``docked``)."""
        speed_fraction = min(max(speed_fraction, 0.0), 1.0)
        if docked and self.energy_wh < self.capacity_wh:
            self._power_w = self.charge_power_w
            self._charging = True
        else:
            self._charging = False
            self._power_w = -(self.idle_power_w + self.motion_power_w * speed_fraction)
            if docked:
                self._power_w = 0.0  # full and on the dock: the dock powers the robot
        self.energy_wh = min(max(self.energy_wh + self._power_w * dt / 3600.0, 0.0),
                             self.capacity_wh)

    def reading(self) -> BatteryReading:
        """Return the current state, as a BatteryState needs it."""
        voltage = self.nominal_voltage * (0.85 + 0.2 * self.fraction)
        capacity_ah = self.capacity_wh / self.nominal_voltage
        return BatteryReading(
            percentage=self.fraction, charge_ah=self.energy_wh / self.nominal_voltage,
            capacity_ah=capacity_ah, voltage=voltage, current=self._power_w / voltage,
            charging=self._charging, full=self.energy_wh >= self.capacity_wh - 1e-9)
