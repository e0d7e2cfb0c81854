"""SentencePiece subword tokenizers for the language tasks: train on a training split
(with the settings of keras-hub's ``compute_sentence_piece_proto``, plus full character
coverage), cache by what they were trained on, load as keras-hub's
``SentencePieceTokenizer`` (a Keras layer, so a model that holds one saves it inside its
``.keras`` file).

Ids 0-3 are keras-hub's: ``<pad>`` 0, ``<unk>`` 1, ``<s>`` 2, ``</s>`` 3.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from deeptasks.common.io import atomic_write_bytes
from deeptasks.errors import UserError

PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3


@contextlib.contextmanager
def _quiet_native_stderr():
    """The SentencePiece trainer logs every EM step to the process's stderr from C++, and
    keras-hub gives no way to pass it ``minloglevel``; its errors still come back as
    Python exceptions, so silencing file descriptor 2 for the call loses nothing."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def train_sentencepiece(
    sentences: Sequence[str],
    vocabulary_size: int,
    model_type: str = "unigram",
    setting: str = "model.vocabulary_size",
) -> bytes:
    """A SentencePiece model proto trained on ``sentences``, with keras-hub's settings
    (``compute_sentence_piece_proto``: NFKC normalisation, the ids above) and every
    character of the training text kept (``character_coverage=1.0``). keras-hub's
    function cannot set the coverage, and SentencePiece's default (0.9995) left out the
    rarest characters: on the DDTP en-de training split '7', 'Ä', '*', '&' and '!' became
    ``<unk>``, which a model can neither copy from a source nor write."""
    import sentencepiece

    if not sentences:
        raise UserError("no training sentences to learn a tokenizer from; check data.source")
    model = io.BytesIO()
    try:
        with _quiet_native_stderr():
            sentencepiece.SentencePieceTrainer.train(
                sentence_iterator=iter(sentences),
                model_writer=model,
                vocab_size=vocabulary_size,
                model_type=model_type,
                character_coverage=1.0,
                normalization_rule_name="nmt_nfkc",
                pad_id=PAD_ID,
                unk_id=UNK_ID,
                bos_id=BOS_ID,
                eos_id=EOS_ID,
            )
    except RuntimeError as err:
        least = re.search(r"smaller than required_chars\. \d+ vs (\d+)", str(err))
        if least is not None:
            raise UserError(
                f"the training text has more distinct characters than a vocabulary of "
                f"{vocabulary_size} holds; set {setting} to at least "
                f"{least.group(1)}"
            ) from None
        most = re.search(r"<= (\d+)", str(err))
        if most is None:
            raise
        raise UserError(
            f"the training text is too small for a vocabulary of {vocabulary_size}; "
            f"set {setting} to at most {most.group(1)}"
        ) from None
    return model.getvalue()


def cached_sentencepiece(
    sentences: Sequence[str],
    vocabulary_size: int,
    cache_dir: Path,
    model_type: str = "unigram",
    setting: str = "model.vocabulary_size",
) -> bytes:
    """:func:`train_sentencepiece`, kept in ``cache_dir`` under a digest of the sentences
    and settings, so a second run with the same training split reuses it."""
    digest = hashlib.sha256()
    for sentence in sentences:
        digest.update(sentence.encode("utf-8") + b"\n")
    digest.update(f"{vocabulary_size}:{model_type}:coverage=1".encode())
    path = Path(cache_dir) / f"{digest.hexdigest()[:20]}.model"
    if path.is_file():
        return path.read_bytes()
    proto = train_sentencepiece(sentences, vocabulary_size, model_type, setting)
    atomic_write_bytes(path, proto)
    return proto


def sentencepiece_tokenizer(proto: bytes | str | Path):
    """keras-hub's ``SentencePieceTokenizer`` of a proto (bytes or a ``.model`` file)."""
    import keras_hub

    if isinstance(proto, Path):
        proto = str(proto)
    return keras_hub.tokenizers.SentencePieceTokenizer(proto=proto)


def save_sentencepiece(proto: bytes, path: Path) -> Path:
    """The proto as a ``.model`` file that ``sentencepiece`` and keras-hub both read."""
    return atomic_write_bytes(path, proto)


_PROCESSORS: dict[str, object] = {}


def processor(proto: bytes):
    """The ``sentencepiece`` processor of a proto, made once per proto.

    Tokenising through it (not through the keras-hub layer's TF op) keeps the pipelines
    and decoding free of tf-text's kernel-owned resources, which are named alike in eager
    mode, so that one tokenizer being freed can break another."""
    import sentencepiece

    key = hashlib.sha256(proto).hexdigest()
    if key not in _PROCESSORS:
        _PROCESSORS[key] = sentencepiece.SentencePieceProcessor(model_proto=proto)
    return _PROCESSORS[key]


def encode(
    proto: bytes, sentences: Sequence[str], alpha: float = 0.0, seed: int = 0
) -> list[list[int]]:
    """Subword ids of each sentence (no BOS/EOS): the most likely segmentation, or with
    ``alpha > 0`` one drawn from all segmentations with probability proportional to
    P(segmentation)^alpha (subword regularisation, Kudo 2018; smaller alpha = more varied
    and longer; unigram models only), reproducibly for a given ``seed`` (on one thread:
    threads would share the generator in whatever order they run)."""
    if alpha <= 0:
        return processor(proto).encode(list(sentences))
    import sentencepiece

    sentencepiece.set_random_generator_seed(seed)
    return processor(proto).encode(
        list(sentences), enable_sampling=True, alpha=alpha, nbest_size=-1, num_threads=1
    )


def decode(proto: bytes, ids: Sequence[Sequence[int]]) -> list[str]:
    """Detokenised text of each id list."""
    return processor(proto).decode([list(map(int, row)) for row in ids])
