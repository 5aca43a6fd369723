"""Operations: backups that restore, the erasure list, the operator's status."""
