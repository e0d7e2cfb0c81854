"""Speech recognition configs and presets."""

from __future__ import annotations

from dataclasses import dataclass

from deeptasks.config import RuntimeConfig, TaskConfig, TrainConfig, choice


@dataclass
class DataConfig:
    # speech: the eSpeak NG corpus (offline); folder: your audio + transcripts;
    # librispeech / ljspeech: tfds (internet the first time).
    source: str = choice("speech", "speech", "folder", "librispeech", "ljspeech")
    folder: str = ""  # source=folder: train/ val/ test/ of audio + same-stem .txt, or a CSV
    tfds_data_dir: str = ""  # librispeech/ljspeech: where tfds keeps (or finds) the data
    max_utterances: int = 2000  # librispeech/ljspeech: per split, loaded into memory
    # the speech corpus: utterances per split, its seed and longest sentence (words)
    train_utterances: int = 3000
    val_utterances: int = 200
    test_utterances: int = 400
    corpus_seed: int = 0
    max_words: int = 10
    # share of training utterances in synthetic accents (accent augmentation, built in)
    accent_mix: float = 0.0
    # other speech engines (datasets/engines.py, fetched from Debian): this share of the
    # training and validation utterances is spoken by Flite (training voices awb, slt,
    # kal16; validation rms, held out of training), and the first engine_test test
    # sentences are spoken again by Flite and by Festival, the engine held out of
    # training and validation. 0 and 0 = eSpeak NG alone (the v1 corpus).
    engine_mix: float = 0.3
    engine_test: int = 100
    max_seconds: float = 8.0  # longer training utterances are skipped
    # on-the-fly training augmentation (SpecAugment is in the model: model.*_masks)
    augment: bool = True
    noise_probability: float = 0.5  # share of utterances with noise added
    snr_db: tuple[float, float] = (10.0, 40.0)  # its SNR, drawn uniformly
    speed: tuple[float, float] = (0.9, 1.1)  # speed (and pitch) perturbation factor
    gain_db: tuple[float, float] = (-6.0, 6.0)
    # rooms and microphones (speech_recognition/augment.py), each on a share of training
    # utterances (0 = off): vocal-tract-length perturbation by a factor from vtlp_alpha;
    # reverberation by a synthetic room of RT60 from rt60 seconds; band-limiting to
    # band_low_hz .. a top from band_high_hz (3,400 Hz is a telephone line)
    vtlp_probability: float = 0.0
    vtlp_alpha: tuple[float, float] = (0.9, 1.1)
    reverb_probability: float = 0.0
    rt60: tuple[float, float] = (0.2, 0.8)
    band_limit_probability: float = 0.0
    band_low_hz: float = 300.0
    band_high_hz: tuple[float, float] = (3400.0, 7000.0)
    shuffle_buffer: int = 1000


@dataclass
class ModelConfig:
    name: str = choice("blstm", "blstm", "dfcnn")
    n_mels: int = 64
    filters: int = 32  # conv channels (dfcnn: first block, doubling up to 4x)
    rnn: str = choice("gru", "gru", "lstm")  # blstm
    rnn_units: int = 128  # blstm: per direction
    rnn_layers: int = 2  # blstm
    conv_blocks: int = 4  # dfcnn
    dense_units: int = 256  # dfcnn
    dropout: float = 0.1
    freq_masks: int = 2  # SpecAugment, training only
    freq_width: int = 8
    time_masks: int = 2
    time_width: int = 20
    beam_width: int = 32  # beam-search decoding
    # evaluate, predict and the real-time factor run the model compiled by XLA (4.9x
    # faster one utterance at a time on 2 CPU cores; a few seconds to compile each padded
    # input length)
    xla_inference: bool = True
    # beam search with a character n-gram LM fused in (order 0 = none); weight and
    # per-character bonus from benchmarks/sweeps/speech_lm.py on val. Its text: "sources" =
    # every sentence of the speech corpus's text sources except the val and test ones
    # (other data sources have only their training transcripts); "train" = those only.
    lm_order: int = 7
    lm_text: str = choice("sources", "sources", "train")
    lm_smoothing: str = choice("kneser_ney", "kneser_ney", "witten_bell")
    lm_weight: float = 0.75
    lm_bonus: float = 2.0
    # the LM beam search tries at each frame only labels of log-probability >= this (-7:
    # the same val CER/WER as -10, 3.6x faster; benchmarks/sweeps/speech_lm.py --prunes)
    lm_prune: float = -7.0
    # a word n-gram model of the same text on top (order 0 = none): ``word_lm_weight`` x
    # log P(word | previous words) is added as each word ends (benchmarks/sweeps/speech_lm.py)
    word_lm_order: int = 3
    word_lm_weight: float = 0.25
    # evaluate also runs PocketSphinx (the en-us model its wheel ships, trained on real
    # speech) on the first this many clean test utterances of each engine (0 = skip; about
    # 0.3 s of CPU per second of audio), beside the model's scores on the same utterances
    pocketsphinx_utterances: int = 50


def _config(preset: str, data: DataConfig, model: ModelConfig, train: TrainConfig) -> TaskConfig:
    return TaskConfig("speech_recognition", preset, data, model, train, RuntimeConfig())


def smoke() -> TaskConfig:
    """Seconds on a CPU: a 64-utterance corpus and a tiny model, a few steps; the LM of
    the training transcripts (the text sources' LM takes ~4 s to read and count)."""
    return _config(
        "smoke",
        DataConfig(
            train_utterances=48,
            val_utterances=8,
            test_utterances=8,
            max_words=6,
            engine_mix=0.0,
            engine_test=0,
        ),
        ModelConfig(
            n_mels=32,
            filters=4,
            rnn_units=16,
            rnn_layers=1,
            conv_blocks=2,
            lm_text="train",
            pocketsphinx_utterances=2,
        ),
        TrainConfig(epochs=1, steps_per_epoch=2, batch_size=4, learning_rate=1e-3),
    )


def default() -> TaskConfig:
    """The README run: BLSTM-CTC on 3,000 utterances, a few CPU minutes."""
    return _config(
        "default",
        DataConfig(),
        ModelConfig(),
        TrainConfig(epochs=8, steps_per_epoch=50, batch_size=32, learning_rate=2e-3, clipnorm=5.0),
    )


def benchmark() -> TaskConfig:
    """The quality table (<= 30 CPU-minutes): twice the data, half of the eSpeak part in
    synthetic accents, 30% Flite, 36 x 50 steps of the default BLSTM-CTC (about 0.9 s a
    step at batch 32 on this project's 2-core Xeon machines: about 28 minutes; 52 x 50 took
    26 minutes on a faster machine and 94 on a slower one)."""
    return _config(
        "benchmark",
        DataConfig(train_utterances=6000, accent_mix=0.5),
        ModelConfig(),
        TrainConfig(epochs=36, steps_per_epoch=50, batch_size=32, learning_rate=2e-3, clipnorm=5.0),
    )


PRESETS = {"smoke": smoke, "default": default, "benchmark": benchmark}
