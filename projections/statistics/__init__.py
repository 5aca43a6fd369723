"""The statistics read model: case attributes for counts, and the figures of periodic reports.

Its tables live in the same read model as the stalled cases (``ReadModel``), are written by the
same projector in the same transaction as the other rows and the Kafka positions, and are
rebuilt and compared by ``backbone projections rebuild`` like the others. Times between steps
come from the timeline, obligations met on time or late from the obligations table; only what
those do not keep (the report's vocabulary fields) is stored here. No personal data: the sealed
part of a report never reaches the projection.
"""
