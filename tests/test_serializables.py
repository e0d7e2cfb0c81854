"""Every class and function deeptasks registers for Keras serialization goes through the
shared kit (tests/kit.py); a newly registered one without a case here fails the first
test, so none is left untested."""

import keras
import numpy as np
import pytest
from kit import run_layer_test, run_loss_test, run_model_test, run_object_test, tiny_bart

import deeptasks  # noqa: F401 (registers every class)
from deeptasks.common.blocks.pixel_shuffle import PixelShuffle
from deeptasks.common.blocks.residual import ResidualBlock
from deeptasks.common.finetune import GroupScaledAdam
from deeptasks.common.losses import (
    CTCLoss,
    DiceCrossEntropy,
    NoiseMapLoss,
    YoloGridLoss,
    half_sum_squared_error,
)
from deeptasks.common.metrics.image import psnr
from deeptasks.common.seq2seq.layers import AttentionGRUDecoder, BahdanauAttention
from deeptasks.common.seq2seq.models import GRUTranslator, TransformerTranslator
from deeptasks.common.seq2seq.objectives import SmoothedSparseCrossentropy, WarmupCosineDecay
from deeptasks.tasks.denoising.models import NoiseLevelControl
from deeptasks.tasks.detection.centernet import CentreNetLoss
from deeptasks.tasks.speech_recognition.layers import LogMelSpectrogram, SpecAugment
from deeptasks.tasks.summarization.layers import CopyTransformer, PresetSeq2Seq
from deeptasks.tasks.text_to_speech.adversarial import AdversarialVocoder, discriminator
from deeptasks.tasks.text_to_speech.layers import (
    ConvBlock,
    LengthRegulator,
    MaskedError,
    MultiResolutionSTFTLoss,
    PaddingMask,
    VariancePredictor,
)

RNG = np.random.default_rng(0)


def _random(*shape) -> np.ndarray:
    return RNG.random(shape).astype("float32")


MASK = np.array([[True] * 5, [True, True, True, False, False]])


LAYERS = {
    "PixelShuffle": (PixelShuffle, {"scale": 2}, _random(2, 3, 4, 8), (2, 6, 8, 2), {}),
    "ResidualBlock": (
        ResidualBlock,
        {"filters": 4, "kernel_size": 3, "res_scale": 0.5},
        _random(2, 5, 5, 4),
        (2, 5, 5, 4),
        {},
    ),
    "NoiseLevelControl": (NoiseLevelControl, {}, _random(1, 4, 4, 1), (1, 4, 4, 1), {}),
    "LogMelSpectrogram": (
        LogMelSpectrogram,
        {"n_mels": 16, "frame_step": 160},
        _random(2, 1600) - 0.5,
        (2, 11, 16),
        {},
    ),
    "SpecAugment": (
        SpecAugment,
        {"freq_masks": 1, "freq_width": 2, "time_masks": 1, "time_width": 3, "seed": 1},
        _random(2, 10, 16),
        (2, 10, 16),
        {},
    ),
    "BahdanauAttention": (
        BahdanauAttention,
        {"units": 8},
        [_random(2, 6), _random(2, 5, 6)],
        ((2, 6), (2, 5)),
        {},
    ),
    "AttentionGRUDecoder": (
        AttentionGRUDecoder,
        {"units": 6, "attention_units": 4},
        [_random(2, 3, 5), _random(2, 6), _random(2, 4, 6)],
        ((2, 3, 12), (2, 3, 4)),  # [decoder state, context] per step; attention weights
        {},
    ),
    "PaddingMask": (PaddingMask, {}, np.array([[3, 4, 0], [5, 0, 0]], "int32"), (2, 3), {}),
    "LengthRegulator": (
        LengthRegulator,
        {},
        [_random(2, 3, 4), np.array([[1, 2, 0], [2, 1, 1]], "int32")],
        ((2, 4, 5), (2, 4)),  # frames (4 channels + how far into the phoneme), mask
        {},
    ),
    "ConvBlock": (
        ConvBlock,
        {"channels": 4, "kernel_size": 3, "dilation": 2, "dropout": 0.0},
        [_random(2, 5, 4), MASK],
        (2, 5, 4),
        {},
    ),
    "VariancePredictor": (
        VariancePredictor,
        {"channels": 4, "kernel_size": 3, "dropout": 0.0, "bias": 1.5},
        [_random(2, 5, 4), MASK],
        (2, 5),
        {},
    ),
}

