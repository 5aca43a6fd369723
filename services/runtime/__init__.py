"""The runtime layer: what every process needs and no business rule.

Typed settings read once from ``BACKBONE_*`` (``settings``), structured logs (``logs``), the
database engine (``database``) and table creation (``tables``), the stop flag and the process
supervisor (``supervisor``), Kafka client settings and the reliable producer (``kafkaclients``),
Prometheus metrics (``metrics``), languages and local time (``i18n``, ``sentences``), the strict
TOML reader (``tomlfile``).

Nothing here imports the case, Kafka-adapter, command or projection code, so both the write side
and the read side may use it (``tests/unit/test_import_rules.py``).
"""
