"""Repair the CMake exports of the ROS 2 Jazzy wheels inside a venv.

The wheels' ``share/*/cmake/*rosidl_generator_pyExport.cmake`` files name
the include directories of the machine that built them (Python headers and
numpy headers under ``/opt/python/...``). CMake refuses such targets with
"includes non-existent path". This rewrites those two paths to this
interpreter's, only inside the venv given. Running it twice changes nothing.
"""
import glob
import os
import re
import sys
import sysconfig

import numpy


def main(venv: str) -> int:
    """Rewrite the two build-machine paths in every export file under ``venv``."""
    py_include = sysconfig.get_paths()['include']
    np_include = numpy.get_include()
    pattern = os.path.join(venv, 'share', '*', 'cmake', '*rosidl_generator_pyExport.cmake')
    # /opt/python/cp311-cp311/include/python3.11 and
    # /opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include
    py_re = re.compile(r'/opt/python/[^/";]+/include/python3\.\d+')
    np_re = re.compile(r'/opt/python/[^";]+?/site-packages/numpy/(?:_core|core)/include')
    fixed = 0
    for path in sorted(glob.glob(pattern)):
        with open(path, encoding='utf-8') as f:
            text = f.read()
        new = np_re.sub(np_include, text)
        new = py_re.sub(py_include, new)
        if new != text:
            with open(path, 'w', encoding='utf-8') as f:
                f.write(new)
            fixed += 1
    print(f'setup:   {fixed} CMake export file(s) repaired' if fixed else 'setup:   up to date')
    return 0


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit('usage: fix_wheel_cmake.py VENV')
    sys.exit(main(sys.argv[1]))
