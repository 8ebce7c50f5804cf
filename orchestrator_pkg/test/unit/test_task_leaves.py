"""Pure task leaves: SetDefault (mission inputs with a default)."""
from py_trees.common import Status

from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.trees import Blackboard, load_string


def test_set_default_keeps_a_given_input_and_fills_a_missing_one():
    xml = """
    <root BTCPP_format="4" main_tree_to_execute="T">
      <BehaviorTree ID="T">
        <Sequence>
          <SetDefault output_key="{object_class}" value="box"/>
          <SetDefault output_key="{object_color}" value="red"/>
        </Sequence>
      </BehaviorTree>
    </root>"""
    board = Blackboard()
    board.set('object_class', 'can')  # a mission input
    built = load_string(xml, default_registry(), inputs=['object_class']).build(
        blackboard=board)
    assert built.tick() == Status.SUCCESS
    assert board.get('object_class') == 'can' and board.get('object_color') == 'red'
