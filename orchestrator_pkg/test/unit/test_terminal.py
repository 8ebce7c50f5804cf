"""The run's terminal: whole lines from many threads; node logs to files, warnings once each."""
import io
import threading

from orchestrator_pkg.bringup.terminal import NodeLogs, Terminal, level_of, shape_of


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_lines_from_many_threads_come_out_whole():
    stream = io.StringIO()
    terminal = Terminal(stream)

    def writer(n):
        for i in range(200):
            terminal(f'[writer {n}] line {i} ' + 'x' * 50)
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    terminal('summary\n  outcome  SUCCEEDED')  # several lines at once stay together
    terminal.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 8 * 200 + 2
    body = [line for line in lines[:-2]]
    assert all(line.startswith('[writer ') and line.endswith('x' * 50) for line in body)
    for n in range(8):  # each writer's lines in its own order
        mine = [int(line.split()[3]) for line in body if line.startswith(f'[writer {n}]')]
        assert mine == list(range(200))
    assert lines[-2:] == ['summary', '  outcome  SUCCEEDED']


def test_levels_and_shapes_of_log_lines():
    assert level_of('[INFO] [1732.5] [planner_server]: ready') == 20
    assert level_of('[WARN] [1732.5] [base_driver]: heartbeat lost') == 30
    assert level_of('[ERROR] [1732.5] [base_driver]: stop') == 40
    assert level_of('Traceback (most recent call last):') == 40
    assert level_of('some print output') == 20
    a = shape_of('[ERROR] [1732.51] [base_driver]: lost (last at t=5.180 s, noticed at t=5.25 s)')
    b = shape_of('[ERROR] [1799.02] [base_driver]: lost (last at t=75.5 s, noticed at t=75.6 s)')
    assert a == b == 'lost (last at t=# s, noticed at t=# s)'


def test_node_logs_go_to_files_and_warnings_to_the_terminal_once(tmp_path):
    shown = []
    clock = Clock()
    logs = NodeLogs(str(tmp_path / 'logs'), shown.append, burst=3, window_s=10.0, clock=clock)
    logs('robot1/base_driver', '[INFO] [1.0] [base_driver]: ready')
    logs('robot1/base_driver', '[WARN] [1.1] [base_driver]: no heartbeat yet')
    for i in range(50):  # the same error with other numbers: shown once, at once
        clock.t += 0.1
        logs('robot1/base_driver', f'[ERROR] [{i}.5] [base_driver]: lost at t={i}.18 s')
    logs('robot1/base_driver', '[WARN] [9.0] [base_driver]: e-stop ENGAGED')  # third: shown
    logs('robot1/base_driver', '[WARN] [9.1] [base_driver]: fourth in 10 s')  # held back
    clock.t += 10.0
    logs('robot1/base_driver', '[WARN] [20.0] [base_driver]: something else')  # a new window
    logs('planner_server', '[WARN] [2.0] [planner_server]: no path')  # another node
    logs.close()
    assert shown == ['[robot1/base_driver] [WARN] [1.1] [base_driver]: no heartbeat yet',
                     '[robot1/base_driver] [ERROR] [0.5] [base_driver]: lost at t=0.18 s',
                     '[robot1/base_driver] [WARN] [9.0] [base_driver]: e-stop ENGAGED',
                     '[robot1/base_driver] [WARN] [20.0] [base_driver]: something else',
                     '[planner_server] [WARN] [2.0] [planner_server]: no path']
    text = (tmp_path / 'logs' / 'robot1_base_driver.log').read_text()
    assert text.count('\n') == 55 and 'ready' in text and 'fourth in 10 s' in text
    assert (tmp_path / 'logs' / 'planner_server.log').exists()
    assert logs.held_back == {'robot1/base_driver': 50}
    summary = logs.summary()
    assert len(summary) == 1 and '50 more warning(s)/error(s) not shown' in summary[0]
    assert summary[0].endswith('robot1_base_driver.log')


def test_verbose_shows_every_line(tmp_path):
    shown = []
    logs = NodeLogs(str(tmp_path), shown.append, verbose=True)
    logs('sim', '[INFO] [1.0] [sim]: stepping')
    logs.close()
    assert shown == ['[sim] [INFO] [1.0] [sim]: stepping']
    assert logs.tail('sim') == ['[INFO] [1.0] [sim]: stepping']
