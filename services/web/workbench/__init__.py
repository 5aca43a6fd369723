"""The agency workbench (``/work``): for agencies without a case system of their own.

An agency officer (a dashboard user with role ``agency_officer`` and an agency) sees what the
backbone expects of their agency and records steps by form. Forms are made from the contract
(``events/schemas``), the vocabulary and the workflow rules; personal data is sealed in the
browser; steps go through the agency API's path (the agency's own intake topic).
"""
