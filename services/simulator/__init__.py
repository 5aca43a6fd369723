"""A simulated Ninh Thuận province: agencies publishing realistic case flows over Kafka.

The pure core (no I/O, seeded ``random.Random``): :mod:`.province` (who acts where),
:mod:`.personas` (synthetic personal data), :mod:`.tracks` / :mod:`.social` / :mod:`.criminal` /
:mod:`.stories` (a case's steps and when they happen, timed against the deadline policy), and
:mod:`.schedule` (when each step is published). The edges: :mod:`.deadlines` (the real policy as a
due clock), :mod:`.runner` (the publishing loop) and :mod:`.wiring` (built from the settings).

Time scheme (see :mod:`.schedule`): each case is released at a wall-clock instant ``now``; its
story is back-dated so that it began days or months before ``now``. Steps whose time is already
past are published at once (a short gap apart, in order); steps still in the future are published
when their compressed time comes, ``now + (planned - now) / speed``, and carry that publication
instant as ``occurred_at``, so no step ever claims to have happened in the future.
"""
