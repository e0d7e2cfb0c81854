"""Adapters from public TFDS datasets to our element specs (needs internet the first time).

Nothing in a default path calls these; they are behind ``data.source`` options.
"""

from __future__ import annotations

import tensorflow as tf

from deeptasks.errors import UserError

# DIV2K: 800 training and 100 validation images. Its validation images are the field's
# test set, so ours is that; our validation is the last 20 training images.
DIV2K_SPLITS = {"train": "train[:780]", "val": "train[780:]", "test": "validation"}


def div2k_hr_element(element: dict) -> tf.Tensor:
    """A DIV2K example -> its uint8 HR image (we make our own LR by bicubic degradation)."""
    image = element["hr"]
    image.set_shape([None, None, 3])
    return image


def div2k_images(split: str, data_dir: str = "") -> tf.data.Dataset:
    """uint8 HR images of one split of DIV2K (``div2k/bicubic_x2``'s ``hr`` feature)."""
    import tensorflow_datasets as tfds

    try:
        dataset = tfds.load(
            "div2k/bicubic_x2",
            split=DIV2K_SPLITS[split],
            data_dir=data_dir or None,
            shuffle_files=False,
        )
    except Exception as err:  # tfds raises many types for "not downloaded / offline"
        raise UserError(
            f"DIV2K is not available through tfds ({type(err).__name__}); it needs internet "
            "the first time, or set data.tfds_data_dir to a prepared copy"
        ) from None
    return dataset.map(div2k_hr_element, num_parallel_calls=tf.data.AUTOTUNE)


# Speech: tfds split names per our split. LJSpeech has one speaker and one split: its last
# 10% is our test, the 5% before that validation.
SPEECH_SPLITS = {
    "librispeech": {"train": "train_clean100", "val": "dev_clean", "test": "test_clean"},
    "ljspeech": {"train": "train[:85%]", "val": "train[85%:90%]", "test": "train[90%:]"},
}
SPEECH_RATES = {"librispeech": 16000, "ljspeech": 22050}


def speech_split(name: str, split: str, data_dir: str = "", limit: int = 0):
    """``(16 kHz int16 arrays, transcripts, rows)`` of the first ``limit`` utterances of a
    split of ``librispeech`` or ``ljspeech`` (features ``speech`` and ``text``)."""
    import numpy as np
    import tensorflow_datasets as tfds

    from deeptasks.common.audio import to_mono_16k
    from deeptasks.datasets.speech import to_int16

    try:
        dataset = tfds.load(
            name, split=SPEECH_SPLITS[name][split], data_dir=data_dir or None, shuffle_files=False
        )
    except Exception as err:  # tfds raises many types for "not downloaded / offline"
        raise UserError(
            f"{name} is not available through tfds ({type(err).__name__}); it needs internet "
            "the first time, or set data.tfds_data_dir to a prepared copy"
        ) from None
    audio, texts = [], []
    for element in tfds.as_numpy(dataset.take(limit) if limit else dataset):
        samples = np.asarray(element["speech"]).astype(np.int16)
        audio.append(to_int16(to_mono_16k(samples, SPEECH_RATES[name])))
        texts.append(element["text"].decode("utf-8"))
    rows = [{"file": f"{name}/{split}/{k}", "text": t, "group": "all"} for k, t in enumerate(texts)]
    return audio, texts, rows


def ljspeech_recordings(data_dir: str = "", limit: int = 0) -> list:
    """``[(id, float samples at 22,050 Hz, normalised transcript)]`` of LJSpeech 1.1 (its
    one split; the text-to-speech corpus makes its own)."""
    import numpy as np

    _, dataset = _prepared("ljspeech", "train", data_dir)
    if limit:
        dataset = dataset.take(limit)
    return [
        (
            item["id"].decode("utf-8"),
            np.asarray(item["speech"], np.float32).reshape(-1) / 32768.0,
            item["text_normalized"].decode("utf-8"),
        )
        for item in dataset.as_numpy_iterator()
    ]


# Translation: tfds name, and which tfds split serves each of ours.
TRANSLATION_DATASETS = {"wmt14": "wmt14_translate", "ted": "ted_hrlr_translate"}
TRANSLATION_SPLITS = {"train": "train", "val": "validation", "test": "test"}


def translation_pairs(
    source: str, config: str, split: str, data_dir: str = "", limit: int = 0
) -> list[tuple[str, str]]:
    """``[(source, target)]`` of ``wmt14_translate/<config>`` (e.g. ``de-en``: German to
    English) or ``ted_hrlr_translate/<config>`` (e.g. ``pt_to_en``); the first ``limit``
    of them when ``limit`` > 0. The config's first language is the source."""
    name = f"{TRANSLATION_DATASETS[source]}/{config}"
    builder, dataset = _prepared(name, TRANSLATION_SPLITS[split], data_dir)
    first, second = builder.info.supervised_keys
    if limit:
        dataset = dataset.take(limit)
    return [
        (item[first].decode("utf-8"), item[second].decode("utf-8"))
        for item in dataset.as_numpy_iterator()
    ]


def _prepared(name: str, split: str, data_dir: str):
    """``(builder, dataset)`` of one split of a tfds dataset, downloaded and prepared first
    if ``data_dir`` (or tfds's default) does not hold it yet."""
    import logging
    import sys

    import tensorflow_datasets as tfds

    try:
        builder = tfds.builder(name, data_dir=data_dir or None)
        if not builder.is_prepared():
            print(f"preparing {name} with tfds (downloads it: needs internet)", file=sys.stderr)
            # Offline, urllib3 logs every retry; the error below says it in one line.
            logging.getLogger("urllib3").setLevel(logging.ERROR)
            builder.download_and_prepare()
        return builder, builder.as_dataset(split=split, shuffle_files=False)
    except Exception as err:  # tfds raises many types for "not downloaded / offline"
        raise UserError(
            f"{name} is not available through tfds ({type(err).__name__}); it needs internet "
            "the first time, or set data.tfds_data_dir to a prepared copy"
        ) from None


# Language models: LM1B has train and test; our validation is the last 1% of its train.
LM1B_SPLITS = {"train": "train[:99%]", "val": "train[99%:]", "test": "test"}


def lm1b_sentences(split: str, data_dir: str = "", limit: int = 0) -> list[str]:
    """The first ``limit`` sentences (all when 0) of one split of the One Billion Word
    benchmark (``lm1b``, feature ``text``), in tfds's order."""
    _, dataset = _prepared("lm1b", LM1B_SPLITS[split], data_dir)
    if limit:
        dataset = dataset.take(limit)
    return [item["text"].decode("utf-8") for item in dataset.as_numpy_iterator()]
