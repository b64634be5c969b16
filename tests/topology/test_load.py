"""Loading topology files: Python that binds `topology`, or JSON; every failure is one clear sentence."""

from __future__ import annotations

import pytest

from vpcdraw.topology import LoadError, Topology, load
from vpcdraw.topology.serialize import to_json


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_python_and_json_forms_load_the_same_topology(tmp_path, example_file):
    topology = load(example_file("assignment"))
    json_file = _write(tmp_path, "assignment.json", to_json(topology))
    assert isinstance(topology, Topology)
    assert load(json_file) == topology


def test_a_builder_bound_to_topology_is_built(tmp_path):
    path = _write(tmp_path, "b.py", "from vpcdraw import TopologyBuilder\n"
                                    "topology = TopologyBuilder('b', region='ap-northeast-2')\n")
    assert load(path).name == "b"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("syntax.py", "topology = (\n", "syntax.py line 1: syntax error: '(' was never closed"),
        ("raises.py", "x = 1\nraise ValueError('bad subnet list')\n", "raises.py line 2: ValueError: bad subnet list"),
        ("exits.py", "import sys\nsys.exit(3)\n", "exits.py line 2: SystemExit: 3"),
        ("nothing.py", "x = 1\n", "nothing.py builds no topology: bind one to the name 'topology'"),
        ("other.py", "topology = 42\n", "found a int"),
        ("badport.py", "from vpcdraw import TopologyBuilder, anywhere\n"
                       "t = TopologyBuilder('x', region='ap-northeast-2')\n"
                       "t.vpc('m', '10.0.0.0/16').security_group('a', 'b').ingress('tcp/http', anywhere)\n",
         "badport.py line 3: BadPort: port 'tcp/http' is not a port or range"),
        ("bad.json", "{", "bad.json: not valid JSON"),
        ("topology.yaml", "a: 1",
         "a topology file ends in .py, .json or .drawio (.drawio.png, .drawio.svg), not '.yaml'"),
    ],
)
def test_broken_files_get_one_sentence(tmp_path, name, text, message):
    with pytest.raises(LoadError) as caught:
        load(_write(tmp_path, name, text))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(LoadError, match=r"nowhere\.py: no such file"):
        load(tmp_path / "nowhere.py")


def test_a_file_that_runs_too_long_is_stopped(tmp_path):
    path = _write(tmp_path, "loop.py", "while True:\n    pass\n")
    with pytest.raises(LoadError, match=r"loop\.py did not finish loading within 0\.5 s and was stopped"):
        load(path, timeout=0.5)


def test_no_exec_refuses_python_and_reads_json(tmp_path, example_file, monkeypatch):
    source = example_file("assignment")
    with pytest.raises(LoadError, match=r"with --no-exec only \.json topologies are read"):
        load(source, allow_code=False)
    monkeypatch.setenv("VPCDRAW_NO_EXEC", "1")
    with pytest.raises(LoadError, match="which vpcdraw would run as code"):
        load(source)
    json_file = _write(tmp_path, "a.json", to_json(load(source, allow_code=True)))
    assert load(json_file).name == "assignment"


RUNAWAY = {
    "catches.py": ("while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n"
                   "        pass\n", r"catches\.py did not finish loading within 1 s and was stopped"),
    "alarm.py": ("import signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\ntime.sleep(1000)\n",
                 r"alarm\.py did not finish loading within 1 s and was stopped"),
    "thread.py": ("import threading, time\nfrom vpcdraw import TopologyBuilder\n"
                  "threading.Thread(target=time.sleep, args=(1000,)).start()\n"
                  "topology = TopologyBuilder('t', region='ap-northeast-2')\n",
                  r"thread\.py did not finish loading within 1 s and was stopped"),
    "exits.py": ("import os\nos._exit(0)\n", r"exits\.py exited while loading \(exit status 0\) and built no topology"),
}


@pytest.mark.parametrize("threads", [False, True], ids=["as called", "with a thread"])
@pytest.mark.parametrize("name", sorted(RUNAWAY))
def test_a_runaway_file_is_stopped_whether_or_not_the_caller_has_threads(tmp_path, name, threads):
    import threading

    text, message = RUNAWAY[name]
    path = _write(tmp_path, name, text)
    stop = threading.Event()
    if threads:  # a process with threads has its files forked by the loader server, not forked itself
        threading.Thread(target=stop.wait, daemon=True).start()
    try:
        with pytest.raises(LoadError, match=message):
            load(path, timeout=1)
        assert load(_write(tmp_path, "fine.py", "from vpcdraw import TopologyBuilder\n"
                                                "topology = TopologyBuilder('fine', region='ap-northeast-2')\n"
                           )).name == "fine"
    finally:
        stop.set()


def test_a_script_that_loads_at_top_level_with_threads_runs_once(tmp_path, example_file):
    import subprocess
    import sys

    marker = tmp_path / "runs.txt"
    script = _write(tmp_path, "script.py", "import threading\nfrom vpcdraw.topology import load\n"
                                           f"open({str(marker)!r}, 'a').write('ran\\n')\n"
                                           "threading.Thread(target=threading.Event().wait, daemon=True).start()\n"
                                           f"print(load({str(example_file('assignment'))!r}).name)\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout) == (0, "assignment\n"), done.stderr
    assert marker.read_text() == "ran\n"  # no child process ran the caller's main script again


def test_a_folder_a_device_and_nul_bytes_are_named_for_what_they_are(tmp_path):
    """Before: `/dev/null: no such file`, a folder the same, and `line None: syntax error` for a NUL byte."""
    with pytest.raises(LoadError, match="is a folder; give the topology file in it"):
        load(tmp_path)
    with pytest.raises(LoadError, match=r"^/dev/null is not a regular file \(a device or a pipe\)"):
        load("/dev/null")
    nul = tmp_path / "nul.py"
    nul.write_bytes(b"x = 1\x00\n")
    with pytest.raises(LoadError) as raised:
        load(nul)
    assert str(raised.value) == f"{nul} line 1: a NUL byte, which Python source cannot hold; is it a text file?"
