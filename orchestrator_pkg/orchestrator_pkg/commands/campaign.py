"""``orchestrator campaign FILE``: many runs of a benchmark or a mission, here or on Ray.

The description and its arithmetic are :mod:`orchestrator_pkg.benchmark.campaign`
(docs/campaigns.md); running the runs is :mod:`orchestrator_pkg.commands._campaign_runs`.
Here the campaign is loaded and checked whole (every variant's bringup and
parameters, the mission and its inputs in every world, every robot preset)
before any run starts.
"""
import argparse
import os
import sys

from orchestrator_pkg.benchmark import barn
from orchestrator_pkg.benchmark import campaign as spec
from orchestrator_pkg.commands._campaign_runs import add_worker_options, run_campaign


def _worlds(campaign, worlds_dir):
    """Return the BARN world indices of a barn campaign (read from the worlds folder)."""
    from orchestrator_pkg.commands.barn import default_barn_dir
    worlds_dir = worlds_dir or os.path.join(default_barn_dir(), 'worlds')
    available = barn.world_indices(worlds_dir)
    if campaign.barn_worlds == 'test':
        return barn.parse_indices(','.join(map(str, barn.TEST_WORLDS)), available,
                                  source=f'{campaign.source}: barn.worlds')
    return barn.parse_indices(campaign.barn_worlds, available,
                              source=f'{campaign.source}: barn.worlds')


def _check_variants(campaign) -> None:
    """Resolve each variant's bringup with its parameters: a bad one fails before any run."""
    from orchestrator_pkg.bringup import description
    from orchestrator_pkg.commands import barn as barn_command
    from orchestrator_pkg.commands import run as run_command
    from orchestrator_pkg.ros_edge import share
    for variant in campaign.variants:
        where = f'{campaign.source}: variants {variant.name}'
        try:
            if campaign.benchmark == 'barn':
                barn_command._check_bringup(
                    variant.bringup or campaign.bringup or barn_command.DEFAULT_BRINGUP,
                    variant.controller or barn_command.CONTROLLERS[0], variant.params)
            else:
                bringup = description.load(share.config_file(
                    variant.bringup or campaign.bringup or run_command.DEFAULT_BRINGUP))
                for world in campaign.worlds or (campaign.world,):
                    for robot in campaign.robots or ('small_indoor',):
                        _robot_preset(campaign, robot)
                        run_args = {'world': world, 'robot': robot, 'rtf': 1.0,
                                    'seed': 0, 'mission': campaign.mission}
                        description.resolve(bringup, share.share_dir, run_args, sim=True,
                                            params=variant.params)
        except (description.BringupError, FileNotFoundError) as exc:
            raise spec.CampaignError(f'{where}: {exc}') from None


def _robot_preset(campaign, robot: str) -> None:
    """Refuse a robot preset that has no config/robots/ROBOT.yaml, naming the field."""
    from orchestrator_pkg.ros_edge import share
    folder = os.path.join(share.share_dir(share.PACKAGE), 'config', 'robots')
    if not os.path.isfile(os.path.join(folder, f'{robot}.yaml')):
        known = sorted(os.path.splitext(n)[0] for n in os.listdir(folder) if n.endswith('.yaml'))
        raise spec.CampaignError(f'{campaign.source}: mission.robots: no robot preset '
                                 f'{robot!r} (presets: {", ".join(known)})')


def _mission_check(campaign) -> None:
    """Check a mission campaign's mission and inputs as `orchestrator run` does."""
    if campaign.benchmark != 'mission':
        return
    from orchestrator_pkg.commands import _missions
    from orchestrator_pkg.commands import run as run_command
    try:
        inputs, robot_inputs = run_command._inputs(
            [f'{k}={v}' for k, v in campaign.inputs], [''])
        for world in campaign.worlds or (campaign.world,):
            run_command.check_mission(campaign.mission, world, inputs, robot_inputs,
                                      lambda line: None)
    except (_missions.MissionError, ValueError, argparse.ArgumentTypeError) as exc:
        raise spec.CampaignError(f'{campaign.source}: mission: {exc}') from None


def campaign_command(args) -> int:
    """Run the campaign's runs on local workers or a Ray cluster; append rows; summarize."""
    try:
        campaign = spec.load(args.file)
        worlds = _worlds(campaign, args.worlds) if campaign.benchmark == 'barn' else None
        runs = spec.expand(campaign, worlds)
        _mission_check(campaign)
        _check_variants(campaign)
    except (spec.CampaignError, barn.BarnError) as exc:
        print(f'orchestrator campaign: {exc}', file=sys.stderr)
        return 2
    extra = ['--worlds', os.path.abspath(args.worlds)] \
        if args.worlds and campaign.benchmark == 'barn' else []
    code, _ = run_campaign(campaign, runs, args.out or f'campaign_{campaign.name}', args, extra)
    return code


def register(subparsers) -> None:
    """Add ``campaign``."""
    parser = subparsers.add_parser(
        'campaign', help='run a campaign of benchmark or mission runs on local workers or Ray',
        description='Run every run of a campaign description (YAML, docs/campaigns.md), each '
                    'as its own command in a ROS domain of its own, and append a row per '
                    'run to OUT/results.jsonl as it ends.')
    parser.add_argument('file', help='the campaign description (YAML)')
    add_worker_options(parser, '1 on this machine')
    parser.add_argument('--out', metavar='DIR',
                        help='folder of results.jsonl, summary.json and each run\'s files '
                             '(default: campaign_NAME)')
    parser.add_argument('--worlds', metavar='DIR',
                        help='BARN worlds folder (default: <repo>/../shared/benchmarks/barn/'
                             'worlds)')
    parser.set_defaults(func=campaign_command)