LOSSES = {
    "half_sum_squared_error": (half_sum_squared_error, None, _random(2, 4, 4, 1)),
    "psnr": (psnr, None, _random(2, 4, 4, 3)),
    "NoiseMapLoss": (
        NoiseMapLoss(0.3, 0.5, 0.05),
        {"alpha": 0.3, "asymmetric_weight": 0.5, "tv_weight": 0.05},
        _random(2, 4, 4, 1),
    ),
    "DiceCrossEntropy": (
        DiceCrossEntropy(255, 1.0),
        {"ignore_class": 255, "dice_weight": 1.0},
        (np.array([[[0, 1], [2, 255]]], "int32"), _random(1, 2, 2, 3)),
    ),
    "YoloGridLoss": (
        YoloGridLoss(1, 5.0, 0.5),
        {"boxes_per_cell": 1, "coord_weight": 5.0, "noobj_weight": 0.5},
        (_random(2, 2, 2, 5 + 3), _random(2, 2, 2, 5 + 3)),
    ),
    "CentreNetLoss": (
        CentreNetLoss(3, 1.0, 0.5),
        {"num_classes": 3, "size_weight": 1.0, "offset_weight": 0.5},
        (_random(2, 4, 4, 3 + 5), _random(2, 4, 4, 3 + 4)),
    ),
    "CTCLoss": (
        CTCLoss(),
        {"blank": 0},
        (np.array([[1, 2, 0]], "int32"), _random(1, 6, 4)),
    ),
    "SmoothedSparseCrossentropy": (
        SmoothedSparseCrossentropy(0.1),
        {"label_smoothing": 0.1},
        (np.array([[1, 2]], "int32"), _random(1, 2, 5)),
    ),
    "MaskedError": (
        MaskedError("l1"),
        {"kind": "l1"},
        (np.array([[1.0, -100.0]], "float32"), _random(1, 2)),
    ),
    "MultiResolutionSTFTLoss": (
        MultiResolutionSTFTLoss(((256, 64),)),
        {"resolutions": [[256, 64]]},
        (_random(2, 1024) - 0.5, _random(2, 1024) - 0.5),
    ),
}

OBJECTS = {
    "GroupScaledAdam": (GroupScaledAdam, {"learning_rate": 0.5}),
    "WarmupCosineDecay": (
        WarmupCosineDecay,
        {"peak": 1e-3, "warmup_steps": 10, "total_steps": 100, "alpha": 0.02},
    ),
}


def _tiny_bart():
    import keras_hub

    lm = tiny_bart()
    bare = keras_hub.models.BartSeq2SeqLM(backbone=lm.backbone)  # no preprocessor
    return PresetSeq2Seq(bare, lm.preprocessor.tokenizer)


MODELS = {
    "GRUTranslator": lambda: GRUTranslator(16, 8, 6, 4, 0.0),
    "TransformerTranslator": lambda: TransformerTranslator(16, 8, 1, 2, 8, 0.0),
    "CopyTransformer": lambda: CopyTransformer(16, 8, 1, 2, 8, 0.0),
    "PresetSeq2Seq": _tiny_bart,
    "AdversarialVocoder": lambda: AdversarialVocoder(
        keras.Sequential([keras.Input((None, 80)), keras.layers.Dense(4), keras.layers.Flatten()]),
        discriminator(channels=4, scales=2),
    ),
}


def test_every_registered_class_has_a_kit_case():
    registered = {
        key.split(">", 1)[1]
        for key in keras.saving.get_custom_objects()
        if key.split(">", 1)[0].startswith("deeptasks")
    }
    covered = {*LAYERS, *LOSSES, *OBJECTS, *MODELS}
    assert registered == covered, f"untested: {registered - covered}; stale: {covered - registered}"


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer(name, tmp_path):
    layer_cls, kwargs, inputs, shape, call_kwargs = LAYERS[name]
    run_layer_test(layer_cls, kwargs, inputs, shape, call_kwargs, tmp_path=tmp_path)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss(name):
    loss, kwargs, data = LOSSES[name]
    y_true, y_pred = data if isinstance(data, tuple) else (data, data)
    value = run_loss_test(loss, y_true, y_pred, kwargs)
    if name == "psnr":  # identical images: the PSNR of a zero error is capped, not inf
        assert value > 40
    elif name == "half_sum_squared_error":  # a perfect answer costs nothing
        assert value == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("name", sorted(OBJECTS))
def test_optimizer_or_schedule(name):
    cls, kwargs = OBJECTS[name]
    clone = run_object_test(cls(**kwargs), kwargs)
    if name == "WarmupCosineDecay":  # rises to the peak over the warm-up, then decays
        rates = [float(clone(step)) for step in (0, 10, 100)]
        assert rates[0] < rates[1] == pytest.approx(1e-3) and rates[2] < rates[1]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_subclass_saves_and_loads(name, tmp_path):
    model = MODELS[name]()
    if name == "AdversarialVocoder":  # called, it is its generator: mel -> waveform
        loaded = run_model_test(model, _random(1, 3, 80), tmp_path)
        assert np.asarray(loaded(_random(1, 3, 80))).shape == (1, 12)
        assert len(loaded.discriminator.weights) == len(model.discriminator.weights) > 0
        return
    inputs = {
        "source": np.array([[3, 4, 5, 2]], "int32"),
        "target_in": np.array([[1, 6, 7]], "int32"),
    }
    loaded = run_model_test(model, inputs, tmp_path)
    vocabulary = 264 if name == "PresetSeq2Seq" else 16  # 263 BPE ids, shifted by one
    assert np.asarray(loaded(inputs)).shape == (1, 3, vocabulary)
    if name == "CopyTransformer":  # its output is a distribution: log-probabilities
        total = np.exp(np.asarray(loaded(inputs), "float64")).sum(-1)
        np.testing.assert_allclose(total, 1.0, atol=1e-4)
