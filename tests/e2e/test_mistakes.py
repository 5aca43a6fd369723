"""Every everyday mistake gets one line saying what was wrong and what to do, never a traceback.

Each case runs ``backbone ...`` as a person would (a real process) on a fresh home, and checks
the exit code, the words of the message and that stdout stays empty unless ``--json`` was
asked (then it holds one JSON error object).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from deploy.process import free_port
from services.runtime.settings import Settings
from tests.casefactory import new_case_id, payload
from tests.kafkatools import poll_until
from tests.processes import env_for
from tests.processes import run as backbone

NO_CASE = "00000000-0000-0000-0000-000000000000"
FUTURE = "2099-01-01T00:00:00+07:00"
CASE = new_case_id()
MARCH = 1_772_323_200_000  # 1 March 2026, in epoch milliseconds


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """A person who reads English (the words below are the English sentences)."""
    return make_settings(lang="en")


@pytest.fixture
def vietnamese(make_settings: Callable[..., Settings]) -> Settings:
    """A person on the default language, Vietnamese."""
    return make_settings()


def assert_one_line(done: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    """The mistake's exit code, the words in one stderr line, nothing on stdout, no traceback."""
    everything = done.stdout + done.stderr
    assert "Traceback" not in everything, everything
    assert done.returncode == code, everything
    assert done.stdout == "", done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


MISTAKES: dict[str, tuple[list[str], tuple[str, ...]]] = {
    "agency filter typo": (
        ["stalled", "--agency", "polise-ninh-thuan"],
        ("unknown agency 'polise-ninh-thuan'", "Did you mean: police-ninh-thuan", "agencies list"),
    ),
    "unknown area": (["stalled", "--area", "99999"], ("unknown area '99999'",)),
    "role typo": (["stalled", "--role", "receving_point"], ("Did you mean: receiving_point",)),
    "future as-of": (["stalled", "--as-of", FUTURE], ("in the future", "leave it out")),
    "unknown case": (["case", NO_CASE], (f"no case {NO_CASE}", "backbone stalled")),
    "malformed case id": (["case", "3e99acc3…"], ("is not a case id", "a UUID")),
    "case in the future": (["case", CASE, "--as-of", FUTURE], ("in the future",)),
    "history of no case": (["history", NO_CASE], (f"case {NO_CASE} does not exist",)),
    "verify no case": (["verify", NO_CASE], (f"case {NO_CASE} does not exist",)),
    "verify not a uuid": (["verify", "not-a-uuid"], ("'not-a-uuid' is not a case id",)),
    "step typo": (
        ["submit", "CaseReportd", "--agency", "hotline-111", "--case", CASE],
        ("unknown step 'CaseReportd'", "Did you mean: CaseReported"),
    ),
    "agency typo in submit": (
        ["submit", "CaseReported", "--agency", "hotline-11", "--case", CASE],
        ("unknown agency 'hotline-11'", "hotline-111"),
    ),
    "unknown field": (
        ["submit", "TransferredToCommune", "--agency", "hotline-111", "--case", CASE,
         "--field", "comune_code=22741"],
        ("TransferredToCommune has no field comune_code", "its fields are:"),
    ),
    "missing field": (
        ["submit", "CaseReported", "--agency", "hotline-111", "--case", CASE],
        ("CaseReported needs --field", "its fields are:"),
    ),
}  # fmt: skip


# The same mistakes in Vietnamese, the default: the sentence is translated, the values (names,
# ids, commands) come through as typed.
VIETNAMESE: dict[str, tuple[str, ...]] = {
    "agency filter typo": ("không có cơ quan 'polise-ninh-thuan'",
                           "Có phải ý bạn là: police-ninh-thuan", "backbone agencies list"),
    "unknown area": ("không có địa bàn '99999'", "Xem danh sách đầy đủ bằng"),
    "role typo": ("không có vai trò 'receving_point'", "Có phải ý bạn là: receiving_point"),
    "future as-of": ("nằm trong tương lai", "bỏ tùy chọn này"),
    "unknown case": (f"không có vụ việc {NO_CASE}", "backbone stalled"),
    "malformed case id": ("'3e99acc3…' không phải là mã vụ việc", "UUID"),
    "case in the future": ("nằm trong tương lai",),
    "history of no case": (f"vụ việc {NO_CASE} không tồn tại",),
    "verify no case": (f"vụ việc {NO_CASE} không tồn tại",),
    "verify not a uuid": ("'not-a-uuid' không phải là mã vụ việc",),
    "step typo": ("không có bước 'CaseReportd'", "Có phải ý bạn là: CaseReported"),
    "agency typo in submit": ("không có cơ quan 'hotline-11'", "hotline-111"),
    "unknown field": ("TransferredToCommune không có trường comune_code",
                      "các trường của bước này là:"),
    "missing field": ("CaseReported cần --field", "các trường của bước này là:"),
}  # fmt: skip


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_a_mistake_gets_one_line_and_a_non_zero_exit(settings: Settings, mistake: str) -> None:
    argv, words = MISTAKES[mistake]
    line = assert_one_line(backbone(settings, *argv), 2, *words)
    assert "provision" not in line  # a typo is not an agency to provision


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_a_mistake_reads_in_vietnamese_by_default(vietnamese: Settings, mistake: str) -> None:
    argv, _ = MISTAKES[mistake]
    line = assert_one_line(backbone(vietnamese, *argv), 2, *VIETNAMESE[mistake])
    english = MISTAKES[mistake][1][0]
    assert english not in line, line


