"""The translation task: compile, sacreBLEU/chrF against copying the source, predict
(lines in, translations out), samples (translations, attention heat-map), bench."""

from __future__ import annotations

import sys
import time
import weakref
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from deeptasks.common import tokenizers
from deeptasks.common.decoding import seq2seq
from deeptasks.common.io import refuse_overwrite, write_text
from deeptasks.common.metrics import text as text_metrics
from deeptasks.common.tokenizers import BOS_ID, EOS_ID, PAD_ID, save_sentencepiece
from deeptasks.common.training import make_optimizer, training_throughput
from deeptasks.datasets import cache, ddtp
from deeptasks.errors import UserError
from deeptasks.tasks.base import Task
from deeptasks.tasks.translation import data
from deeptasks.tasks.translation.config import PRESETS
from deeptasks.tasks.translation.models import MAX_POSITIONS, MODELS, GRUTranslator
from deeptasks.tasks.translation.objectives import SmoothedSparseCrossentropy, WarmupCosineDecay

SAMPLE_SENTENCES = 20
BENCH_SENTENCES = 64
_STEPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def compile_model(model: keras.Model, cfg) -> None:
    """Label-smoothed cross-entropy over real target tokens, Adam with warm-up then
    cosine decay (and ``train.ema`` weight averaging); token accuracy (padding left out
    through the sample weights)."""
    t = cfg.train
    schedule = WarmupCosineDecay(
        t.learning_rate, cfg.model.warmup_steps, t.epochs * t.steps_per_epoch
    )
    model.compile(
        optimizer=make_optimizer(t, schedule=schedule, beta_2=0.98),
        loss=SmoothedSparseCrossentropy(cfg.model.label_smoothing),
        weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name="token_accuracy")],
        jit_compile=cfg.runtime.jit_compile,
    )


# --- translating ----------------------------------------------------------------------


def _step_function(model: keras.Model):
    """The model's decoding step as one traced TF function (per model)."""
    if model not in _STEPS:
        _STEPS[model] = tf.function(model.decode_step, reduce_retracing=True)
    return _STEPS[model]


def translate(model: keras.Model, cfg, sentences: list[str], beam_width: int | None = None):
    """Translations of ``sentences`` (in order), by beam search of the configured width
    (``beam_width=1``: greedy), batched by similar source length."""
    width = cfg.model.beam_width if beam_width is None else beam_width
    proto = model.tokenizer.proto
    found = [""] * len(sentences)
    todo = [i for i, s in enumerate(sentences) if s.strip()]
    if not todo:
        return found
    longest = MAX_POSITIONS // 2
    ids = [
        row[: longest - 1] + [EOS_ID]
        for row in tokenizers.encode(proto, [sentences[i] for i in todo])
    ]
    order = sorted(range(len(todo)), key=lambda k: len(ids[k]))
    step = _step_function(model)
    m = cfg.model
    for start in range(0, len(order), m.decode_batch):
        chunk = order[start : start + m.decode_batch]
        lengths = np.array([len(ids[k]) for k in chunk])
        source = np.zeros([len(chunk), lengths.max()], np.int32)
        for row, k in enumerate(chunk):
            source[row, : len(ids[k])] = ids[k]
        limits = seq2seq.max_target_lengths(
            lengths, m.max_length_ratio, m.max_length_extra, MAX_POSITIONS - 2
        )
        state = model.decode_state(tf.constant(source), int(limits.max()))
        if width > 1:
            out = seq2seq.beam_search(
                step,
                state,
                limits,
                BOS_ID,
                EOS_ID,
                PAD_ID,
                width,
                m.length_penalty,
                m.no_repeat_ngram,
            )
        else:
            out = seq2seq.greedy_search(
                step, state, limits, BOS_ID, EOS_ID, PAD_ID, m.no_repeat_ngram
            )
        texts = tokenizers.decode(proto, out)
        for k, text in zip(chunk, texts):
            found[todo[k]] = text
    return found


def _timed(model, cfg, sources, width) -> tuple[list[str], float]:
    started = time.perf_counter()
    found = translate(model, cfg, sources, width)
    return found, len(sources) / max(time.perf_counter() - started, 1e-9)


def evaluate(model: keras.Model, cfg) -> dict[str, Any]:
    """sacreBLEU BLEU and chrF of the model's detokenised beam-search (and greedy)
    output against the raw references of the test split, beside copying the source."""
    test = data.pairs(cfg, "test")
    if not test:
        raise UserError("the test split has no sentence pairs; check data.source")
    sources, references = [s for s, _ in test], [t for _, t in test]
    width = cfg.model.beam_width
    beam, beam_rate = _timed(model, cfg, sources, width)
    greedy, greedy_rate = _timed(model, cfg, sources, 1)
    return {
        "model": text_metrics.translation_scores(beam, references),
        "baseline": text_metrics.translation_scores(sources, references),
        "baseline_name": "copy_source",
        "greedy": text_metrics.translation_scores(greedy, references),
        "beam_width": width,
        "sentences": len(test),
        "beam_sentences_per_second": round(beam_rate, 2),
        "greedy_sentences_per_second": round(greedy_rate, 2),
        "sacrebleu": text_metrics.signatures(),
    }


