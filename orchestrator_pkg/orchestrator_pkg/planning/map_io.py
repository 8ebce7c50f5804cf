"""Read and write map_server-style maps: a YAML file next to a binary PGM (P5) image.

YAML fields (as Nav2's map_server): ``image``, ``resolution``, ``origin``
([x, y, yaw]), ``negate``, ``occupied_thresh``, ``free_thresh`` and optionally
``mode`` (only ``trinary`` is supported). Image row 0 is the top of the map
(largest y), so rows are flipped to OccupancyGrid order (row 0 at the origin).
Occupancy probability of a pixel p is ``(255 - p) / 255`` (``p / 255`` with
``negate``): above ``occupied_thresh`` it is 100, below ``free_thresh`` 0,
otherwise -1 (unknown).
"""
from dataclasses import dataclass
import math
import os

import numpy as np
import yaml


class MapFileError(ValueError):
    """A map file is missing, unreadable or has a bad field; the message names it."""


@dataclass
class OccupancyMap:
    """OccupancyGrid-style data: int8 array (row 0 at origin), resolution and origin."""

    data: np.ndarray
    resolution: float
    origin_x: float
    origin_y: float
    origin_yaw: float = 0.0


def _read_pgm(path: str) -> np.ndarray:
    try:
        with open(path, 'rb') as f:
            raw = f.read()
    except OSError as exc:
        raise MapFileError(f'{path}: cannot read image: {exc.strerror}') from None
    tokens = []
    pos = 0
    while len(tokens) < 4:
        while pos < len(raw) and raw[pos:pos + 1].isspace():
            pos += 1
        if raw[pos:pos + 1] == b'#':
            while pos < len(raw) and raw[pos:pos + 1] not in (b'\n', b'\r'):
                pos += 1
            continue
        start = pos
        while pos < len(raw) and not raw[pos:pos + 1].isspace():
            pos += 1
        if start == pos:
            raise MapFileError(f'{path}: truncated PGM header')
        tokens.append(raw[start:pos])
    pos += 1  # the single whitespace after maxval
    if tokens[0] != b'P5':
        raise MapFileError(f'{path}: not a binary PGM (P5); magic is {tokens[0][:8]!r}')
    try:
        width, height, maxval = (int(t) for t in tokens[1:])
    except ValueError:
        raise MapFileError(f'{path}: bad PGM header {tokens[1:]!r}') from None
    if width <= 0 or height <= 0 or not 0 < maxval < 65536:
        raise MapFileError(f'{path}: bad PGM size {width}x{height} or maxval {maxval}')
    dtype = np.dtype('u1') if maxval < 256 else np.dtype('>u2')
    need = width * height * dtype.itemsize
    body = raw[pos:pos + need]
    if len(body) < need:
        raise MapFileError(f'{path}: PGM data truncated ({len(body)} of {need} bytes)')
    img = np.frombuffer(body, dtype=dtype).reshape(height, width).astype(float)
    return img * (255.0 / maxval)


def _field(doc, name, path, kind, default=None):
    if name not in doc:
        if default is not None:
            return default
        raise MapFileError(f'{path}: missing field {name!r}')
    value = doc[name]
    try:
        if kind is float:
            out = float(value)
            if not math.isfinite(out):
                raise ValueError
            return out
        if kind is bool:
            if isinstance(value, bool) or value in (0, 1):
                return bool(value)
            raise ValueError
        if kind is list:
            out = [float(v) for v in value]
            if len(out) != 3 or not all(math.isfinite(v) for v in out):
                raise ValueError
            return out
        return kind(value)
    except (TypeError, ValueError):
        raise MapFileError(f'{path}: field {name!r} has a bad value {value!r}') from None


def load_map(yaml_path: str) -> OccupancyMap:
    """Load a map from its YAML file; errors name the file and field."""
    try:
        with open(yaml_path, encoding='utf-8') as f:
            doc = yaml.safe_load(f)
    except OSError as exc:
        raise MapFileError(f'{yaml_path}: cannot read: {exc.strerror}') from None
    except yaml.YAMLError as exc:
        raise MapFileError(f'{yaml_path}: invalid YAML: {exc}') from None
    if not isinstance(doc, dict):
        raise MapFileError(f'{yaml_path}: expected a mapping of map fields')
    image = _field(doc, 'image', yaml_path, str)
    resolution = _field(doc, 'resolution', yaml_path, float)
    if resolution <= 0:
        raise MapFileError(f'{yaml_path}: field resolution must be > 0, got {resolution}')
    origin = _field(doc, 'origin', yaml_path, list)
    negate = _field(doc, 'negate', yaml_path, bool, False)
    occ_t = _field(doc, 'occupied_thresh', yaml_path, float)
    free_t = _field(doc, 'free_thresh', yaml_path, float)
    if not 0.0 <= free_t <= occ_t <= 1.0:
        raise MapFileError(f'{yaml_path}: need 0 <= free_thresh ({free_t}) <= '
                           f'occupied_thresh ({occ_t}) <= 1')
    mode = doc.get('mode', 'trinary')
    if mode != 'trinary':
        raise MapFileError(f'{yaml_path}: field mode {mode!r} is not supported (only trinary)')
    img_path = image if os.path.isabs(image) else os.path.join(
        os.path.dirname(os.path.abspath(yaml_path)), image)
    if not img_path.lower().endswith('.pgm'):
        raise MapFileError(f'{yaml_path}: field image {image!r}: only PGM (P5) images are read')
    pix = _read_pgm(img_path)
    prob = pix / 255.0 if negate else (255.0 - pix) / 255.0
    data = np.full(pix.shape, -1, dtype=np.int8)
    data[prob > occ_t] = 100
    data[prob < free_t] = 0
    return OccupancyMap(np.ascontiguousarray(data[::-1]), resolution, *origin)


def save_map(omap: OccupancyMap, yaml_path: str) -> str:
    """Write ``<name>.yaml`` and ``<name>.pgm``; returns the image path."""
    data = np.asarray(omap.data)
    if data.ndim != 2:
        raise MapFileError(f'{yaml_path}: map data must be 2-D, got shape {data.shape}')
    base = os.path.splitext(yaml_path)[0]
    img_path = base + '.pgm'
    pix = np.full(data.shape, 205, dtype=np.uint8)
    pix[data == 0] = 254
    pix[data >= 65] = 0
    h, w = data.shape
    with open(img_path, 'wb') as f:
        f.write(f'P5\n# CREATOR: orchestrator_pkg map_io\n{w} {h}\n255\n'.encode('ascii'))
        f.write(np.ascontiguousarray(pix[::-1]).tobytes())
    doc = {'image': os.path.basename(img_path), 'mode': 'trinary',
           'resolution': float(omap.resolution),
           'origin': [float(omap.origin_x), float(omap.origin_y), float(omap.origin_yaw)],
           'negate': 0, 'occupied_thresh': 0.65, 'free_thresh': 0.196}
    with open(yaml_path, 'w', encoding='utf-8') as f:
        yaml.safe_dump(doc, f, default_flow_style=None, sort_keys=False)
    return img_path
