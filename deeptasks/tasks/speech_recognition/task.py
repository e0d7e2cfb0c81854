"""The speech recognition task: CTC training, WER/CER (jiwer) on the test split (clean and
20 dB SNR; seen and unseen accents; greedy and beam search) against a DTW template
matcher, real-time factor, samples with CTC alignments, and transcripts of user audio."""

from __future__ import annotations

import io
import json
import sys
import time
import weakref
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from deeptasks.common.audio import read_audio, wav_bytes
from deeptasks.common.decoding.char_lm import CharNgramLM
from deeptasks.common.decoding.ctc import beam_decode, greedy_decode, prefix_beam_search
from deeptasks.common.decoding.word_lm import WordFusedLM, WordNgramLM
from deeptasks.common.io import atomic_write_bytes, refuse_overwrite, write_text
from deeptasks.common.losses import CTCLoss
from deeptasks.common.metrics.speech import cer, wer
from deeptasks.common.training import make_optimizer, training_throughput
from deeptasks.datasets import speech
from deeptasks.datasets.english_text import ALPHABET
from deeptasks.errors import UserError
from deeptasks.tasks.base import Task
from deeptasks.tasks.speech_recognition import baselines, data
from deeptasks.tasks.speech_recognition.config import PRESETS
from deeptasks.tasks.speech_recognition.models import MODELS, output_frames

SAMPLE_RATE = 16000
EVAL_BATCH = 16
RTF_UTTERANCES = 20
PAD_SECONDS = 0.5  # inputs padded to a multiple of this: few shapes, few retraces/compiles
SAMPLE_UTTERANCES = 3
GROUPS = ("seen_accent", "unseen_accent")


def compile_model(model: keras.Model, cfg) -> None:
    model.compile(
        optimizer=make_optimizer(cfg.train),
        loss=CTCLoss(),
        jit_compile=cfg.runtime.jit_compile,
    )


_XLA_CALLS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def infer(model: keras.Model, inputs: np.ndarray, xla: bool = False) -> np.ndarray:
    """The model's logits of a ``[batch, samples]`` float32 batch. With ``xla`` the call
    is compiled by XLA (once per input shape, a few seconds each, so pad to few shapes):
    4.9x faster than ``predict_on_batch`` for the BLSTM one utterance at a time on a
    2-core CPU (benchmarks/speech_rtf.py), same outputs to ~1e-5."""
    if not xla:
        return np.asarray(model.predict_on_batch(inputs))
    if model not in _XLA_CALLS:
        _XLA_CALLS[model] = tf.function(lambda x: model(x, training=False), jit_compile=True)
    return np.asarray(_XLA_CALLS[model](tf.constant(inputs)))


def logits(
    model: keras.Model, audio: list[np.ndarray], batch: int = EVAL_BATCH, xla: bool = False
) -> list:
    """Per-utterance ``[frames, classes]`` logits of int16 or float utterances, batched by
    length and cut to each utterance's own frames (with ``xla``, see ``infer``, batches
    are padded to a multiple of ``PAD_SECONDS``)."""
    order = np.argsort([len(a) for a in audio])
    out: list = [None] * len(audio)
    for start in range(0, len(order), batch):
        chosen = order[start : start + batch]
        inputs = _padded([audio[k] for k in chosen], PAD_SECONDS if xla else 0.0)
        scores = infer(model, inputs, xla)
        for row, k in enumerate(chosen):
            out[k] = scores[row, : output_frames(len(audio[k]))]
    return out


