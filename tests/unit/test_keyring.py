from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from vrm.crypto.derive import normalize_email
from vrm.crypto.envelope import key_id_of
from vrm.crypto.keyring import KeyRing
from vrm.errors import ConfigError, IntegrityError, KeyRingError

AAD = b"data-key-aad"


def saved(tmp_path: Path, environment: str = "development") -> KeyRing:
    ring = KeyRing.generate(environment)
    ring.save(tmp_path / "ring.json")
    return ring


def test_saved_ring_is_owner_only_and_loads_back(tmp_path: Path) -> None:
    ring = saved(tmp_path)
    assert stat.S_IMODE((tmp_path / "ring.json").stat().st_mode) == 0o600
    loaded = KeyRing.load(tmp_path / "ring.json")
    assert loaded.keys == ring.keys and loaded.primary == 1 and loaded.fingerprint == ring.fingerprint


def test_missing_ring_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(KeyRingError, match="vrm keys init"):
        KeyRing.load(tmp_path / "absent.json")


def test_ring_readable_by_others_is_refused(tmp_path: Path) -> None:
    saved(tmp_path)
    (tmp_path / "ring.json").chmod(0o644)
    with pytest.raises(KeyRingError, match="chmod 600"):
        KeyRing.load(tmp_path / "ring.json")


@pytest.mark.parametrize(
    "content", ["", "{", "[]", '{"format": "other"}', '{"format": "vrm-keyring/1", "keys": [], "primary": 1}']
)
def test_damaged_ring_is_refused_clearly(tmp_path: Path, content: str) -> None:
    path = tmp_path / "ring.json"
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(KeyRingError, match="damaged"):
        KeyRing.load(path)


def test_data_key_wrapped_by_an_older_version_still_opens_after_a_new_primary(tmp_path: Path) -> None:
    ring = saved(tmp_path)
    wrapped = ring.wrap(b"k" * 32, AAD)
    assert ring.add_primary() == 2
    assert ring.unwrap(wrapped, AAD) == b"k" * 32
    assert ring.wrap(b"k" * 32, AAD)[1:5] == (2).to_bytes(4, "big")


def test_retired_key_can_no_longer_open_what_it_wrapped(tmp_path: Path) -> None:
    ring = saved(tmp_path)
    wrapped = ring.wrap(b"k" * 32, AAD)
    ring.add_primary()
    ring.retire(1)
    ring.save()
    with pytest.raises(KeyRingError, match="does not hold key 1"):
        ring.unwrap(wrapped, AAD)


def test_primary_key_cannot_be_retired(tmp_path: Path) -> None:
    with pytest.raises(KeyRingError, match="primary"):
        saved(tmp_path).retire(1)


def test_wrapped_key_is_bound_to_its_associated_data(tmp_path: Path) -> None:
    ring = saved(tmp_path)
    with pytest.raises(IntegrityError):
        ring.unwrap(ring.wrap(b"k" * 32, AAD), b"another customer")


def test_a_process_picks_up_a_key_another_process_added(tmp_path: Path) -> None:
    running = saved(tmp_path)
    rotator = KeyRing.load(tmp_path / "ring.json")
    rotator.add_primary()
    rotator.save()
    wrapped_by_new_key = rotator.wrap(b"k" * 32, AAD)
    assert running.unwrap(wrapped_by_new_key, AAD) == b"k" * 32
    assert running.primary == 2


def test_a_running_process_wraps_under_the_primary_another_process_rotated_to(tmp_path: Path) -> None:
    running = saved(tmp_path)
    rotator = KeyRing.load(tmp_path / "ring.json")
    rotator.add_primary()
    rotator.save()
    assert key_id_of(running.wrap(b"k" * 32, AAD)) == 2


def test_production_refuses_a_development_ring(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="VRM_KEYRING_FILE"):
        saved(tmp_path).require_production_ready(production=True)
    KeyRing.generate("production").require_production_ready(production=True)


def test_blind_index_matches_normalized_emails_and_depends_on_the_ring() -> None:
    ring = KeyRing.generate("development")
    assert ring.blind_index.of_email(" Ana@Example.org") == ring.blind_index.of_email("ana@example.org")
    assert ring.blind_index.of_email("ana@example.org") != ring.blind_index.of_email("ana2@example.org")
    assert KeyRing.generate("development").blind_index.of_email(
        "ana@example.org"
    ) != ring.blind_index.of_email("ana@example.org")


def test_blind_index_key_is_not_an_encryption_key() -> None:
    ring = KeyRing.generate("development")
    assert ring.blind_index._key not in (*ring.keys.values(), ring.derivation_secret)


def test_email_normalization_folds_compatibility_forms() -> None:
    fullwidth_ana = "\uff21\uff2e\uff21@example.org "
    assert normalize_email(fullwidth_ana) == "ana@example.org"


def test_ring_file_lists_its_keys_and_environment(tmp_path: Path) -> None:
    saved(tmp_path)
    document = json.loads((tmp_path / "ring.json").read_text())
    assert document["primary"] == 1 and document["environment"] == "development"
    assert [key["id"] for key in document["keys"]] == [1]


def test_repr_never_shows_key_material() -> None:
    ring = KeyRing.generate("development")
    from hypothesis.vendor.pretty import pretty

    for shown in (repr(ring), pretty(ring)):
        assert "primary=1" in shown
        for secret in (*ring.keys.values(), ring.derivation_secret):
            assert repr(secret) not in shown and secret.hex() not in shown


def test_failed_edit_leaves_the_ring_as_it_is_on_disk(tmp_path: Path) -> None:
    ring = saved(tmp_path)
    with pytest.raises(RuntimeError), ring.editing():
        ring.add_primary()
        raise RuntimeError("disk full")
    assert ring.primary == 1 and set(ring.keys) == {1}
    assert key_id_of(ring.wrap(b"k" * 32, AAD)) == 1


def test_a_ring_file_replaced_by_another_ring_is_refused(tmp_path: Path) -> None:
    ring = saved(tmp_path)
    (tmp_path / "ring.json").unlink()
    KeyRing.generate("development").save(tmp_path / "ring.json")
    with pytest.raises(KeyRingError, match="different key ring"):
        ring.wrap(b"k" * 32, AAD)


def test_creating_a_ring_never_overwrites_an_existing_one(tmp_path: Path) -> None:
    saved(tmp_path)
    before = (tmp_path / "ring.json").read_bytes()
    with pytest.raises(KeyRingError, match="already exists"):
        KeyRing.generate("development").save(tmp_path / "ring.json", create=True)
    assert (tmp_path / "ring.json").read_bytes() == before


@pytest.mark.parametrize(
    "change",
    [
        lambda doc: doc["keys"].append(dict(doc["keys"][0])),  # the same id twice
        lambda doc: doc["keys"][0].update(id=2**32),  # does not fit a ciphertext header
        lambda doc: doc.update(rotating_to=7),  # rotating towards a key it does not hold
        lambda doc: doc.update(environment="staging"),
    ],
    ids=["duplicate-id", "id-too-large", "rotating-to-unknown", "unknown-environment"],
)
def test_inconsistent_ring_is_refused_as_damaged(tmp_path: Path, change: Any) -> None:
    saved(tmp_path)
    path = tmp_path / "ring.json"
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))
    with pytest.raises(KeyRingError, match="damaged"):
        KeyRing.load(path)
