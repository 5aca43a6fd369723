"""The current Avro schemas of the contract, one `.avsc` per record (package data)."""
