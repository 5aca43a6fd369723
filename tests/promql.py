"""The metric names a PromQL expression reads, and the expressions of the shipped rule and
dashboard files, to check them against what the processes expose."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

PROMETHEUS_DIR = Path(__file__).resolve().parent.parent / "deploy" / "prometheus"
KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left"}
KEYWORDS |= {"group_right", "offset", "bool", "inf", "nan"}
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_NAME = re.compile(r"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*")


def metric_names(expression: str) -> set[str]:
    """Identifiers that name series: not functions, keywords, labels, durations or numbers."""
    text = _STRINGS.sub('""', expression)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = _GROUPING.sub("", text)
    return {
        found[0]
        for found in _NAME.finditer(text)
        if found[0].lower() not in KEYWORDS and not text[found.end() :].lstrip().startswith("(")
    }


def rule_expressions() -> dict[str, str]:
    """Alert name -> expression, from ``alerts.yml``."""
    groups = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text(encoding="utf-8"))
    return {
        rule["alert"]: str(rule["expr"]) for group in groups["groups"] for rule in group["rules"]
    }


def dashboard_expressions() -> dict[str, str]:
    """Panel title -> expression, from the Grafana dashboard."""
    path = PROMETHEUS_DIR / "grafana-dashboard.json"
    dashboard = json.loads(path.read_text(encoding="utf-8"))
    return {
        f"{panel['title']} ({target['refId']})": target["expr"]
        for panel in dashboard["panels"]
        for target in panel["targets"]
    }