# --- samples and predict --------------------------------------------------------------


def attention_heatmap(model: GRUTranslator, source: str, path: Path) -> Path:
    """The GRU model's attention weights α_ij while it writes its greedy translation."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    proto = model.tokenizer.proto
    src = tokenizers.encode(proto, [source])[0][: MAX_POSITIONS // 2 - 1] + [EOS_ID]
    limits = seq2seq.max_target_lengths([len(src)], 1.5, 10, MAX_POSITIONS - 2)
    state = model.decode_state(tf.constant([src]), int(limits[0]))
    out = seq2seq.greedy_search(_step_function(model), state, limits, BOS_ID, EOS_ID)[0]
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


def read_lines(inputs: list[Path]) -> list[str]:
    """Every line of every input (``-`` is standard input), in order."""
    lines: list[str] = []
    for path in inputs:
        if str(path) == "-":
            lines.extend(sys.stdin.read().splitlines())
            continue
        if not Path(path).is_file():
            raise UserError(f"input not found: {path}; give text files (one sentence a line)")
        try:
            lines.extend(Path(path).read_text(encoding="utf-8").splitlines())
        except UnicodeDecodeError:
            raise UserError(f"{path} is not UTF-8 text; give text files") from None
    return lines


def predict(
    model: keras.Model, cfg, inputs: list[Path], out_dir: Path | None, force: bool = False
) -> list[Path]:
    """Translate every line of ``inputs`` (files, or ``-`` for standard input), one
    translation per line in order; empty lines stay empty. With ``out_dir`` (``-o``:
    here a file) they go there, else to standard output."""
    if out_dir is not None:
        refuse_overwrite(Path(out_dir), force)
    found = translate(model, cfg, read_lines(inputs))
    text = "".join(line + "\n" for line in found)
    if out_dir is None:
        sys.stdout.write(text)
        return []
    return [write_text(Path(out_dir), text)]


# --- data and speed -------------------------------------------------------------------


def describe_data(cfg) -> dict[str, Any]:
    data.check(cfg)
    d = cfg.data
    info: dict[str, Any] = {
        "corpus": d.source,
        "direction": f"{d.source_lang}->{d.target_lang}",
        "splits": {split: len(data.pairs(cfg, split)) for split in ("train", "val", "test")},
        "tokenizer": f"SentencePiece unigram, {cfg.model.vocabulary_size} pieces shared by "
        "both languages, trained on the training split",
    }
    if d.source in data.DDTP_SOURCES:
        folder = ddtp.corpus_dir(sample=d.source == "ddtp_sample")
        manifest = cache.read_manifest(folder)
        other = d.target_lang if d.source_lang == "en" else d.source_lang
        info.update(
            corpus=manifest["corpus"],
            folder=str(folder),
            version=manifest["version"],
            filters=manifest["filters"],
            counts=manifest["counts"][f"en-{other}"],
            sources=manifest["sources"],
        )
    return info


def bench(model: keras.Model, cfg) -> dict[str, Any]:
    """Training pipeline and step throughput, and sentences/s of batched greedy and
    beam decoding on test sentences."""
    if not model.compiled:
        compile_model(model, cfg)
    throughput = training_throughput(
        model, data.build_dataset(cfg, "train"), cfg.train.batch_size, 2, 5
    )
    sources = [s for s, _ in data.pairs(cfg, "test")[:BENCH_SENTENCES]]
    translate(model, cfg, sources[: cfg.model.decode_batch], 1)  # trace the step once
    _, greedy = _timed(model, cfg, sources, 1)
    _, beam = _timed(model, cfg, sources, cfg.model.beam_width)
    return {
        **throughput,
        "greedy_sentences_per_s": round(greedy, 2),
        f"beam{cfg.model.beam_width}_sentences_per_s": round(beam, 2),
        "decode_batch": cfg.model.decode_batch,
    }


TASK = Task(
    name="translation",
    unit="sentence pairs",
    description="machine translation (GRU + additive attention, Transformer) on DDTP; sacreBLEU",
    presets=PRESETS,
    models=MODELS,
    build_dataset=data.build_dataset,
    compile_model=compile_model,
    evaluate=evaluate,
    predict=predict,
    write_samples=write_samples,
    describe_data=describe_data,
    bench=bench,
    monitor=("val_loss", "min"),
    check=data.check,
    text_output=True,
)
