"""CTC speech recognisers: raw 16 kHz audio ``[B, samples]`` -> character logits
``[B, frames / 2, len(alphabet) + 1]`` (index 0 is CTC's blank), 20 ms per output frame.
"""

from __future__ import annotations

import keras
from keras import layers

from deeptasks.common.losses import CTCLoss
from deeptasks.common.training import make_optimizer
from deeptasks.datasets.english_text import ALPHABET
from deeptasks.tasks.base import ModelSpec
from deeptasks.tasks.speech_recognition.config import ModelConfig
from deeptasks.tasks.speech_recognition.layers import LogMelSpectrogram, SpecAugment

FRAME_STEP = 160  # samples per feature frame (10 ms)
TIME_STRIDE = 2  # feature frames per output frame
CLASSES = len(ALPHABET) + 1


def _ceil_div(value: int, divisor: int) -> int:
    return -(-value // divisor)


def output_frames(samples: int) -> int:
    """Output frames for an utterance of ``samples`` samples (centred STFT, stride 2)."""
    return _ceil_div(samples // FRAME_STEP + 1, TIME_STRIDE)


def _features(m: ModelConfig):
    """The front end, in float32 under any precision policy: log-mel statistics and masks
    are cheap, and bfloat16's 8-bit mantissa would blur the normalised features."""
    audio = keras.Input((None,), name="audio")
    x = LogMelSpectrogram(m.n_mels, frame_step=FRAME_STEP, name="log_mel", dtype="float32")(audio)
    x = SpecAugment(
        m.freq_masks, m.freq_width, m.time_masks, m.time_width, name="spec_augment", dtype="float32"
    )(x)
    return audio, layers.Reshape((-1, m.n_mels, 1), name="as_image")(x)


def _conv_bn(x, filters: int, kernel, strides, name: str):
    x = layers.Conv2D(filters, kernel, strides, padding="same", use_bias=False, name=name)(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def _classifier(x, m: ModelConfig):
    x = layers.Dropout(m.dropout, name="dropout")(x)
    return layers.Dense(CLASSES, name="logits", dtype="float32")(x)


def blstm(m: ModelConfig) -> keras.Model:
    """DeepSpeech2-shaped: two 2-D convolutions over the spectrogram (the first strides 2
    in time and frequency, the second 2 in frequency), ``rnn_layers`` bidirectional GRU or
    LSTM layers, and a per-frame character softmax trained with CTC.

    Reference:
        Amodei et al., "Deep Speech 2: End-to-End Speech Recognition in English and
        Mandarin", ICML 2016.
    """
    audio, x = _features(m)
    x = _conv_bn(x, m.filters, (11, 21), (TIME_STRIDE, 2), "conv1")
    x = _conv_bn(x, m.filters, (11, 11), (1, 2), "conv2")
    bands = _ceil_div(_ceil_div(m.n_mels, 2), 2)
    x = layers.Reshape((-1, bands * m.filters), name="frames")(x)
    recurrent = layers.GRU if m.rnn == "gru" else layers.LSTM
    for index in range(m.rnn_layers):
        x = layers.Bidirectional(
            recurrent(m.rnn_units, return_sequences=True), name=f"birnn{index + 1}"
        )(x)
    return keras.Model(audio, _classifier(x, m), name="blstm_ctc")


def dfcnn(m: ModelConfig) -> keras.Model:
    """DFCNN: the whole utterance's spectrogram as an image through stacked blocks of two
    3x3 convolutions (BN, ReLU), each block pooling along frequency (the first also along
    time), then per-frame dense layers and a character softmax trained with CTC.

    Reference:
        iFLYTEK's Deep Fully Convolutional Neural Network for speech recognition (2016), as
        the open ASRT / DeepSpeechRecognition seeds implement it.
    """
    audio, x = _features(m)
    width, bands = m.filters, m.n_mels
    for block in range(m.conv_blocks):
        x = _conv_bn(x, width, 3, 1, f"block{block + 1}_conv1")
        x = _conv_bn(x, width, 3, 1, f"block{block + 1}_conv2")
        pool = (TIME_STRIDE, 2) if block == 0 else (1, 2)
        x = layers.MaxPooling2D(pool, padding="same", name=f"block{block + 1}_pool")(x)
        bands = _ceil_div(bands, 2)
        width = min(width * 2, 4 * m.filters)
    x = layers.Reshape((-1, bands * x.shape[-1]), name="frames")(x)
    x = layers.Dense(m.dense_units, activation="relu", name="dense")(x)
    return keras.Model(audio, _classifier(x, m), name="dfcnn_ctc")


def compile_model(model: keras.Model, cfg) -> None:
    """CTC loss over the character logits (blank = 0)."""
    model.compile(
        optimizer=make_optimizer(cfg.train),
        loss=CTCLoss(),
        jit_compile=cfg.runtime.jit_compile,
    )


MODELS = {
    "blstm": ModelSpec(
        "blstm",
        blstm,
        "DeepSpeech2-shaped BLSTM-CTC (Amodei 2016): 2-D convs + bidirectional GRU/LSTM",
    ),
    "dfcnn": ModelSpec(
        "dfcnn",
        dfcnn,
        "DFCNN-CTC: stacked 3x3 conv blocks pooling along frequency, per-frame softmax",
    ),
}
