"""Text-to-speech models: two non-autoregressive acoustic models (phonemes -> log-mel) and
a MelGAN-style vocoder (log-mel -> waveform).

An acoustic model is two named sub-models composed: ``encoder`` (phoneme ids -> hidden
vectors and the predicted log(1 + duration), and for FastSpeech 2 pitch and energy) and
``decoder`` (hidden vectors, durations [and pitch, energy] -> log-mel). Training feeds
the decoder the true durations (and pitch and energy); inference
(:mod:`~deeptasks.tasks.text_to_speech.inference`) feeds it the encoder's predictions,
scaled by ``--speed`` and shifted by ``--pitch``.
"""

from __future__ import annotations

import keras
import keras_hub
from keras import layers

from deeptasks.common.training import make_optimizer
from deeptasks.datasets.tts import N_MELS
from deeptasks.errors import UserError
from deeptasks.tasks.base import ModelSpec, model_spec
from deeptasks.tasks.text_to_speech.adversarial import AdversarialVocoder, discriminator
from deeptasks.tasks.text_to_speech.layers import (
    ConvBlock,
    LengthRegulator,
    MaskedError,
    MultiResolutionSTFTLoss,
    PaddingMask,
    VariancePredictor,
)

ACOUSTIC_INPUTS = ("phonemes", "durations")
VARIANCES = ("pitch", "energy")
PREDICTED = tuple(f"predicted_{name}" for name in VARIANCES)  # their outputs' names


def _conv_stack(x, mask, cfg, blocks: int, name: str):
    for k in range(blocks):
        block = ConvBlock(
            cfg.channels, cfg.kernel_size, 2 ** (k % 4), cfg.dropout, name=f"{name}_{k}"
        )
        x = block(x, mask)
    return x


def _transformer_stack(x, mask, cfg, name: str):
    """Sine positions added, then pre-norm keras-hub Transformer blocks and a final layer
    norm: pre-norm trains at the task's rate (2e-3) without a warm-up, where post-norm
    blocks collapsed to a constant output and the variance predictors learned nothing."""
    x = layers.Add()([x, keras_hub.layers.SinePositionEncoding(name=f"{name}_position")(x)])
    for k in range(cfg.layers):
        x = keras_hub.layers.TransformerEncoder(
            cfg.intermediate_dim,
            cfg.heads,
            dropout=cfg.dropout,
            normalize_first=True,
            name=f"{name}_{k}",
        )(x, padding_mask=mask)
    return layers.LayerNormalization(name=f"{name}_norm")(x)


def _mel_out(x, mel_mean: float, mel_std: float):
    mel = layers.Dense(N_MELS, name="mel_projection")(x)
    return layers.Rescaling(mel_std, mel_mean, name="mel_scale", dtype="float32")(mel)


