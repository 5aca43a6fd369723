"""The runtime layer: what every process needs and no business rule (languages, local time).

Nothing here imports the case, Kafka-adapter, command or projection code, so both the write side
and the read side may use it.
"""
