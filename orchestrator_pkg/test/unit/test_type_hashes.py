"""Every compat type has the RIHS01 type hash of the real Jazzy type.

Peers compare type hashes (REP-2011) when they match endpoints, so a type
whose hash differs from Jazzy's does not talk to a real Nav2 / tf2 node even
with the same name. For each interface under compat/ this computes the hash of
the interface and of each of its parts from the type description JSON that
our build installed, and compares it with Jazzy's, recorded from a build of
the real packages (test/data/jazzy_interfaces.json, with its provenance). It
also checks that the computation agrees with the hashes rosidl wrote at build
time, which are the ones the type support hands to the middleware.
"""
import json
import os

from ament_index_python.packages import get_package_share_directory
import pytest

from orchestrator_pkg.testing.interfaces import type_hashes

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, '..', 'data', 'jazzy_interfaces.json'), encoding='utf-8') as _f:
    JAZZY = json.load(_f)


def test_provenance_is_recorded():
    for package in ('nav2_msgs', 'tf2_msgs', 'geographic_msgs'):
        source = JAZZY['sources'][package]
        assert source['repository'] and source['version']
        assert len(source['commit']) == 40
    assert JAZZY['sources']['nav2_msgs']['branch'] == 'jazzy'


@pytest.mark.parametrize('type_name', sorted(JAZZY['interfaces']))
def test_type_hashes_equal_jazzy(type_name):
    jazzy = JAZZY['interfaces'][type_name]['hashes']
    package = type_name.split('/')[0]
    ours = type_hashes(type_name, get_package_share_directory(package))
    # the interface and every part of it (Goal, SendGoal_Request, ..._Event)
    assert ours['computed'] == jazzy
    assert ours['recorded'] == ours['computed']
    assert all(h.startswith('RIHS01_') and len(h) == 7 + 64 for h in jazzy.values())
