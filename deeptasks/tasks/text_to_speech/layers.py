"""Layers and losses of the text-to-speech models: the length regulator, masked regression
losses, convolution blocks, and the multi-resolution STFT loss of the vocoder."""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers, ops

PACKAGE = "deeptasks.text_to_speech"
# Targets at or below this are padding (the data pads with -100; no real target is below
# the log-mel floor of log(1e-5) = -11.5).
MASK_BELOW = -50.0


@keras.saving.register_keras_serializable(package=PACKAGE)
class PaddingMask(layers.Layer):
    """Phoneme ids ``[B, N]`` -> ``[B, N]`` bool, True where there is a phoneme (id > 0)."""

    def call(self, ids):
        return ops.greater(ids, 0)

    def compute_output_spec(self, ids):
        return keras.KerasTensor(ids.shape, "bool")


@keras.saving.register_keras_serializable(package=PACKAGE)
class LengthRegulator(layers.Layer):
    """``(hidden [B, N, C], durations [B, N])`` -> ``(frames [B, T, C + 1], mask [B, T])``.

    Each phoneme's vector repeated for its duration in frames (0 frames: it adds none),
    with one more channel, how far into its phoneme each frame is (0 at its first frame,
    towards 1 at its last). ``T`` is the longest utterance's total; frames past an
    utterance's own total are zeros and False in ``mask``. Durations are rounded and
    clipped at 0, so predicted real-valued durations can be given as they are.
    """

    def call(self, hidden, durations):
        durations = tf.maximum(tf.cast(tf.round(tf.cast(durations, tf.float32)), tf.int32), 0)
        ends = tf.cumsum(durations, axis=1)
        total = ends[:, -1]
        steps = tf.range(tf.reduce_max(total))
        index = tf.reduce_sum(tf.cast(ends[:, None, :] <= steps[None, :, None], tf.int32), axis=-1)
        index = tf.minimum(index, tf.shape(durations)[1] - 1)
        frames = tf.gather(hidden, index, batch_dims=1)
        start = tf.gather(ends - durations, index, batch_dims=1)
        length = tf.gather(durations, index, batch_dims=1)
        elapsed = tf.cast(steps[None, :] - start, tf.float32) / tf.cast(
            tf.maximum(length, 1), tf.float32
        )
        mask = steps[None, :] < total[:, None]
        frames = tf.concat([frames, tf.cast(elapsed[..., None], frames.dtype)], axis=-1)
        return frames * tf.cast(mask[..., None], frames.dtype), mask

    def compute_output_spec(self, hidden, durations):
        batch = hidden.shape[0]
        return (
            keras.KerasTensor((batch, None, hidden.shape[-1] + 1), hidden.dtype),
            keras.KerasTensor((batch, None), "bool"),
        )


