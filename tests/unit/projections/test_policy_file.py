"""The policy files go through the strict TOML reader: a typo or a wrong type names file, table
and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from projections.policyfile import DEFAULT_POLICY_PATH, load_policy
from services.runtime.tomlfile import ConfigFileError


def test_an_unknown_key_in_a_rule_is_refused_naming_file_table_and_key(tmp_path: Path) -> None:
    broken = tmp_path / "policy.toml"
    broken.write_text('[[rules]]\nid = "x"\ncitatoin = "a"\n', encoding="utf-8")
    with pytest.raises(ConfigFileError) as refused:
        load_policy(broken)
    error = refused.value
    assert (error.reason, error.path, error.table, error.key) == (
        "config_unknown_key",
        broken,
        "rules[1]",
        "citatoin",
    )
    assert str(broken) in str(error) and "'citatoin'" in str(error)


def test_a_wrong_type_in_an_override_is_refused_naming_file_table_and_key(tmp_path: Path) -> None:
    override = tmp_path / "province.toml"
    override.write_text("[settings]\nroll_over_rest_days = 1\n", encoding="utf-8")
    with pytest.raises(ConfigFileError) as refused:
        load_policy(DEFAULT_POLICY_PATH, override)
    error = refused.value
    assert (error.reason, error.table, error.key) == (
        "config_wrong_type",
        "settings",
        "roll_over_rest_days",
    )
    assert str(override) in str(error)


def test_malformed_toml_is_refused_naming_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "policy.toml"
    broken.write_text("[[rules]\n", encoding="utf-8")
    with pytest.raises(ConfigFileError, match="not valid TOML") as refused:
        load_policy(broken)
    assert refused.value.reason == "config_syntax"


SHIPPED = Path(__file__).resolve().parents[3] / "deploy" / "config"


def test_the_shipped_audit_and_digest_files_load() -> None:
    from services.audit.policy import load_policy as load_audit
    from services.cases.agencies import load_agencies
    from services.digest import load_recipients

    assert load_audit(SHIPPED).witnesses
    assert load_recipients(SHIPPED, load_agencies(SHIPPED))


def test_an_unknown_key_in_the_audit_file_is_refused_naming_it(tmp_path: Path) -> None:
    from services.audit.policy import load_policy as load_audit

    (tmp_path / "audit.toml").write_text("witness = []\n", encoding="utf-8")
    with pytest.raises(ConfigFileError) as refused:
        load_audit(tmp_path)
    assert (refused.value.reason, refused.value.table, refused.value.key) == (
        "config_unknown_key",
        "(top level)",
        "witness",
    )


def test_a_wrong_type_in_the_digest_file_is_refused_naming_it(tmp_path: Path) -> None:
    from services.cases.agencies import load_agencies
    from services.digest import load_recipients

    (tmp_path / "digest.toml").write_text(
        '[[recipient]]\nagency = "a"\nemail = 7\n', encoding="utf-8"
    )
    with pytest.raises(ConfigFileError) as refused:
        load_recipients(tmp_path, load_agencies(SHIPPED))
    assert (refused.value.reason, refused.value.table, refused.value.key) == (
        "config_wrong_type",
        "recipient[1]",
        "email",
    )
    assert str(tmp_path / "digest.toml") in str(refused.value)


def test_the_command_line_shows_a_refused_file_as_one_line_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from services.commands.errors import USER_MISTAKE, run_guarded

    broken = tmp_path / "policy.toml"
    broken.write_text('[[rules]]\nid = "x"\ncitatoin = "a"\n', encoding="utf-8")

    def command(args: argparse.Namespace) -> int:
        load_policy(broken)
        return 0

    args = argparse.Namespace(func=command, json=True, lang="en")
    assert run_guarded(args, tmp_path) == USER_MISTAKE
    out, err = capsys.readouterr()
    assert '"error": "config_unknown_key"' in out
    assert err.count("\n") == 1 and "citatoin" in err and "Traceback" not in err
