"""The HTTP API for agency systems: submit steps, read the inbox, rejections and stalled cases.

``create_api(settings)`` builds the FastAPI application; ``backbone serve`` mounts it at
``/api`` and ``backbone api serve`` runs it alone (see ``docs/API.md``).
"""
