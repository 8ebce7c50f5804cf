"""Loader and validation: every problem names the file, the line and the reason."""
import os
import time

import pytest

from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.trees import (
    ManualClock,
    TreeLoadError,
    load_file,
    load_string,
    validate_file,
    validate_string,
)
from orchestrator_pkg.trees import xml_source as xml_source_module
from orchestrator_pkg.trees.loader import load_file_cached

REG = default_registry(plugins=False)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def tree(body, extra=''):
    return (f'<root BTCPP_format="4" main_tree_to_execute="Main">\n'
            f'<BehaviorTree ID="Main">\n{body}\n</BehaviorTree>\n{extra}</root>\n')


def errors(problems):
    return [p for p in problems if p.severity == 'error']


def only_error(problems):
    found = errors(problems)
    assert len(found) == 1, [str(p) for p in problems]
    return found[0]


def test_entity_expansion_attack_is_a_clean_error(tmp_path):
    lol = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
           + ''.join(f' <!ENTITY lol{i} "{"&lol{};".format(i - 1 if i > 1 else "") * 10}">\n'
                     for i in range(1, 10))
           + ']>\n<root BTCPP_format="4"><BehaviorTree ID="M"><AlwaysSuccess name="&lol9;"/>'
           '</BehaviorTree></root>\n')
    path = write(tmp_path, 'lol.xml', lol)
    start = time.monotonic()
    problem = only_error(validate_file(path, REG))
    assert time.monotonic() - start < 5.0
    assert problem.file == path and problem.line >= 1
    assert 'entity' in problem.message.lower()


def test_external_entity_is_rejected(tmp_path):
    xxe = ('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
           '<root BTCPP_format="4"><BehaviorTree ID="M"><AlwaysSuccess name="&x;"/>'
           '</BehaviorTree></root>')
    problem = only_error(validate_file(write(tmp_path, 'xxe.xml', xxe), REG))
    assert 'forbidden XML' in problem.message


def test_ten_thousand_deep_nesting_fails_fast_without_recursion_error(tmp_path):
    depth = 10_000
    body = '<Inverter>' * depth + '<AlwaysSuccess/>' + '</Inverter>' * depth
    path = write(tmp_path, 'deep.xml', '<root BTCPP_format="4"><BehaviorTree ID="M">'
                 + body + '</BehaviorTree></root>')
    start = time.monotonic()
    problem = only_error(validate_file(path, REG))
    assert time.monotonic() - start < 5.0
    assert problem.file == path and 'deeper than the limit of 64' in problem.message


def test_depth_limit_is_exact():
    ok = '<Inverter>' * 63 + '<AlwaysSuccess/>' + '</Inverter>' * 63
    load_string(tree(ok), REG)
    too_deep = '<Inverter>' * 64 + '<AlwaysSuccess/>' + '</Inverter>' * 64
    with pytest.raises(TreeLoadError, match='deeper than the limit'):
        load_string(tree(too_deep), REG)


def test_node_count_and_file_size_limits(tmp_path, monkeypatch):
    many = '<Sequence>' + '<AlwaysSuccess/>' * 10_200 + '</Sequence>'
    problem = only_error(validate_string(tree(many), REG, source='many.xml'))
    assert problem.file == 'many.xml' and 'node count limit' in problem.message
    monkeypatch.setattr(xml_source_module, 'MAX_FILE_BYTES', 100)
    path = write(tmp_path, 'big.xml', tree('<AlwaysSuccess/>' * 10))
    problem = only_error(validate_file(path, REG))
    assert problem.file == path and 'over the limit of 100 bytes' in problem.message


def test_subtree_expansion_bomb_hits_the_node_limit():
    trees = ['<BehaviorTree ID="Main"><Sequence>'
             + '<SubTree ID="T1"/>' * 10 + '</Sequence></BehaviorTree>']
    for level in range(1, 6):
        inner = (f'<SubTree ID="T{level + 1}"/>' * 10 if level < 5 else '<AlwaysSuccess/>')
        trees.append(f'<BehaviorTree ID="T{level}"><Sequence>{inner}</Sequence></BehaviorTree>')
    xml = '<root BTCPP_format="4" main_tree_to_execute="Main">' + ''.join(trees) + '</root>'
    start = time.monotonic()
    problem = only_error(validate_string(xml, REG))
    assert time.monotonic() - start < 5.0
    assert 'expanded tree has more than 10000 nodes' in problem.message


