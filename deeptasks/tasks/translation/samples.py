"""What a person reads: test translations beside their references, the GRU's attention
heat-map, and the run's ``tokenizer.model``."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from deeptasks.common import tokenizers
from deeptasks.common.decoding import seq2seq
from deeptasks.common.io import write_text
from deeptasks.common.seq2seq.models import MAX_POSITIONS, GRUTranslator
from deeptasks.common.tokenizers import BOS_ID, EOS_ID, save_sentencepiece
from deeptasks.tasks.translation import data
from deeptasks.tasks.translation.inference import step_function, translate

SAMPLE_SENTENCES = 20


def attention_heatmap(model: GRUTranslator, source: str, path: Path) -> Path:
    """The GRU model's attention weights α_ij while it writes its greedy translation."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    proto = model.tokenizer.proto
    src = tokenizers.encode(proto, [source])[0][: MAX_POSITIONS // 2 - 1] + [EOS_ID]
    limits = seq2seq.max_target_lengths([len(src)], 1.5, 10, MAX_POSITIONS - 2)
    state = model.decode_state(tf.constant([src]), int(limits[0]))
    out = seq2seq.greedy_search(step_function(model), state, limits, BOS_ID, EOS_ID)[0]
    target_in = tf.constant([[BOS_ID, *out]])
    _, weights = model(
        {"source": tf.constant([src]), "target_in": target_in}, return_attention=True
    )
    pieces = lambda ids: [tokenizers.processor(proto).id_to_piece(i) for i in ids]  # noqa: E731
    figure, axes = plt.subplots(figsize=(0.35 * len(src) + 2, 0.35 * (len(out) + 1) + 2))
    axes.imshow(np.asarray(weights)[0], cmap="viridis", aspect="auto", vmin=0, vmax=1)
    axes.set_xticks(range(len(src)), pieces(src), rotation=90, fontsize=7)
    axes.set_yticks(range(len(out) + 1), [*pieces(out), "</s>"], fontsize=7)
    axes.set_xlabel("source subwords")
    axes.set_ylabel("output subwords")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def write_samples(model: keras.Model, cfg, samples_dir: Path) -> list[Path]:
    """``translations.tsv`` (source, reference, model) for test sentences, the GRU's
    attention heat-map, and the run's ``tokenizer.model`` beside ``model.keras``."""
    test = data.pairs(cfg, "test")[:SAMPLE_SENTENCES]
    found = translate(model, cfg, [s for s, _ in test])
    lines = ["source\treference\ttranslation"]
    lines += [f"{s}\t{r}\t{h}" for (s, r), h in zip(test, found)]
    written = [write_text(samples_dir / "translations.tsv", "\n".join(lines) + "\n")]
    if isinstance(model, GRUTranslator) and test:
        written.append(attention_heatmap(model, test[0][0], samples_dir / "attention.png"))
    tokenizer_path = samples_dir.parent / "tokenizer.model"
    written.append(save_sentencepiece(model.tokenizer.proto, tokenizer_path))
    return written