@keras.saving.register_keras_serializable(package=PACKAGE)
class ConvBlock(layers.Layer):
    """``(x [B, L, C], valid [B, L])`` -> ``x + dropout(norm(relu(conv(x))))``, zeroed where
    ``valid`` is False: a dilated residual convolution (SpeedySpeech's block)."""

    def __init__(self, channels, kernel_size=5, dilation=1, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.channels, self.kernel_size = channels, kernel_size
        self.dilation, self.rate = dilation, dropout
        self.conv = layers.Conv1D(channels, kernel_size, padding="same", dilation_rate=dilation)
        self.norm = layers.LayerNormalization()
        self.drop = layers.Dropout(dropout)

    def build(self, x_shape, valid_shape=None):
        self.conv.build(x_shape)
        self.norm.build(tuple(x_shape[:-1]) + (self.channels,))

    def call(self, x, valid, training=None):
        y = self.drop(self.norm(ops.relu(self.conv(x))), training=training)
        return (x + y) * ops.cast(valid[..., None], x.dtype)

    def compute_output_shape(self, x_shape, valid_shape=None):
        return x_shape

    def get_config(self):
        return super().get_config() | {
            "channels": self.channels,
            "kernel_size": self.kernel_size,
            "dilation": self.dilation,
            "dropout": self.rate,
        }


@keras.saving.register_keras_serializable(package=PACKAGE)
class VariancePredictor(layers.Layer):
    """``(x [B, N, C], valid [B, N])`` -> ``[B, N]``: two convolutions (ReLU, layer norm,
    dropout) and a linear unit per phoneme (FastSpeech 2's duration/pitch/energy head),
    its bias starting at ``bias`` (the training mean of what it predicts)."""

    def __init__(self, channels, kernel_size=3, dropout=0.1, bias=0.0, **kwargs):
        super().__init__(**kwargs)
        self.channels, self.kernel_size, self.rate, self.bias = channels, kernel_size, dropout, bias
        self.convs = [layers.Conv1D(channels, kernel_size, padding="same") for _ in range(2)]
        self.norms = [layers.LayerNormalization() for _ in range(2)]
        self.drop = layers.Dropout(dropout)
        self.out = layers.Dense(1, bias_initializer=keras.initializers.Constant(bias))

    def build(self, x_shape, valid_shape=None):
        shape = tuple(x_shape)
        for conv, norm in zip(self.convs, self.norms):
            conv.build(shape)
            shape = tuple(shape[:-1]) + (self.channels,)
            norm.build(shape)
        self.out.build(shape)

    def call(self, x, valid, training=None):
        for conv, norm in zip(self.convs, self.norms):
            x = self.drop(norm(ops.relu(conv(x))), training=training)
        return ops.squeeze(self.out(x), -1) * ops.cast(valid, x.dtype)

    def compute_output_shape(self, x_shape, valid_shape=None):
        return tuple(x_shape[:-1])

    def get_config(self):
        return super().get_config() | {
            "channels": self.channels,
            "kernel_size": self.kernel_size,
            "dropout": self.rate,
            "bias": self.bias,
        }


@keras.saving.register_keras_serializable(package=PACKAGE)
class MaskedError(keras.losses.Loss):
    """Mean absolute (``"l1"``) or squared (``"l2"``) error over the target elements above
    ``MASK_BELOW`` (padding frames and phonemes count for nothing, and not in the mean)."""

    def __init__(self, kind="l1", name="masked_error", **kwargs):
        super().__init__(name=name, **kwargs)
        self.kind = kind

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "float32")
        y_pred = ops.cast(y_pred, "float32")
        mask = ops.cast(y_true > MASK_BELOW, "float32")
        diff = y_true - y_pred
        error = ops.abs(diff) if self.kind == "l1" else ops.square(diff)
        mean = ops.sum(error * mask) / ops.maximum(ops.sum(mask), 1.0)
        return ops.ones(ops.shape(y_true)[:1]) * mean  # the batch mean is ``mean``

    def get_config(self):
        return super().get_config() | {"kind": self.kind}


@keras.saving.register_keras_serializable(package=PACKAGE)
class MultiResolutionSTFTLoss(keras.losses.Loss):
    """The vocoder's loss (Parallel WaveGAN's): at each STFT resolution, spectral
    convergence ``||S - S'||_F / ||S||_F`` plus the mean absolute log-magnitude error,
    averaged over the resolutions ``(fft size, hop)``."""

    def __init__(self, resolutions=((512, 128), (1024, 256), (2048, 512)), name="mr_stft", **kw):
        super().__init__(name=name, **kw)
        self.resolutions = tuple(tuple(r) for r in resolutions)

    def call(self, y_true, y_pred):
        y_true = tf.cast(y_true, tf.float32)
        y_pred = tf.cast(y_pred, tf.float32)
        total = 0.0
        for fft, hop in self.resolutions:
            true = tf.abs(tf.signal.stft(y_true, fft, hop, fft, pad_end=True)) + 1e-7
            pred = tf.abs(tf.signal.stft(y_pred, fft, hop, fft, pad_end=True)) + 1e-7
            convergence = tf.norm(true - pred, axis=[-2, -1]) / tf.norm(true, axis=[-2, -1])
            log_error = tf.reduce_mean(tf.abs(tf.math.log(true) - tf.math.log(pred)), [-2, -1])
            total += convergence + log_error
        return total / len(self.resolutions)

    def get_config(self):
        return super().get_config() | {"resolutions": [list(r) for r in self.resolutions]}