def test_include_cycle(tmp_path):
    a = write(tmp_path, 'a.xml', '<root BTCPP_format="4" main_tree_to_execute="A">\n'
              '  <include path="b.xml"/>\n<BehaviorTree ID="A"><SubTree ID="B"/></BehaviorTree>'
              '</root>')
    write(tmp_path, 'b.xml', '<root BTCPP_format="4">\n\n  <include path="./a.xml"/>\n'
          '<BehaviorTree ID="B"><AlwaysSuccess/></BehaviorTree></root>')
    problem = only_error(validate_file(a, REG))
    assert problem.file.endswith('b.xml') and problem.line == 3
    assert 'include cycle: a.xml -> b.xml -> a.xml' in problem.message


def test_include_is_relative_to_the_including_file(tmp_path):
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'sub' / 'deeper').mkdir()
    main = write(tmp_path, 'main.xml', tree('<SubTree ID="Mid"/>',
                                            '<include path="sub/mid.xml"/>'))
    write(tmp_path, 'sub/mid.xml', '<root BTCPP_format="4"><include path="deeper/leaf.xml"/>'
          '<BehaviorTree ID="Mid"><SubTree ID="Leaf"/></BehaviorTree></root>')
    write(tmp_path, 'sub/deeper/leaf.xml', '<root BTCPP_format="4"><BehaviorTree ID="Leaf">'
          '<AlwaysSuccess/></BehaviorTree></root>')
    document = load_file(main, REG)
    assert sorted(document.tree_ids) == ['Leaf', 'Main', 'Mid']
    assert document.build().tick().name == 'SUCCESS'
    missing = write(tmp_path, 'missing.xml', tree('<AlwaysSuccess/>', '<include path="nope.xml"/>'))
    problem = only_error(validate_file(missing, REG))
    assert problem.file == missing and problem.line == 5 and 'cannot read' in problem.message


def _touch(path, step):
    """Give ``path`` a modification time ``step`` s later than it has (coarse clocks)."""
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + int(step * 1e9)))


def test_a_cached_document_is_read_again_only_when_a_file_changed(tmp_path):
    main = write(tmp_path, 'main.xml', tree('<SubTree ID="Sub"/>', '<include path="sub.xml"/>'))
    sub = write(tmp_path, 'sub.xml', '<root BTCPP_format="4"><BehaviorTree ID="Sub">'
                '<AlwaysSuccess/></BehaviorTree></root>')
    first = load_file_cached(main, REG)
    assert load_file_cached(main, REG) is first  # nothing changed: not parsed again
    # built twice, the trees are independent
    one, two = first.build(), first.build()
    assert one.root is not two.root
    assert one.tick().name == 'SUCCESS' and two.tick().name == 'SUCCESS'
    # an edited include is read again
    write(tmp_path, 'sub.xml', '<root BTCPP_format="4"><BehaviorTree ID="Sub">'
          '<AlwaysFailure/></BehaviorTree></root>')
    _touch(sub, 1)
    second = load_file_cached(main, REG)
    assert second is not first and second.build().tick().name == 'FAILURE'
    assert load_file_cached(main, REG) is second
    # other inputs are another document (their values are checked against the ports)
    assert load_file_cached(main, REG, inputs=['goal']) is not second
    # a broken edit is reported on every load, and the good file after it is used again
    write(tmp_path, 'main.xml', '<root BTCPP_format="4"><BehaviorTree ID="Main">')
    _touch(main, 2)
    for _ in range(2):
        with pytest.raises(TreeLoadError, match='malformed XML'):
            load_file_cached(main, REG)
    write(tmp_path, 'main.xml', tree('<AlwaysSuccess/>'))
    _touch(main, 3)
    assert load_file_cached(main, REG).build().tick().name == 'SUCCESS'