def _padded(audio: list[np.ndarray], seconds: float) -> np.ndarray:
    """A float32 ``[len(audio), samples]`` batch of the utterances, zero-padded to the
    longest one rounded up to a multiple of ``seconds`` (0: the longest itself)."""
    step = max(int(seconds * SAMPLE_RATE), 1)
    inputs = np.zeros((len(audio), -(-max(map(len, audio)) // step) * step), np.float32)
    for row, samples in enumerate(audio):
        inputs[row, : len(samples)] = _as_float(samples)
    return inputs


def _as_float(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples)
    if samples.dtype == np.int16:
        return samples.astype(np.float32) / 32768.0
    return samples.astype(np.float32)


def decode(
    scores: list,
    beam_width: int = 0,
    lm=None,
    lm_weight: float = 0.5,
    lm_bonus: float = 0.0,
    prune: float = -10.0,
) -> list[str]:
    """Texts of per-utterance logits: greedy, beam search of ``beam_width``, or beam search
    with the character language model ``lm`` fused in (trying at each frame only the
    labels of log-probability >= ``prune``)."""
    texts = []
    for one in scores:
        if beam_width and lm is not None:
            log_probs = one - np.logaddexp.reduce(one, axis=-1, keepdims=True)
            texts.append(
                prefix_beam_search(log_probs, ALPHABET, beam_width, lm, lm_weight, lm_bonus, prune)
            )
        elif beam_width:
            texts += beam_decode(one[None], ALPHABET, beam_width)
        else:
            texts += greedy_decode(one[None], ALPHABET)
    return texts


def language_model(cfg) -> CharNgramLM | WordFusedLM | None:
    """The ``model.lm_order``-gram character model of ``data.lm_texts`` with
    ``model.lm_smoothing`` (None when ``lm_order`` is 0), with the ``model.word_lm_order``
    -gram word model of the same text on top when that is > 0; the same text gives the
    same models."""
    m = cfg.model
    if not m.lm_order:
        return None
    texts = data.lm_texts(cfg)
    chars = _language_model(texts, m.lm_order, m.lm_smoothing)
    if not m.word_lm_order:
        return chars
    return WordFusedLM(chars, _word_model(texts, m.word_lm_order), m.word_lm_weight)


def lm_description(cfg) -> str:
    """Words for the text ``data.lm_texts`` gives the LM."""
    if data.lm_from_sources(cfg):
        return "the corpus's text sources without its val/test sentences"
    return "the training transcripts"


@lru_cache(maxsize=2)
def _language_model(texts: tuple[str, ...], order: int, smoothing: str) -> CharNgramLM:
    return CharNgramLM(texts, ALPHABET, order, smoothing)


def _lm_summary(cfg) -> str:
    """The fused language models and their weights, in words, for the metrics."""
    m = cfg.model
    summary = (
        f"{m.lm_order}-gram characters of {lm_description(cfg)}, "
        f"{m.lm_smoothing.replace('_', '-')} smoothing, "
        f"weight {m.lm_weight}, bonus {m.lm_bonus} a character"
    )
    if m.word_lm_order:
        summary += (
            f"; {m.word_lm_order}-gram words of the same text, Kneser-Ney, "
            f"weight {m.word_lm_weight}"
        )
    return summary


@lru_cache(maxsize=2)
def _word_model(texts: tuple[str, ...], order: int) -> WordNgramLM:
    return WordNgramLM(texts, order)


def _scores(references: list[str], hypotheses: list[str], groups: list[str], suffix: str = ""):
    values = {
        f"cer{suffix}": cer(references, hypotheses),
        f"wer{suffix}": wer(references, hypotheses),
    }
    for group in GROUPS:
        chosen = [k for k, g in enumerate(groups) if g == group]
        if chosen:
            refs, hyps = [references[k] for k in chosen], [hypotheses[k] for k in chosen]
            values[f"cer_{group}{suffix}"] = cer(refs, hyps)
            values[f"wer_{group}{suffix}"] = wer(refs, hyps)
    return values


def real_time_factor(
    model: keras.Model, audio: list[np.ndarray], decoder=None, xla: bool = False
) -> float:
    """Seconds of CPU-side inference (model, through ``infer``, + ``decoder``, greedy by
    default), one utterance at a time, per second of audio, over the first
    ``RTF_UTTERANCES`` utterances; timed on a second pass, after the first has traced (and
    with ``xla`` compiled) every padded length."""
    chosen = audio[:RTF_UTTERANCES]
    decoder = decoder or decode

    def one_pass() -> float:
        started = time.perf_counter()
        for samples in chosen:
            scores = infer(model, _padded([samples], PAD_SECONDS), xla)
            decoder([scores[0, : output_frames(len(samples))]])
        return time.perf_counter() - started

    one_pass()
    return one_pass() / (sum(len(a) for a in chosen) / SAMPLE_RATE)


def decoder_with_lm(cfg):
    """``decode`` as predict uses it: beam search with the language model of the run's
    LM text, ``data.lm_texts`` (without one when ``model.lm_order`` is 0)."""
    lm, m = language_model(cfg), cfg.model
    return lambda scores: decode(scores, m.beam_width, lm, m.lm_weight, m.lm_bonus, m.lm_prune)


def evaluate(model: keras.Model, cfg) -> dict[str, Any]:
    """WER and CER on the test split for the model (greedy, beam search, and beam search
    with the character LM when ``model.lm_order`` > 0) and the DTW template matcher; the
    20 dB SNR version and seen/unseen-accent groups where the corpus has them; real-time
    factors (greedy, and with the LM)."""
    audio, references, rows = data.examples(cfg, "test")
    groups = [row.get("group", "all") for row in rows]
    versions = {"": audio}
    if cfg.data.source == "speech":
        versions["_snr20"] = data.examples(cfg, "test", noisy=True)[0]
    train_audio, train_texts, _ = data.examples(cfg, "train")
    matcher = baselines.TemplateMatcher(
        baselines.features([_as_float(a) for a in train_audio[: baselines.TEMPLATES]]),
        train_texts[: baselines.TEMPLATES],
    )
    model_scores: dict[str, float] = {}
    baseline_scores: dict[str, float] = {}
    examples_out: dict[str, list] = {}
    baseline_seconds = 0.0
    with_lm = decoder_with_lm(cfg) if cfg.model.lm_order else None
    xla = cfg.model.xla_inference
    for suffix, version in versions.items():
        scores = logits(model, version, xla=xla)
        greedy = decode(scores)
        beam = decode(scores, cfg.model.beam_width)
        model_scores |= _scores(references, greedy, groups, suffix)
        model_scores |= _scores(references, beam, groups, f"{suffix}_beam")
        if with_lm:
            model_scores |= _scores(references, with_lm(scores), groups, f"{suffix}_lm")
        started = time.perf_counter()
        matched = [matcher.transcribe(f) for f in baselines.features(map(_as_float, version))]
        baseline_seconds += time.perf_counter() - started
        baseline_scores |= _scores(references, matched, groups, suffix)
        examples_out[f"greedy{suffix}"] = greedy[:SAMPLE_UTTERANCES]
    audio_seconds = sum(len(a) for a in audio) / SAMPLE_RATE * len(versions)
    model_scores["rtf"] = real_time_factor(model, audio, xla=xla)
    if with_lm:
        model_scores["rtf_lm"] = real_time_factor(model, audio, with_lm, xla)
    baseline_scores["rtf"] = baseline_seconds / audio_seconds
    return {
        "model": model_scores,
        "baseline": baseline_scores,
        "baseline_name": "dtw_template_matcher",
        "baseline_description": f"DTW nearest neighbour over {len(matcher.transcripts)} "
        "training utterances (answers with a training transcript)",
        "utterances": len(audio),
        "audio_seconds": round(sum(len(a) for a in audio) / SAMPLE_RATE, 2),
        "beam_width": cfg.model.beam_width,
        "language_model": _lm_summary(cfg) if with_lm else "none",
        "examples": [
            {"reference": r, "greedy": h} for r, h in zip(references, examples_out["greedy"])
        ],
    }


def _alignment_figure(features: np.ndarray, probs: np.ndarray, title: str) -> bytes:
    from deeptasks.common.plots import plt

    fig, axes = plt.subplots(2, 1, figsize=(10, 6), sharex=False)
    axes[0].imshow(features.T, origin="lower", aspect="auto", cmap="magma")
    axes[0].set_ylabel("log-mel band")
    axes[0].set_title("spectrogram (10 ms frames)", fontsize=9)
    axes[1].imshow(probs.T, origin="lower", aspect="auto", cmap="Greys", vmin=0, vmax=1)
    best = np.argmax(probs, axis=-1)
    for frame, label in enumerate(best):
        if label:
            axes[1].text(
                frame,
                label,
                ALPHABET[label - 1].replace(" ", "_"),
                fontsize=7,
                color="red",
                ha="center",
                va="center",
            )
    axes[1].set_yticks(
        range(len(ALPHABET) + 1), ["-"] + [c.replace(" ", "_") for c in ALPHABET], fontsize=6
    )
    axes[1].set_xlabel("output frame (20 ms); red: the best label per frame, '-' = blank")
    axes[1].set_title("CTC alignment: per-frame character probabilities", fontsize=9)
    fig.suptitle(title, fontsize=9, family="monospace")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return buffer.getvalue()


def write_samples(model: keras.Model, cfg, samples_dir: Path) -> list[Path]:
    """For a few test utterances: the audio, a spectrogram + CTC alignment figure, and
    reference vs hypothesis text (greedy and beam) in ``transcripts.txt``."""
    audio, references, rows = data.examples(cfg, "test")
    chosen = list(range(min(SAMPLE_UTTERANCES, len(audio))))
    scores = logits(model, [audio[k] for k in chosen])
    front = keras.Model(model.input, model.get_layer("log_mel").output)
    with_lm = decoder_with_lm(cfg) if cfg.model.lm_order else None
    written, lines = [], []
    for k, one in zip(chosen, scores):
        samples = _as_float(audio[k])
        features = np.asarray(front.predict_on_batch(samples[None]))[0]
        greedy, beam = decode([one])[0], decode([one], cfg.model.beam_width)[0]
        voice = rows[k].get("voice", "")
        title = f"ref:    {references[k]}\nhyp:    {greedy}\nvoice:  {voice}"
        probs = np.exp(one - one.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        written.append(
            atomic_write_bytes(
                samples_dir / f"test{k:02d}_alignment.png",
                _alignment_figure(features, probs, title),
            )
        )
        written.append(atomic_write_bytes(samples_dir / f"test{k:02d}.wav", wav_bytes(samples)))
        lines += [
            f"[test{k:02d}] {voice}",
            f"ref:    {references[k]}",
            f"greedy: {greedy}",
            f"beam:   {beam}",
            *([f"beam+lm: {with_lm([one])[0]}"] if with_lm else []),
            "",
        ]
    written.append(write_text(samples_dir / "transcripts.txt", "\n".join(lines)))
    return written


def transcribe(model: keras.Model, cfg, paths: list[Path]) -> list[str]:
    """Transcripts of audio files (any rate and channel count): beam search with the run's
    character LM (``model.lm_order=0``: without; ``model.beam_width=0``: greedy)."""
    audio = [read_audio(p) for p in paths]  # all read first: fail before any work
    try:
        decoder = decoder_with_lm(cfg)
    except UserError as error:  # a run moved away from its training data still transcribes
        print(
            "warning: beam search without its language model, which is built from "
            f"{lm_description(cfg)}: {error}",
            file=sys.stderr,
        )
        decoder = partial(decode, beam_width=cfg.model.beam_width)
    return decoder(logits(model, audio, xla=cfg.model.xla_inference))


def predict(
    model: keras.Model, cfg, inputs: list[Path], out_dir: Path, force: bool = False
) -> list[Path]:
    """Print one ``file<TAB>transcript`` line per input; write them to ``out_dir`` when it
    names a ``.txt`` or ``.json`` file, else to ``out_dir/transcripts.txt``."""
    out = Path(out_dir)
    target = out if out.suffix.lower() in (".txt", ".json") else out / "transcripts.txt"
    refuse_overwrite(target, force)
    texts = transcribe(model, cfg, [Path(p) for p in inputs])
    for path, text in zip(inputs, texts):
        print(f"{path}\t{text}")
    if target.suffix.lower() == ".json":
        records = [{"file": str(p), "transcript": t} for p, t in zip(inputs, texts)]
        atomic_write_bytes(target, (json.dumps(records, indent=2) + "\n").encode())
    else:
        write_text(target, "".join(f"{p}\t{t}\n" for p, t in zip(inputs, texts)))
    return [target]


def describe_data(cfg) -> dict[str, Any]:
    data.check(cfg)
    if cfg.data.source == "speech":
        info = speech.summary(data.corpus_dir(cfg))
        info["splits"] = {k: v["utterances"] for k, v in info["splits"].items()} | {
            "detail": info["splits"]
        }
        return info
    splits = {s: len(data.examples(cfg, s)[0]) for s in speech.SPLITS}
    return {"corpus": cfg.data.source, "splits": splits}


def bench(model: keras.Model, cfg, batches: int = 5) -> dict[str, Any]:
    """Training pipeline and step throughput (utterances/s) and the real-time factor."""
    if not model.compiled:
        compile_model(model, cfg)
    throughput = training_throughput(
        model, data.build_dataset(cfg, "train"), cfg.train.batch_size, 2, batches
    )
    audio = data.examples(cfg, "test")[0]
    rtf = real_time_factor(model, audio, xla=cfg.model.xla_inference)
    return {**throughput, "rtf": round(rtf, 4)}


TASK = Task(
    name="speech_recognition",
    unit="utterances",
    description="CTC speech recognition (BLSTM-CTC, DFCNN-CTC) on eSpeak NG speech; WER/CER",
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
)
