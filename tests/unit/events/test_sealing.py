import pytest

from events import ContractError, Reason, generate_keypair, open_sealed, public_key_of, seal

CLEAR = "Nguyễn Thị Lan, 2011-06-02".encode()


def test_what_is_sealed_opens_with_the_private_key() -> None:
    keys = generate_keypair()
    assert open_sealed(keys.private_key, seal(keys.public_key, CLEAR)) == CLEAR


def test_a_sealed_blob_does_not_hold_the_clear_text() -> None:
    sealed = seal(generate_keypair().public_key, CLEAR)
    assert CLEAR not in sealed and b"Lan" not in sealed


def test_sealing_twice_gives_different_blobs() -> None:
    public_key = generate_keypair().public_key
    assert seal(public_key, CLEAR) != seal(public_key, CLEAR)


def test_another_private_key_cannot_open_it() -> None:
    sealed = seal(generate_keypair().public_key, CLEAR)
    with pytest.raises(ContractError) as caught:
        open_sealed(generate_keypair().private_key, sealed)
    assert caught.value.reason == Reason.NOT_OPENABLE


def test_a_damaged_blob_cannot_be_opened() -> None:
    keys = generate_keypair()
    sealed = seal(keys.public_key, CLEAR)
    with pytest.raises(ContractError) as caught:
        open_sealed(keys.private_key, sealed[:-1] + bytes([sealed[-1] ^ 1]))
    assert caught.value.reason == Reason.NOT_OPENABLE


def test_the_public_key_is_derived_from_the_private_key() -> None:
    keys = generate_keypair()
    assert public_key_of(keys.private_key) == keys.public_key


@pytest.mark.parametrize("key", ["not base64!", "c2hvcnQ="], ids=["not-base64", "too-short"])
def test_a_malformed_key_is_refused(key: str) -> None:
    with pytest.raises(ContractError) as caught:
        seal(key, CLEAR)
    assert caught.value.reason == Reason.BAD_KEY
