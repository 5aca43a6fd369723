"""The intake's rules, without a broker: what an agency's record becomes and what goes back.

``translator`` turns a record read from ``<prefix>.intake.<agency>`` into a step request for
the case service or a refusal; ``holding`` is the hold rule (a step read before what it builds
on waits a moment) and the causal merge of several agencies' topics; ``rejection`` is the record
published on ``<prefix>.rejected.<agency>``; ``recording`` asks the case service for a batch.
Nothing here imports Kafka (a unit test checks it): the loop in ``services.kafka.intake`` polls,
publishes and commits around these rules, so every rule is tested in milliseconds.
"""
