from __future__ import annotations

import pytest

from vrm.crypto.envelope import FORMAT_VERSION, HEADER, NONCE_BYTES, OVERHEAD, Sealer, key_id_of, new_key
from vrm.errors import IntegrityError

AAD = b"customer|table|column|row"


@pytest.fixture
def sealer() -> Sealer:
    return Sealer(7, new_key())


def test_sealed_value_opens_with_the_same_associated_data(sealer: Sealer) -> None:
    assert sealer.open(sealer.seal(b"hello", AAD), AAD) == b"hello"


def test_ciphertext_names_its_format_version_and_key(sealer: Sealer) -> None:
    blob = sealer.seal(b"x", AAD)
    assert HEADER.unpack_from(blob) == (FORMAT_VERSION, 7)
    assert key_id_of(blob) == 7
    assert len(blob) == OVERHEAD + 1


def test_each_seal_uses_a_fresh_nonce(sealer: Sealer) -> None:
    nonces = {sealer.seal(b"same", AAD)[HEADER.size : HEADER.size + NONCE_BYTES] for _ in range(200)}
    assert len(nonces) == 200


def test_plaintext_does_not_appear_in_the_ciphertext(sealer: Sealer) -> None:
    assert b"distinctive-secret" not in sealer.seal(b"distinctive-secret", AAD)


@pytest.mark.parametrize("position", range(OVERHEAD + 5))
def test_any_changed_byte_is_detected(sealer: Sealer, position: int) -> None:
    blob = bytearray(sealer.seal(b"hello", AAD))
    blob[position] ^= 0x01
    with pytest.raises(IntegrityError):
        sealer.open(bytes(blob), AAD)


def test_other_associated_data_fails_to_open(sealer: Sealer) -> None:
    with pytest.raises(IntegrityError):
        sealer.open(sealer.seal(b"hello", AAD), AAD + b"x")


def test_another_key_with_the_same_id_fails_to_open(sealer: Sealer) -> None:
    with pytest.raises(IntegrityError):
        Sealer(7, new_key()).open(sealer.seal(b"hello", AAD), AAD)


@pytest.mark.parametrize("blob", [b"", b"\x01\x00", b"\x01" + bytes(OVERHEAD - 2)])
def test_truncated_ciphertext_is_an_integrity_error(sealer: Sealer, blob: bytes) -> None:
    with pytest.raises(IntegrityError, match="truncated"):
        sealer.open(blob, AAD)


def test_unknown_format_version_is_an_integrity_error(sealer: Sealer) -> None:
    blob = b"\x02" + sealer.seal(b"hello", AAD)[1:]
    with pytest.raises(IntegrityError, match="format version 2"):
        sealer.open(blob, AAD)


def test_only_256_bit_keys_are_accepted() -> None:
    with pytest.raises(ValueError):
        Sealer(1, b"\x00" * 16)