def _acoustic(cfg, vocabulary_size, mel_mean, mel_std, log_duration_mean, variance: bool):
    """Encoder and decoder sub-models and the training model that composes them."""
    ids = keras.Input((None,), dtype="int32", name="phonemes")
    mask = PaddingMask(name="phoneme_mask")(ids)
    hidden = layers.Embedding(vocabulary_size, cfg.channels, name="phoneme_embedding")(ids)
    if variance:  # embeddings scaled up to the sine positions' size, as Transformers do
        hidden = layers.Rescaling(cfg.channels**0.5, name="embedding_scale")(hidden)
        hidden = _transformer_stack(hidden, mask, cfg, "encoder_block")
    else:
        hidden = _conv_stack(hidden, mask, cfg, cfg.encoder_blocks, "encoder_block")
    channels = cfg.channels

    def predictor(name, bias=0.0):
        return VariancePredictor(channels, 3, cfg.dropout, bias, name=name)(hidden, mask)

    encoded = [hidden, predictor("log_duration", log_duration_mean)]
    if variance:
        encoded += [predictor("pitch"), predictor("energy")]
    encoder = keras.Model(ids, encoded, name="encoder")

    hidden_in = keras.Input((None, channels), name="hidden")
    durations = keras.Input((None,), name="durations")
    values = [keras.Input((None,), name=name) for name in VARIANCES] if variance else []
    x = hidden_in
    for name, value in zip(VARIANCES, values):
        embedded = layers.Reshape((-1, 1), name=f"{name}_column")(value)
        x = layers.Add()(
            [x, layers.Conv1D(channels, 3, padding="same", name=f"{name}_embedding")(embedded)]
        )
    frames, frame_mask = LengthRegulator(name="length_regulator")(x, durations)
    x = layers.Dense(channels, name="frame_projection")(frames)
    if variance:
        x = _transformer_stack(x, frame_mask, cfg, "decoder_block")
    else:
        x = _conv_stack(x, frame_mask, cfg, cfg.decoder_blocks, "decoder_block")
    mel = _mel_out(x, mel_mean, mel_std)
    if variance and cfg.postnet_blocks:
        post = layers.Dense(channels, name="postnet_in")(mel)
        post = _conv_stack(post, frame_mask, cfg, cfg.postnet_blocks, "postnet")
        mel = layers.Add(name="postnet_add", dtype="float32")(
            [mel, layers.Dense(N_MELS, name="postnet_out")(post)]
        )
    decoder = keras.Model([hidden_in, durations, *values], mel, name="decoder")

    inputs = {"phonemes": keras.Input((None,), dtype="int32", name="phonemes")}
    inputs["durations"] = keras.Input((None,), dtype="int32", name="durations")
    for name in VARIANCES if variance else ():
        inputs[name] = keras.Input((None,), name=name)
    outs = encoder(inputs["phonemes"])
    teacher = (
        [layers.Activation("linear", dtype="float32", name=f"{n}_in")(inputs[n]) for n in VARIANCES]
        if variance
        else []
    )
    mel = decoder([outs[0], inputs["durations"], *teacher])
    outputs = {"mel": layers.Activation("linear", dtype="float32", name="mel")(mel)}
    names = ["log_duration", *(PREDICTED if variance else ())]
    for name, value in zip(names, outs[1:]):
        outputs[name] = layers.Activation("linear", dtype="float32", name=name)(value)
    return keras.Model(inputs, outputs, name="fastspeech2" if variance else "conv_tts")


def conv(
    cfg, vocabulary_size: int, mel_mean: float, mel_std: float, log_duration_mean=1.0, **_
) -> keras.Model:
    """Dilated residual convolutions before and after a length regulator, with a
    duration predictor (SpeedySpeech / ForwardTacotron style)."""
    return _acoustic(cfg, vocabulary_size, mel_mean, mel_std, log_duration_mean, False)


def fastspeech2(
    cfg, vocabulary_size: int, mel_mean: float, mel_std: float, log_duration_mean=1.0, **_
) -> keras.Model:
    """FastSpeech 2-lite: keras-hub Transformer encoder blocks before and after a variance
    adaptor (duration, pitch and energy per phoneme), and a convolutional postnet."""
    return _acoustic(cfg, vocabulary_size, mel_mean, mel_std, log_duration_mean, True)


