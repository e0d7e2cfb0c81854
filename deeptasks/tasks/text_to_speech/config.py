"""Text-to-speech configs and presets."""

from __future__ import annotations

from dataclasses import dataclass

from deeptasks.config import RuntimeConfig, TaskConfig, TrainConfig, choice


@dataclass
class DataConfig:
    # tts: one eSpeak NG voice reading sentences of held-out documents (offline; see
    # deeptasks/datasets/tts.py). Durations come from eSpeak's own phoneme events.
    # folder: your recordings (data.folder: name.wav + name.txt pairs, or LJSpeech's
    # metadata.csv + wavs/); ljspeech: LJSpeech 1.1 through tfds (internet the first time).
    # Recordings get eSpeak's phonemes for their transcripts and durations by
    # data.durations (there is no aligner): espeak = eSpeak's phoneme timing stretched onto
    # the recording's speech; uniform = the speech shared equally among the phonemes.
    source: str = choice("tts", "tts", "folder", "ljspeech")
    voice: str = "en-us"  # any eSpeak NG voice, e.g. en-gb-scotland+f3; also the front end
    folder: str = ""
    durations: str = choice("espeak", "espeak", "uniform")
    tfds_data_dir: str = ""  # source=ljspeech: where tfds keeps (or finds) the data
    train_utterances: int = 2000
    val_utterances: int = 50
    test_utterances: int = 100
    corpus_seed: int = 0
    max_words: int = 20  # longest sentence (3 is the shortest)
    shuffle_buffer: int = 2000
    vocoder_frames: int = 32  # vocoder training: mel frames per random segment


@dataclass
class ModelConfig:
    # conv: dilated convolutions, duration predictor, length regulator (SpeedySpeech
    # style); fastspeech2: keras-hub Transformer blocks and a variance adaptor (duration,
    # pitch, energy); vocoder: a MelGAN-style generator, mel -> waveform (its own run)
    name: str = choice("conv", "conv", "fastspeech2", "vocoder")
    channels: int = 192
    kernel_size: int = 5
    encoder_blocks: int = 6  # conv: dilated residual blocks (dilations 1, 2, 4, ...)
    decoder_blocks: int = 8
    layers: int = 2  # fastspeech2: Transformer blocks in the encoder and in the decoder
    heads: int = 2
    intermediate_dim: int = 512
    postnet_blocks: int = 3  # fastspeech2: residual conv postnet
    dropout: float = 0.1
    duration_weight: float = 1.0  # loss weights beside the mel L1
    variance_weight: float = 0.5  # pitch and energy (fastspeech2)
    # vocoder: generator channels before the first upsampling (halved at each of 8x8x4)
    vocoder_channels: int = 128
    vocoder_residual: int = 3  # dilated residual layers after each upsampling
    # vocoder, the optional adversarial stage: > 0 adds a multi-scale discriminator and
    # this weight on its least-squares GAN loss (+ feature matching x feature_weight)
    # beside the STFT loss (Parallel WaveGAN uses 4); 0 = the STFT loss alone
    adversarial_weight: float = 0.0
    feature_weight: float = 2.0
    discriminator_channels: int = 16
    # vocoder: start from this vocoder run's generator (e.g. the adversarial stage after
    # an STFT-only run); "" = from scratch
    vocoder_init: str = ""
    # an acoustic run speaks through this vocoder run's model (a workdir of
    # --model vocoder); "" = Griffin-Lim
    vocoder_workdir: str = ""
    griffin_lim_iters: int = 32
    # evaluate scores intelligibility through this speech_recognition run ("" = skip)
    asr_workdir: str = ""
    eval_utterances: int = 0  # 0 = the whole test split


def _config(preset: str, data: DataConfig, model: ModelConfig, train: TrainConfig) -> TaskConfig:
    return TaskConfig("text_to_speech", preset, data, model, train, RuntimeConfig())


def smoke() -> TaskConfig:
    """Seconds on a CPU: 24 short sentences, a tiny model, a few steps."""
    return _config(
        "smoke",
        DataConfig(train_utterances=24, val_utterances=4, test_utterances=4, max_words=8),
        ModelConfig(
            channels=16,
            encoder_blocks=2,
            decoder_blocks=2,
            intermediate_dim=32,
            vocoder_channels=16,
            vocoder_residual=1,
            griffin_lim_iters=4,
        ),
        TrainConfig(epochs=1, steps_per_epoch=2, batch_size=4, learning_rate=1e-3),
    )


def default() -> TaskConfig:
    """The README run: the convolutional model on 2,000 sentences, a few CPU minutes."""
    return _config(
        "default",
        DataConfig(),
        ModelConfig(),
        TrainConfig(epochs=6, steps_per_epoch=100, batch_size=16, learning_rate=2e-3, clipnorm=1.0),
    )


def benchmark() -> TaskConfig:
    """The quality table (<= 30 CPU-minutes a model)."""
    return _config(
        "benchmark",
        DataConfig(train_utterances=4000),
        ModelConfig(),
        TrainConfig(
            epochs=30, steps_per_epoch=100, batch_size=16, learning_rate=2e-3, clipnorm=1.0
        ),
    )


PRESETS = {"smoke": smoke, "default": default, "benchmark": benchmark}
