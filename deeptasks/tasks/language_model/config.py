"""Language model configs and presets."""

from __future__ import annotations

from dataclasses import dataclass

from deeptasks.config import RuntimeConfig, TaskConfig, TrainConfig, choice


@dataclass
class DataConfig:
    # english: documents split by name hash (see deeptasks/datasets/english.py);
    # sources: comma-separated shakespeare, docstrings, files (data.folder of .txt files),
    # ddtp (Debian's English descriptions via apt; ddtp_sample: shipped records), lm1b (tfds)
    sources: tuple[str, ...] = ("shakespeare",)
    folder: str = ""
    tfds_data_dir: str = ""  # lm1b: where tfds keeps (or finds) it
    tfds_sentences: int = 300_000  # lm1b: training sentences (a tenth for val and test)
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
    """The README run: a one-layer LSTM of 256 cells over SentencePiece pieces (2,000, made
    from the training plays; about 3 characters a piece), 880 steps of 64 x 64 pieces
    (about 4.5 passes over the training plays), under 5 CPU minutes. Four epochs, as each
    one ends with a pass over the validation plays (7 s)."""
    return _config(
        "default",
        DataConfig(tokenizer="sentencepiece", sequence_length=64),
        ModelConfig(),
        TrainConfig(epochs=4, steps_per_epoch=220, batch_size=64, learning_rate=5e-3, clipnorm=1.0),
    )


def benchmark() -> TaskConfig:
    """The quality table (<= 30 minutes of training on 2 CPU cores): the default recipe
    with 512 cells for 2,700 steps."""
    return _config(
        "benchmark",
        DataConfig(tokenizer="sentencepiece", sequence_length=64),
        ModelConfig(units=512),
        TrainConfig(
            epochs=27, steps_per_epoch=100, batch_size=64, learning_rate=5e-3, clipnorm=1.0
        ),
    )


PRESETS = {"smoke": smoke, "default": default, "benchmark": benchmark}
