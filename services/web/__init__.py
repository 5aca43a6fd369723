"""The supervisors' dashboard: server-rendered pages over the read models (``backbone serve``)."""
