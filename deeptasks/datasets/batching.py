"""The per-replica batching every task's ``build_dataset`` shares: how big a batch each
input pipeline makes under a ``tf.distribute`` strategy, and how training and evaluation
splits are batched so that distributed runs see the same examples as one device."""

from __future__ import annotations

import tensorflow as tf


def input_pipeline(batch_size: int, context: tf.distribute.InputContext | None):
    """``(per-replica batch, number of input pipelines, this pipeline's id)``.

    ``batch_size`` is the global batch of the config; under a strategy each replica gets
    its share. Without a context (plain Keras ``fit``) it is one pipeline of the whole batch.
    """
    if context is None:
        return batch_size, 1, 0
    per_replica = context.get_per_replica_batch_size(batch_size)
    return per_replica, context.num_input_pipelines, context.input_pipeline_id


def evaluation_batches(
    items: tf.data.Dataset, batch_size: int, context: tf.distribute.InputContext | None
) -> tf.data.Dataset:
    """Batches of a finite evaluation split (validation) under any strategy.

    With one replica: plain batches of ``batch_size``. With several, two things break if
    the split is simply sharded: Keras cannot reduce a step in which one replica got an
    empty batch, and workers with unequal step counts wait forever in a collective. So
    every input pipeline reads the whole split, once per local replica, one item per
    replica per step: every worker runs the same number of steps, and since every
    replica sees every item exactly once the mean over replicas is the split's mean.
    """
    replicas = 1 if context is None else context.num_replicas_in_sync
    if replicas == 1:
        return items.batch(batch_size)
    return items.repeat(replicas // context.num_input_pipelines).batch(1)


def training_batches(
    stream: tf.data.Dataset, shuffle_buffer: int, batch: int, seed: int
) -> tf.data.Dataset:
    """Shuffled, batched, prefetched batches of an endless training stream.

    The shuffle order is fixed by ``seed`` and is the same for every iterator over the
    dataset: Keras opens an extra iterator to peek at one batch when the model lives in a
    strategy scope, and a reshuffled second iterator would make a distributed run train
    on different batches from the same run on one device.
    """
    return (
        stream.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=False)
        .batch(batch, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )
