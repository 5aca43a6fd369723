"""Transparency log, witnesses, evidence bundles and the access log (issue 16)."""
