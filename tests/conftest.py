import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def data_dir(tmp_path_factory):
    """One data dir for the whole session (corpora build once), unless the caller set one."""
    if not os.environ.get("DEEPTASKS_DATA"):
        os.environ["DEEPTASKS_DATA"] = str(tmp_path_factory.mktemp("deeptasks-data"))
    return os.environ["DEEPTASKS_DATA"]


@pytest.fixture
def error_line(capsys):
    """The one line a user error printed on stderr (checked to be exactly one)."""

    def read() -> str:
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1, err
        assert err[0].startswith("deeptasks: error: ")
        return err[0]

    return read


@pytest.fixture(scope="session")
def train_smoke(tmp_path_factory):
    """``train_smoke(TASK)``: the run folder of ``deeptasks train TASK --preset smoke``
    (checked to succeed), trained once per session and shared by the contract tests and
    the task's own tests. Tests read it and write their outputs elsewhere."""
    from deeptasks.cli import main

    runs: dict[str, object] = {}

    def train(task: str):
        if task not in runs:
            workdir = tmp_path_factory.mktemp(task) / "run"
            assert main(["train", task, "--preset", "smoke", "--workdir", str(workdir)]) == 0
            runs[task] = workdir
        return runs[task]

    return train


def pytest_configure(config):
    """pytest resets warning filters around every test phase; give it the package's own
    filters of harmless library warnings (``deeptasks.KNOWN_WARNINGS``, the one list), so
    a test sees what a user sees."""
    from deeptasks import KNOWN_WARNINGS

    for message, category in KNOWN_WARNINGS.items():
        config.addinivalue_line("filterwarnings", f"ignore:{message}:{category.__name__}")
