"""Earlier versions of the schemas, kept so messages written with them stay readable."""
