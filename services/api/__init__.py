"""The HTTP API for agency systems: submit steps, read the inbox, rejections and stalled cases.

``create_api(settings, backend)`` builds the FastAPI application (``wiring.build_api`` gives
it its backend); ``backbone serve`` mounts it at
``/api`` and ``backbone api serve`` runs it alone (see ``docs/API.md``).
"""
