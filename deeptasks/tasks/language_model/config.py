"""Language model configs and presets."""

from __future__ import annotations

from dataclasses import dataclass

from deeptasks.config import RuntimeConfig, TaskConfig, TrainConfig, choice


@dataclass
class DataConfig:
    # english: documents split by name hash (see deeptasks/datasets/english.py);
    # sources: comma-separated shakespeare, docstrings, files (data.folder of .txt files)
    sources: tuple[str, ...] = ("shakespeare",)
    folder: str = ""
    val_documents: int = 3  # per source
    test_documents: int = 3  # per source
    tokenizer: str = choice("characters", "characters", "sentencepiece")
    vocabulary_size: int = 2000  # sentencepiece only; characters: every training character
    sequence_length: int = 128  # tokens of context in training and scoring
    # scoring windows move on by this many tokens and score only those (0 = half a window):
    # every scored token after the first window has >= sequence_length - stride of context
    score_stride: int = 0
    shuffle_buffer: int = 4096
    eval_characters: int = 0  # 0 = the whole val/test split; a cap for quick looks only


@dataclass
class ModelConfig:
    name: str = "lstm"  # lstm | gpt
    embedding_dim: int = 256  # lstm: tied input/output embedding; gpt: the width
    layers: int = 1
    units: int = 256  # lstm: cells per layer (projected to embedding_dim before the output)
    heads: int = 4  # gpt
    intermediate_dim: int = 512  # gpt feed-forward
    dropout: float = 0.1
    # gpt: a keras-hub causal-LM preset to fine-tune (a hub name, with internet, or a local
    # save_to_preset folder); it brings its own architecture, weights and tokenizer
    preset: str = ""
    ngram_orders: tuple[int, ...] = (5, 6, 7, 8)  # the baseline's order is picked on val
    # generation (predict, samples)
    sampler: str = choice("top_k", "greedy", "top_k", "top_p", "beam", "contrastive")
    temperature: float = 1.0
    max_length: int = 200  # characters (or tokens) generated per prompt
    seed: int = 0


def _config(preset: str, data: DataConfig, model: ModelConfig, train: TrainConfig) -> TaskConfig:
    return TaskConfig("language_model", preset, data, model, train, RuntimeConfig())


def smoke() -> TaskConfig:
    """Seconds on a CPU: a tiny LSTM, short windows, a capped test split."""
    return _config(
        "smoke",
        DataConfig(sequence_length=32, eval_characters=3000),
        ModelConfig(embedding_dim=32, units=32, ngram_orders=(3, 4), max_length=40),
        TrainConfig(epochs=2, steps_per_epoch=5, batch_size=8, learning_rate=3e-3),
    )


def default() -> TaskConfig:
    """The README run: a one-layer LSTM of 256 cells on the plays, about 3.5 CPU minutes
    (600 steps of 32 x 128 characters: half a pass over the training plays)."""
    return _config(
        "default",
        DataConfig(),
        ModelConfig(),
        TrainConfig(epochs=6, steps_per_epoch=100, batch_size=32, learning_rate=3e-3),
    )


def benchmark() -> TaskConfig:
    """The quality table (<= 30 minutes of training on 2 CPU cores): the default LSTM for
    5,000 steps (about 4.6 passes over the training plays)."""
    return _config(
        "benchmark",
        DataConfig(),
        ModelConfig(),
        TrainConfig(epochs=50, steps_per_epoch=100, batch_size=32, learning_rate=3e-3),
    )


PRESETS = {"smoke": smoke, "default": default, "benchmark": benchmark}
