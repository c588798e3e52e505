"""A report's fingerprint: near-identical reports share parts of it, different ones don't.

MinHash over the text's shingles (word triples, or character 4-grams for short texts
and scripts written without spaces), eight hash functions in four bands of two
(locality-sensitive hashing): two reports whose shingles overlap by 80 % share a
band with probability 0.98, by 30 % with 0.31, unrelated ones practically never.
The shingles are hashed with a key derived from the server's lookup key, so the
stored fingerprint says nothing about the text; it is computed before sealing and
only it is kept.
"""

import hashlib
import hmac
import re
import struct
import unicodedata
from functools import cache

from ombud.vault import keys

BANDS = 4
# Junk floods are templated: the opening of a report is enough to group them, and the
# cost stays bounded whatever the length.
CHARACTERS = 3000
_WORDS = re.compile(r"\w+")
_EIGHT = struct.Struct("<8I")


@cache
def _key(lookup_key: bytes) -> bytes:
    return hmac.new(lookup_key, b"report fingerprint", hashlib.sha256).digest()


def _shingles(text: str) -> set[str]:
    normal = unicodedata.normalize("NFKC", text[:CHARACTERS]).casefold()
    words = _WORDS.findall(normal)
    if len(words) >= 8:
        return {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}
    joined = " ".join(words)
    if len(joined) < 4:
        return {joined} if joined else set()
    return {joined[i : i + 4] for i in range(len(joined) - 3)}


def fingerprint(text: str) -> str:
    """Four bands of 8 hex digits each; empty for a text with no words."""
    shingles = _shingles(text)
    if not shingles:
        return ""
    key = _key(keys.load().lookup_key)
    rows = [
        _EIGHT.unpack(hashlib.blake2b(s.encode(), key=key, digest_size=32).digest())
        for s in shingles
    ]
    mins = [min(column) for column in zip(*rows, strict=True)]
    bands = []
    for band in range(BANDS):
        pair = struct.pack("<2I", mins[2 * band], mins[2 * band + 1])
        bands.append(hashlib.blake2b(pair, digest_size=4).hexdigest())
    return "".join(bands)


def bands(value: str) -> list[tuple[int, str]]:
    """(band number, band) of a stored fingerprint."""
    if len(value) != 8 * BANDS:
        return []
    return [(band, value[8 * band : 8 * band + 8]) for band in range(BANDS)]
