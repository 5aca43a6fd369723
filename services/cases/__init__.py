"""The case context: the aggregate and its rules (domainmodel, workflow), tamper evidence
(chain), personal-data keys (privacy), the agency directory (agencies) and the use cases
(application)."""
