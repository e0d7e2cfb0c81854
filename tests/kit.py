"""The shared test kit for everything deeptasks registers with Keras serialization, in
the spirit of keras-hub's ``TestCase.run_layer_test``: one call checks what every layer,
loss, optimizer or schedule must do, so a new class gets the same checks for free."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np


def _as_list(data) -> list:
    return list(data) if isinstance(data, list | tuple) else [data]


def _numpy(tree):
    return keras.tree.map_structure(lambda t: np.asarray(t, np.float32), tree)


def _assert_close(actual, expected, atol: float) -> None:
    for a, e in zip(keras.tree.flatten(_numpy(actual)), keras.tree.flatten(_numpy(expected))):
        np.testing.assert_allclose(a, e, atol=atol)


def _assert_config_round_trip(obj, init_kwargs: dict[str, Any]) -> dict:
    """Every constructor argument is stored and returned by ``get_config``, and the class
    rebuilds the same config from it."""
    config = obj.get_config()
    for key, value in init_kwargs.items():
        assert key in config, f"{type(obj).__name__}.get_config() lacks '{key}'"
        assert config[key] == value, f"{type(obj).__name__}: '{key}' {config[key]} != {value}"
    clone = type(obj).from_config(config)
    assert clone.get_config() == config
    return config


def run_layer_test(
    layer_cls: type,
    init_kwargs: dict[str, Any],
    input_data,
    expected_output_shape,
    call_kwargs: dict[str, Any] | None = None,
    tmp_path=None,
    atol: float = 1e-5,
) -> None:
    """A layer's contract: output shape, config round trip, ``.keras`` save/load with
    ``safe_mode=True`` giving the same outputs, and a call under ``mixed_bfloat16`` that
    stays finite. ``input_data`` is one array or a list of arrays (positional inputs)."""
    call_kwargs = call_kwargs or {}
    inputs = _as_list(input_data)
    layer = layer_cls(**init_kwargs)
    output = layer(*inputs, **call_kwargs)
    shapes = [tuple(t.shape) for t in keras.tree.flatten(output)]
    expected = expected_output_shape
    expected = [tuple(s) for s in (expected if isinstance(expected[0], tuple) else [expected])]
    assert shapes == expected, f"{layer_cls.__name__}: output shapes {shapes} != {expected}"
    _assert_config_round_trip(layer, init_kwargs)

    symbolic = [keras.Input(np.shape(x)[1:], dtype=np.asarray(x).dtype.name) for x in inputs]
    model = keras.Model(symbolic, layer_cls(**init_kwargs)(*symbolic, **call_kwargs))
    before = model(inputs)
    if tmp_path is not None:
        path = tmp_path / f"{layer_cls.__name__}.keras"
        model.save(path)
        loaded = keras.saving.load_model(path, safe_mode=True)
        _assert_close(loaded(inputs), before, atol)

    previous = keras.config.dtype_policy()
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        mixed = layer_cls(**init_kwargs)(*inputs, **call_kwargs)
        for value in keras.tree.flatten(_numpy(mixed)):
            assert np.all(np.isfinite(value)), f"{layer_cls.__name__}: not finite in bfloat16"
    finally:
        keras.mixed_precision.set_global_policy(previous)


def run_loss_test(loss, y_true, y_pred, init_kwargs: dict[str, Any] | None = None) -> float:
    """A loss's (or metric function's) contract: a finite value, and the same value after a
    round trip through Keras serialization with ``safe_mode=True``. Returns the value
    (averaged over the batch for per-sample functions)."""
    value = float(np.mean(np.asarray(loss(y_true, y_pred))))
    assert np.isfinite(value)
    if init_kwargs is not None:
        _assert_config_round_trip(loss, init_kwargs)
    clone = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(loss), safe_mode=True
    )
    assert float(np.mean(np.asarray(clone(y_true, y_pred)))) == value
    return value


def run_object_test(obj, init_kwargs: dict[str, Any]):
    """An optimizer's or schedule's contract: its config round trip, and the same object
    back through Keras serialization with ``safe_mode=True``."""
    config = _assert_config_round_trip(obj, init_kwargs)
    clone = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(obj), safe_mode=True
    )
    assert type(clone) is type(obj) and clone.get_config() == config
    return clone


def run_model_test(model: keras.Model, inputs, tmp_path, atol: float = 1e-5) -> keras.Model:
    """A model subclass's contract: ``.keras`` save/load with ``safe_mode=True`` in a
    fresh object, same outputs. Returns the loaded model."""
    model(inputs)  # built before it is saved
    path = tmp_path / f"{type(model).__name__}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is type(model)
    _assert_close(loaded(inputs), model(inputs), atol)
    return loaded


def tiny_bart(folder=None):
    """A one-layer BART (width 16) over a byte-level BPE of the 256 byte symbols and three
    merges: ``BartSeq2SeqLM``, saved with ``save_to_preset`` into ``folder`` when given
    (what a hub preset is, offline)."""
    import keras_hub
    from keras_hub.src.tokenizers.byte_pair_tokenizer import bytes_to_unicode

    vocabulary = {"<s>": 0, "<pad>": 1, "</s>": 2, "<mask>": 3}
    merges = ["Ġ t", "h e", "Ġt he"]
    for piece in [*bytes_to_unicode()[1], *(m.replace(" ", "") for m in merges)]:
        vocabulary.setdefault(piece, len(vocabulary))
    tokenizer = keras_hub.models.BartTokenizer(vocabulary=vocabulary, merges=merges)
    backbone = keras_hub.models.BartBackbone(
        vocabulary_size=len(vocabulary),
        num_layers=1,
        num_heads=2,
        hidden_dim=16,
        intermediate_dim=32,
        max_sequence_length=128,
    )
    preprocessor = keras_hub.models.BartSeq2SeqLMPreprocessor(tokenizer)
    lm = keras_hub.models.BartSeq2SeqLM(backbone=backbone, preprocessor=preprocessor)
    if folder is not None:
        lm.save_to_preset(str(folder))
    return lm
