"""`pipeline-ops spark-connect` refuses a master it cannot serve and a port in use with one line (no JVM started).

Malformed --port and --driver-memory values are refused by the parser (test_cli_errors.py).

The server itself is exercised where it is used: test_spark_resource.py's Connect session and the
end-to-end test, where `make run`'s script starts it and a daemon-launched run attaches to it."""

from __future__ import annotations

import socket

import pytest

from pipeline_ops.cli.main import main


@pytest.mark.parametrize(("argv", "flag"), [
    (["--master", "sc://127.0.0.1:15002"], "--master 'sc://127.0.0.1:15002' is not a master the server can run on"),
    (["--master", "mesos://x"], "--master 'mesos://x' is not a master the server can run on"),
])
def test_a_bad_flag_is_one_line_naming_it(argv, flag, capsys, tmp_path):
    assert main(["spark-connect", "--work-dir", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert flag in err and "\n" not in err and "Traceback" not in err


def test_a_port_in_use_is_refused_before_any_jvm_starts(capsys, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["spark-connect", "--port", str(port), "--work-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert f"127.0.0.1:{port} is already in use" in err and "\n" not in err
    assert not any(tmp_path.iterdir())  # nothing started, nothing written