def test_json_is_asked_for_so_the_error_is_a_json_object_too(vietnamese: Settings) -> None:
    done = backbone(vietnamese, "stalled", "--agency", "polise-ninh-thuan", "--json")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    error = json.loads(done.stdout)
    # The reason and the English detail stay the same for scripts; the message is what was shown.
    assert error["error"] == "unknown_agency"
    assert error["detail"].startswith("unknown agency 'polise-ninh-thuan'.")
    assert error["message"] == done.stderr.strip().removeprefix("backbone: ")
    assert error["message"].startswith("không có cơ quan 'polise-ninh-thuan'.")


def test_a_broker_that_does_not_answer_is_named_with_the_command_that_starts_it(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    address = f"127.0.0.1:{free_port()}"
    settings = make_settings(
        kafka_bootstrap_servers=address, kafka_security_protocol="PLAINTEXT", lang="en"
    )
    fields = tmp_path / "fields.json"
    fields.write_text(json.dumps(payload("CaseReported")), encoding="utf-8")
    began = time.monotonic()
    done = backbone(
        settings, "submit", "CaseReported", "--agency", "hotline-111", "--case", CASE,
        "--json", str(fields),
    )  # fmt: skip
    assert time.monotonic() - began < 30
    assert_one_line(done, 3, f"the broker at {address} does not answer", "backbone run")


def test_a_local_broker_never_started_says_how_to_start_it(settings: Settings) -> None:
    done = backbone(settings, "inbox", "--agency", "hotline-111")
    assert_one_line(done, 3, "start it first", "backbone run")


def test_a_local_broker_never_started_is_told_in_vietnamese(vietnamese: Settings) -> None:
    done = backbone(vietnamese, "inbox", "--agency", "hotline-111")
    assert_one_line(done, 3, "hãy khởi động nó trước", "hãy khởi động hệ thống bằng `backbone run`")


def test_a_wrong_setting_names_the_variable(settings: Settings) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "stalled"],
        env=env_for(settings) | {"BACKBONE_LANG": "fr"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert_one_line(done, 2, "BACKBONE_LANG")


def test_an_unexpected_failure_is_one_line_pointing_at_the_log(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(database_url="nosuchdriver://nowhere/db")
    line = assert_one_line(backbone(settings, "stalled"), 70, "lỗi ngoài dự kiến", "chi tiết")
    log = Path(line.rsplit(" ", 1)[-1])
    assert "Traceback" in log.read_text(encoding="utf-8")


def _ctrl_c_as_at_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_exits_130_quietly(settings: Settings, tmp_path: Path) -> None:
    # `submit --json -` waits for the fields on its standard input: a person presses Ctrl-C.
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "submit", "CaseReported", "--agency",
         "hotline-111", "--case", CASE, "--json", "-"],
        env=env_for(settings),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As at a terminal, Ctrl-C is not ignored: a suite started in the background by a
        # shell without job control (`bash .ci/run &`) passes on SIGINT ignored, and Python
        # then leaves it so, which would make this test wait for a signal that never acts.
        preexec_fn=_ctrl_c_as_at_a_terminal,
    )  # fmt: skip
    try:
        wchan = Path(f"/proc/{proc.pid}/wchan")
        poll_until(lambda: wchan.read_text().endswith("pipe_read"), 60, "waiting for its input")
        proc.send_signal(signal.SIGINT)
        # Its input stays open, as at a terminal: closing it at once (communicate() does) could
        # wake the read with an end of input before the signal, an empty --json instead of Ctrl-C.
        proc.wait(timeout=30)
        assert proc.stdout is not None and proc.stderr is not None
        out, err = proc.stdout.read(), proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == 130
    assert out == "" and err == "", err


SUBMIT_JSON = ["submit", "CaseReported", "--agency", "hotline-111", "--case", CASE, "--json"]


@pytest.mark.parametrize(
    ("typed", "english", "vietnamese_words"),
    [
        ("{channel: hotline_111}", "--json - is not JSON (line 1, column 2)",
         "--json - không phải là JSON (dòng 1, cột 2)"),
        ("", "--json - holds no JSON object of fields", "--json - không chứa một đối tượng JSON"),
        ('["hotline_111"]', "--json - holds no JSON object of fields",
         "--json - không chứa một đối tượng JSON"),
    ],
    ids=["not json", "nothing typed", "a list"],
)  # fmt: skip
def test_fields_that_are_no_json_object_are_refused_with_where_to_look(
    settings: Settings, vietnamese: Settings, typed: str, english: str, vietnamese_words: str
) -> None:
    done = backbone(settings, *SUBMIT_JSON, "-", stdin=typed)
    assert_one_line(done, 2, english, "one JSON object with names in double quotes")
    done = backbone(vietnamese, *SUBMIT_JSON, "-", stdin=typed)
    assert_one_line(done, 2, vietnamese_words, "tên trường đặt trong dấu ngoặc kép")


def test_a_json_file_that_is_not_there_is_refused_with_its_path(
    settings: Settings, tmp_path: Path
) -> None:
    missing = tmp_path / "fields.jsn"
    done = backbone(settings, *SUBMIT_JSON, str(missing))
    assert_one_line(done, 2, f"cannot read --json {missing} as text", "check the path")


def test_a_wrong_anchor_on_an_intact_case_says_the_anchor_does_not_match(
    settings: Settings,
) -> None:
    from services.cases.application import CaseService

    service = CaseService.from_settings(settings)
    try:
        service.record(CASE, "CaseReported", payload("CaseReported"), "hotline-111", "s1", MARCH)
    finally:
        service.close()
    done = backbone(settings, "verify", CASE, "--head", "1:" + "0" * 64)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "anchor does not match" in done.stdout and "altered" not in done.stdout