def test_include_limits_and_ros_pkg(tmp_path):
    for i in range(12):
        write(tmp_path, f'f{i}.xml', f'<root BTCPP_format="4"><include path="f{i + 1}.xml"/>'
              f'<BehaviorTree ID="T{i}"><AlwaysSuccess/></BehaviorTree></root>')
    write(tmp_path, 'f12.xml', '<root BTCPP_format="4"><BehaviorTree ID="T12"><AlwaysSuccess/>'
          '</BehaviorTree></root>')
    problem = only_error(validate_file(str(tmp_path / 'f0.xml'), REG))
    assert 'includes nested deeper than the limit of 8' in problem.message
    problem = only_error(validate_string(tree('<AlwaysSuccess/>',
                                              '<include ros_pkg="nav2" path="x.xml"/>'), REG))
    assert 'ros_pkg' in problem.message and problem.line == 5
    problem = only_error(validate_string(tree('<AlwaysSuccess/>', '<include path="x.xml"/>'),
                                         REG))
    assert 'inline tree has no directory' in problem.message


def test_subtree_cycle():
    xml = tree('<SubTree ID="A"/>',
               '<BehaviorTree ID="A">\n<Sequence><SubTree ID="B"/></Sequence></BehaviorTree>\n'
               '<BehaviorTree ID="B">\n<SubTree ID="A"/>\n</BehaviorTree>\n')
    problem = only_error(validate_string(xml, REG, source='cyc.xml'))
    assert problem.file == 'cyc.xml' and problem.line == 8
    assert 'SubTree cycle: A -> B -> A' in problem.message


def test_unknown_node_type_names_file_line_and_suggests():
    problem = only_error(validate_string(tree('<Sequence>\n<AlwaysSucess/>\n</Sequence>'),
                                         REG, source='typo.xml'))
    assert (problem.file, problem.line) == ('typo.xml', 4)
    assert 'unknown node type "AlwaysSucess"' in problem.message
    assert 'did you mean AlwaysSuccess' in problem.message


def test_missing_required_port():
    problem = only_error(validate_string(tree('<Sleep name="nap"/>'), REG, source='m.xml'))
    assert (problem.file, problem.line) == ('m.xml', 3)
    assert 'Sleep "nap" is missing required port "msec"' in problem.message


def test_bad_literal_and_unknown_port():
    problems = validate_string(tree('<Sequence>\n<Sleep msec="soon"/>\n'
                                    '<Timeout msec="10" seconds="3"><AlwaysSuccess/></Timeout>\n'
                                    '<RunOnce then_skip="maybe"><AlwaysSuccess/></RunOnce>\n'
                                    '</Sequence>'), REG, source='b.xml')
    by_line = {p.line: p.message for p in errors(problems)}
    assert 'port "msec" (int): "soon" is not an integer' in by_line[4]
    assert 'Timeout has no port "seconds" (its ports: msec)' in by_line[5]
    assert '"maybe" is not a boolean' in by_line[6]
    assert len(by_line) == 3


def test_dangling_subtree_id():
    problem = only_error(validate_string(
        tree('<SubTree ID="Navigat"/>', '<BehaviorTree ID="Navigate"><AlwaysSuccess/>'
             '</BehaviorTree>\n'), REG, source='d.xml'))
    assert (problem.file, problem.line) == ('d.xml', 3)
    assert 'SubTree ID "Navigat" names no BehaviorTree' in problem.message
    assert 'did you mean "Navigate"' in problem.message


def test_blackboard_key_read_before_it_is_written_is_a_warning():
    xml = tree('<Sequence>\n<SetBlackboard value="{later}" output_key="x"/>\n'
               '<SetBlackboard value="{given}" output_key="later"/>\n</Sequence>')
    problems = validate_string(xml, REG, source='bb.xml', inputs=['given'])
    assert not errors(problems)
    warnings = [p for p in problems if p.severity == 'warning']
    assert len(warnings) == 1
    assert (warnings[0].file, warnings[0].line) == ('bb.xml', 4)
    assert 'reads blackboard key "later" before any node can write it' in warnings[0].message
    # a key nobody writes is an input the caller provides: no warning when given
    document = load_string(xml.replace('{later}', '{given}'), REG, inputs=['given'])
    assert document.problems == []


def test_blackboard_analysis_follows_subtree_remapping():
    xml = tree('<Sequence>\n<SubTree ID="Use" in="{shared}"/>\n'
               '<SetBlackboard value="1" output_key="shared"/>\n</Sequence>',
               '<BehaviorTree ID="Use">\n<SetBlackboard value="{in}" output_key="out"/>\n'
               '</BehaviorTree>\n')
    problems = validate_string(xml, REG, source='r.xml')
    assert [(p.severity, p.line) for p in problems] == [('warning', 9)]