def vocoder(cfg, mel_mean: float, mel_std: float, **_) -> keras.Model:
    """A MelGAN-style generator: log-mel ``[B, T, 80]`` -> waveform ``[B, T * 256]``,
    upsampled 8 x 8 x 4 by transposed convolutions, each followed by dilated residual
    layers (dilations 1, 3, 9 ...), tanh output."""
    mel = keras.Input((None, N_MELS), name="mel")
    x = layers.Rescaling(1.0 / mel_std, -mel_mean / mel_std, name="mel_norm")(mel)
    channels = cfg.vocoder_channels
    x = layers.Conv1D(channels, 7, padding="same", name="vocoder_in")(x)
    for stage, stride in enumerate((8, 8, 4)):
        channels = max(channels // 2, 4)
        x = layers.LeakyReLU(0.2)(x)
        x = layers.Conv1DTranspose(
            channels, 2 * stride, strides=stride, padding="same", name=f"up_{stage}"
        )(x)
        for k in range(cfg.vocoder_residual):
            y = layers.LeakyReLU(0.2)(x)
            y = layers.Conv1D(
                channels, 3, padding="same", dilation_rate=3**k, name=f"res_{stage}_{k}a"
            )(y)
            y = layers.LeakyReLU(0.2)(y)
            y = layers.Conv1D(channels, 1, name=f"res_{stage}_{k}b")(y)
            x = layers.Add()([x, y])
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv1D(1, 7, padding="same", activation="tanh", name="vocoder_out", dtype="float32")(
        x
    )
    wave = layers.Reshape((-1,), name="waveform", dtype="float32")(x)
    generator = keras.Model(mel, wave, name="melgan_vocoder")
    if cfg.vocoder_init:
        _start_from(generator, cfg.vocoder_init)
    if cfg.adversarial_weight <= 0:
        return generator
    return AdversarialVocoder(
        generator,
        discriminator(cfg.discriminator_channels),
        cfg.adversarial_weight,
        cfg.feature_weight,
        name="adversarial_vocoder",
    )


def _start_from(generator: keras.Model, workdir: str) -> None:
    """Load the generator weights of vocoder run ``workdir`` (``model.vocoder_init``)."""
    from deeptasks.tasks.text_to_speech.inference import vocoder_run

    source = vocoder_run(workdir, "model.vocoder_init")
    source = getattr(source, "generator", source)
    try:
        generator.set_weights(source.get_weights())
    except ValueError as error:
        raise UserError(
            f"model.vocoder_init={workdir}: its vocoder has another shape ({error}); use the "
            "same model.vocoder_channels and model.vocoder_residual as that run"
        ) from None


def compile_model(model: keras.Model, cfg) -> None:
    """Acoustic models: L1 on the log-mel, squared error on log(1 + duration) (and on pitch
    and energy), padding masked out; the vocoder: the multi-resolution STFT loss. Adam
    with the run's schedule and clipping."""
    spec = model_spec(cfg)
    if isinstance(model, AdversarialVocoder):
        model.compile(
            optimizer=make_optimizer(cfg.train),
            discriminator_optimizer=make_optimizer(cfg.train),
            jit_compile=cfg.runtime.jit_compile,
        )
        return
    if spec.extra["kind"] == "vocoder":
        loss, weights = MultiResolutionSTFTLoss(), None
    else:
        loss = {
            name: MaskedError("l1" if name == "mel" else "l2") for name in spec.extra["outputs"]
        }
        weights = {"mel": 1.0, "log_duration": cfg.model.duration_weight}
        weights |= {name: cfg.model.variance_weight for name in PREDICTED}
        weights = {name: weights[name] for name in spec.extra["outputs"]}
    model.compile(
        optimizer=make_optimizer(cfg.train),
        loss=loss,
        loss_weights=weights,
        jit_compile=cfg.runtime.jit_compile,
    )


def _acoustic_extra(variance: bool) -> dict:
    more = VARIANCES if variance else ()
    return {
        "kind": "acoustic",
        "inputs": (*ACOUSTIC_INPUTS, *more),
        "outputs": ("mel", "log_duration", *(PREDICTED if variance else ())),
        "variances": more,
    }


MODELS = {
    "conv": ModelSpec(
        "conv",
        conv,
        "dilated-convolution acoustic model with duration predictor (SpeedySpeech style)",
        extra=_acoustic_extra(False),
    ),
    "fastspeech2": ModelSpec(
        "fastspeech2",
        fastspeech2,
        "FastSpeech 2-lite: keras-hub Transformer blocks, duration/pitch/energy adaptor",
        extra=_acoustic_extra(True),
    ),
    "vocoder": ModelSpec(
        "vocoder",
        vocoder,
        "MelGAN-style neural vocoder (mel -> waveform), multi-resolution STFT loss "
        "(+ an optional adversarial stage)",
        extra={"kind": "vocoder"},
    ),
}
