import collections
import json
import uuid

import pytest
from django.test import override_settings

from ombud.vault import crypto, keys, personal, receipts
from ombud.vault import services as vault
from ombud.vault.errors import KeyUnavailable, Tampered
from ombud.vault.models import KeyWrap


def test_sealed_content_opens_only_with_its_own_context():
    key = crypto.new_key()
    blob = crypto.seal(key, b"secret", b"report|1")
    assert crypto.open_sealed(key, blob, b"report|1") == b"secret"
    with pytest.raises(Tampered):
        crypto.open_sealed(key, blob, b"report|2")


def test_flipped_bit_fails_authentication():
    key = crypto.new_key()
    blob = bytearray(crypto.seal(key, b"secret", b"ctx"))
    blob[-1] ^= 1
    with pytest.raises(Tampered):
        crypto.open_sealed(key, bytes(blob), b"ctx")


@pytest.mark.parametrize("blob", [b"", b"\x01", b"\x02" + b"\0" * 40])
def test_malformed_ciphertext_is_refused(blob):
    with pytest.raises(Tampered):
        crypto.open_sealed(crypto.new_key(), blob, b"ctx")


def test_padding_hides_length_within_a_bucket_and_round_trips():
    short, longer = crypto.pad(b"a"), crypto.pad(b"a" * 200)
    assert len(short) == len(longer) == 256
    assert len(crypto.pad(b"a" * 300)) == 512
    assert crypto.unpad(longer) == b"a" * 200


@pytest.mark.django_db
def test_case_key_is_wrapped_per_recipient_and_opened_by_each():
    keyring = uuid.uuid4()
    report_id = uuid.uuid4()
    receipt = receipts.new_receipt()
    case_key = vault.create_keyring(
        keyring, [vault.ServerRecipient.active(), vault.ReceiptRecipient(receipt, report_id)]
    )
    blob = case_key.seal("report", report_id, {"what_happened": "x"})
    by_server = vault.open_as_server(keyring)
    by_reporter = vault.open_keyring(keyring, vault.ReceiptRecipient(receipt, report_id))
    assert by_server.open("report", report_id, blob) == {"what_happened": "x"}
    assert by_reporter.open("report", report_id, blob) == {"what_happened": "x"}
    with pytest.raises(Tampered):
        vault.open_keyring(keyring, vault.ReceiptRecipient(receipts.new_receipt(), report_id))
    assert KeyWrap.objects.filter(keyring=keyring).count() == 2


def _people(count: int) -> tuple[list, list]:
    """(recipients to seal to, the same people holding their private keys)."""
    pairs = [personal.new_key_pair() for _ in range(count)]
    return [vault.PersonRecipient(n, public_key=public) for n, (public, _) in enumerate(pairs)], [
        vault.PersonRecipient(n, private_key=private) for n, (_, private) in enumerate(pairs)
    ]


def test_the_readers_boxes_of_one_case_key_share_an_ephemeral_key_yet_open_one_each():
    to, holders = _people(3)
    keyring = uuid.uuid4()
    case_key, wraps = vault.new_keyring(keyring, [*to, vault.ServerRecipient.active()])
    boxes = [bytes(w.wrapped) for w in wraps[:3]]
    # One ephemeral public key in front of every person's box, each box its own key.
    assert len({box[:32] for box in boxes}) == 1
    assert len({box[32:] for box in boxes}) == 3
    context = vault._wrap_context
    for recipient, holder, box in zip(to, holders, boxes, strict=True):
        assert holder.unwrap(keyring, box, context(keyring, recipient)) == case_key._raw
        for other in holders:
            if other is not holder:
                with pytest.raises(Tampered):
                    other.unwrap(keyring, box, context(keyring, recipient))
    # Another case key, another sealing: another ephemeral key.
    _again, rewraps = vault.new_keyring(uuid.uuid4(), to)
    assert bytes(rewraps[0].wrapped)[:32] != boxes[0][:32]
    granted = {bytes(w.wrapped)[:32] for w in vault.wraps_for(case_key, to)}
    assert len(granted) == 1
    assert granted != {boxes[0][:32]}


def test_a_sealing_without_a_person_makes_no_key_pair(monkeypatch):
    made = []
    generate = personal.X25519PrivateKey.generate
    monkeypatch.setattr(personal.X25519PrivateKey, "generate", lambda: made.append(1) or generate())
    people = _people(4)[0]
    made.clear()
    vault.new_keyring(uuid.uuid4(), [vault.ServerRecipient.active()])
    assert made == []
    vault.new_keyring(uuid.uuid4(), people)
    assert made == [1]


@pytest.mark.django_db
def test_a_case_without_a_wrap_for_the_recipient_is_unavailable():
    with pytest.raises(KeyUnavailable):
        vault.open_as_server(uuid.uuid4())


def test_receipts_are_normalised_forgivingly_and_rejected_when_malformed():
    receipt = receipts.new_receipt()
    shown = receipts.display(receipt)
    assert shown.count("-") == 6
    assert receipts.normalise(shown.lower()) == receipt
    assert receipts.normalise(" ".join(shown.split("-"))) == receipt
    assert receipts.normalise("O" + receipt[1:]) == "0" + receipt[1:]
    assert receipts.normalise("I" + receipt[1:]) == "1" + receipt[1:]
    assert receipts.normalise(receipt[:-1]) is None
    assert receipts.normalise("U" * receipts.LENGTH) is None
    assert receipts.normalise("x" * 500) is None
    assert receipts.normalise(None) is None


def test_receipts_do_not_repeat():
    assert len({receipts.new_receipt() for _ in range(2000)}) == 2000


def test_receipt_characters_are_drawn_evenly_from_the_whole_alphabet():
    drawn = collections.Counter("".join(receipts.new_receipt() for _ in range(2000)))
    assert set(drawn) == set(receipts.ALPHABET)
    expected = 2000 * receipts.LENGTH / len(receipts.ALPHABET)  # 1,750 each
    # Six standard deviations (about 250) either way: a biased draw (one character in
    # five more often, say) falls outside, chance does not.
    assert all(abs(count - expected) < 0.15 * expected for count in drawn.values()), drawn


def test_missing_key_file_is_a_clear_error_naming_no_secret(tmp_path):
    with override_settings(VAULT_KEY_FILE=tmp_path / "absent.json"):
        keys.load.cache_clear()
        try:
            with pytest.raises(KeyUnavailable, match="key file is missing"):
                keys.load()
        finally:
            keys.load.cache_clear()


def test_damaged_key_file_is_a_clear_error(tmp_path):
    path = tmp_path / "damaged.json"
    path.write_text(json.dumps({"format": keys.FORMAT, "active": "k1", "wrap_keys": {}}))
    with override_settings(VAULT_KEY_FILE=path):
        keys.load.cache_clear()
        try:
            with pytest.raises(KeyUnavailable, match="damaged"):
                keys.load()
        finally:
            keys.load.cache_clear()


def test_key_file_is_private_and_never_replaced(tmp_path):
    path = tmp_path / "keys" / "vault.json"
    with override_settings(VAULT_KEY_FILE=path):
        try:
            keys.create()
            assert path.stat().st_mode & 0o777 == 0o600
            with pytest.raises(FileExistsError):
                keys.create()
        finally:
            keys.load.cache_clear()