def test_bad_scripts_and_skip_conditions_are_load_errors():
    problems = validate_string(tree('<Sequence>\n<Script code="x := (1"/>\n'
                                    '<AlwaysSuccess _skipIf="x==1"/>\n'
                                    '<AlwaysSuccess _failureIf="x = = 2"/>\n'
                                    '<Precondition if="x"><AlwaysSuccess/></Precondition>\n'
                                    '</Sequence>'), REG, source='s.xml')
    by_line = {p.line: p.message for p in errors(problems)}
    assert by_line[4] == ('Script: port "code" (script): script "x := (1": '
                          'expected ")", found "end of script"')
    assert 'the _skipIf condition is not supported' in by_line[5]
    assert by_line[6].startswith('AlwaysSuccess: _failureIf script "x = = 2": unexpected "="')
    assert 'Precondition is not supported' in by_line[7]


def test_malformed_xml_wrong_root_and_format():
    problem = only_error(validate_string('<root BTCPP_format="4">\n<BehaviorTree ID="M">\n'
                                         '<Sequence>\n</BehaviorTree></root>', REG))
    assert problem.line == 4 and 'malformed XML' in problem.message
    problem = only_error(validate_string('<tree/>', REG))
    assert 'must be <root>' in problem.message
    problem = only_error(validate_string('<root BTCPP_format="3"><BehaviorTree ID="M">'
                                         '<AlwaysSuccess/></BehaviorTree></root>', REG))
    assert 'BTCPP_format="3" is not supported' in problem.message


def test_children_counts_are_checked():
    problems = validate_string(tree('<Sequence>\n<Inverter/>\n<IfThenElse><AlwaysSuccess/>'
                                    '</IfThenElse>\n<AlwaysSuccess><AlwaysFailure/>'
                                    '</AlwaysSuccess>\n</Sequence>'), REG)
    messages = sorted(p.message for p in errors(problems))
    assert messages == ['AlwaysSuccess takes no children, it has 1',
                        'IfThenElse takes 2 to 3 children, it has 1',
                        'Inverter takes exactly 1 child(ren), it has 0']


def test_main_tree_selection():
    problem = only_error(validate_string('<root BTCPP_format="4" main_tree_to_execute="Nope">'
                                         '<BehaviorTree ID="A"><AlwaysSuccess/></BehaviorTree>'
                                         '</root>', REG))
    assert 'main_tree_to_execute="Nope" names no BehaviorTree' in problem.message
    document = load_string('<root BTCPP_format="4"><BehaviorTree ID="A"><AlwaysSuccess/>'
                           '</BehaviorTree><BehaviorTree ID="B"><AlwaysFailure/>'
                           '</BehaviorTree></root>', REG)
    assert document.main_tree_id is None
    with pytest.raises(TreeLoadError, match='say which tree to run'):
        document.build()
    assert document.build('B').tick().name == 'FAILURE'


def test_tree_nodes_model_autoremap_and_explicit_node_forms():
    xml = '''<root BTCPP_format="4" main_tree_to_execute="Main">
      <BehaviorTree ID="Main">
        <Sequence>
          <SetBlackboard value="7" output_key="count"/>
          <SubTree ID="Inner" _autoremap="true" label="hello"/>
          <Action ID="AlwaysSuccess" name="explicit"/>
        </Sequence>
      </BehaviorTree>
      <BehaviorTree ID="Inner">
        <Sequence>
          <SetBlackboard value="{count}" output_key="seen"/>
          <SetBlackboard value="{label}" output_key="_private"/>
        </Sequence>
      </BehaviorTree>
      <TreeNodesModel>
        <SubTree ID="Inner"><input_port name="label"/></SubTree>
        <Action ID="Custom"><input_port name="x"/></Action>
      </TreeNodesModel>
    </root>'''
    document = load_string(xml, REG)
    built = document.build(clock=ManualClock())
    assert built.tick().name == 'SUCCESS'
    assert built.blackboard.as_dict() == {'count': '7', 'seen': '7'}


def test_every_problem_is_reported_in_one_pass():
    problems = validate_string(tree('<Sequence>\n<Nope/>\n<Sleep/>\n<SubTree ID="X"/>\n'
                                    '</Sequence>'), REG, source='all.xml')
    assert [p.line for p in errors(problems)] == [4, 5, 6]
