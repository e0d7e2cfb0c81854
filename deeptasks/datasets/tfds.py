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
