"""Texts to the id rows an encoder-decoder reads and back. The models and pipelines of
this package work in one id space: 0 is padding, and a codec says which ids begin and
end a sequence. SentencePiece models are that space as they are (pad 0, BOS 2, EOS 3);
a keras-hub preset's tokenizer (BART's byte-level BPE: ``<s>`` 0, ``<pad>`` 1, ``</s>``
2) is shifted up by one so that 0 is padding there too."""

from __future__ import annotations

import numpy as np

from deeptasks.common import hub, tokenizers


class PieceCodec:
    """A SentencePiece model's ids, as they are."""

    def __init__(self, proto: bytes):
        self.proto = proto
        self.bos, self.eos = tokenizers.BOS_ID, tokenizers.EOS_ID

    def encode(self, texts: list[str]) -> list[list[int]]:
        return tokenizers.encode(self.proto, texts)

    def decode(self, rows) -> list[str]:
        return tokenizers.decode(self.proto, rows)

    def pieces(self, ids: list[int]) -> list[str]:
        return [tokenizers.processor(self.proto).id_to_piece(int(i)) for i in ids]


class PresetCodec:
    """A keras-hub tokenizer's ids plus one (its own start and end tokens, shifted)."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.bos = int(tokenizer.start_token_id) + 1
        self.eos = int(tokenizer.end_token_id) + 1

    def encode(self, texts: list[str]) -> list[list[int]]:
        rows: list[list[int]] = []
        for start in range(0, len(texts), 4096):
            found = hub.id_rows(self.tokenizer.tokenize(list(texts[start : start + 4096])))
            rows += [[i + 1 for i in row] for row in found]
        return rows

    def decode(self, rows) -> list[str]:
        texts = []
        for row in rows:
            ids = [int(i) - 1 for i in row if int(i) > 0]
            if not ids:
                texts.append("")
                continue
            text = self.tokenizer.detokenize(np.asarray(ids, np.int32))
            text = text.numpy() if hasattr(text, "numpy") else text
            texts.append(text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text))
        return [t.strip() for t in texts]

    def pieces(self, ids: list[int]) -> list[str]:
        return [self.tokenizer.id_to_token(int(i) - 1) for i in ids]
