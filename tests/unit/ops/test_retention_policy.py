"""The retention policy file: every kind of topic with a figure and a reason, or an error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from services.kafka.retention import HOUR_MS, KINDS, RETENTION_FILE, load_retention
from services.runtime.settings import DEFAULT_CONFIG_DIR


def test_the_shipped_policy_keeps_intake_short_and_case_events_forever() -> None:
    policy = load_retention(DEFAULT_CONFIG_DIR)
    assert set(policy) == set(KINDS)
    assert all(entry.reason for entry in policy.values())
    assert policy["case-events"].configs() == {"retention.ms": "-1"}
    for short in ("intake", "rejected"):
        assert policy[short].hours is not None and policy[short].hours <= 7 * 24
        assert int(policy[short].configs()["segment.ms"]) <= HOUR_MS * 24
    assert policy["checkpoints"].hours is None and policy["cosignatures"].hours is None


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("[alerts]\n", "[alert]\n", "unknown key 'alert'"),
        ('forever = true\nreason = """\nEvery', 'reason = """\nEvery', "exactly one of them"),
        ("retention_hours = 720", "retention_hours = 0", "whole number"),
        (
            "[inbox]\nretention_hours = 720",
            "[inbox]\nforever = true\nretention_hours = 720",
            "exactly one of them",
        ),
    ],
)
def test_a_policy_without_a_clear_figure_is_refused(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    shutil.copy(DEFAULT_CONFIG_DIR / RETENTION_FILE, tmp_path / RETENTION_FILE)
    path = tmp_path / RETENTION_FILE
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_retention(tmp_path)


def test_a_kind_without_a_reason_is_refused(tmp_path: Path) -> None:
    text = (DEFAULT_CONFIG_DIR / RETENTION_FILE).read_text(encoding="utf-8")
    head = text.partition("[cosignatures]\nforever = true\n")
    (tmp_path / RETENTION_FILE).write_text(head[0] + "[cosignatures]\nforever = true\n")
    with pytest.raises(ValueError, match=r"table cosignatures lacks the required key 'reason'"):
        load_retention(tmp_path)
