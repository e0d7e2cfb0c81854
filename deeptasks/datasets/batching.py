"""The per-replica batching every task's ``build_dataset`` shares: how big a batch each
input pipeline makes under a ``tf.distribute`` strategy, and how training and evaluation
splits are batched so that distributed runs see the same examples as one device."""

from __future__ import annotations

import tensorflow as tf

from deeptasks.common.tokenizers import BOS_ID, EOS_ID


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


BUCKET_WIDTHS = (8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256)


def bucket_boundaries(max_tokens: int) -> list[int]:
    """Exclusive length limits of the training buckets below ``max_tokens`` (pairs are at
    most that long, so the last bucket holds the rest)."""
    return [width + 1 for width in BUCKET_WIDTHS if width < max_tokens]


def encode_pair(src, tgt, max_source: int, max_target: int, bos: int = BOS_ID, eos: int = EOS_ID):
    """Ids of one pair: source + EOS, BOS + target (decoder input), target + EOS (labels),
    each side cut to its limit (counting the EOS/BOS)."""
    src = tf.concat([src[: max_source - 1], [eos]], 0)
    tgt = tgt[: max_target - 1]
    return src, tf.concat([[bos], tgt], 0), tf.concat([tgt, [eos]], 0)


def pair_batches(
    pairs: tf.data.Dataset,
    split: str,
    batch_size: int,
    max_tokens: tuple[int, int],
    shuffle_buffer: int,
    seed: int,
    input_context: tf.distribute.InputContext | None = None,
    bos: int = BOS_ID,
    eos: int = EOS_ID,
) -> tf.data.Dataset:
    """Padded batches of ``({"source", "target_in"}, target_out, weights)`` from a dataset
    of ``(source ids, target ids)`` pairs (the encoder-decoder tasks); weights are 0 on
    padding. ``max_tokens`` is the ``(source, target)`` limit. Training shuffles, repeats
    and batches pairs of like length; val and test are one pass. ``bos``/``eos`` are the
    ids that begin and end a sequence (:mod:`deeptasks.common.seq2seq.codecs`)."""
    if input_context is not None:
        pairs = pairs.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)
    batch, _, _ = input_pipeline(batch_size, input_context)
    dataset = pairs.map(
        lambda s, t: encode_pair(s, t, *max_tokens, bos, eos), num_parallel_calls=tf.data.AUTOTUNE
    ).cache()
    if split == "train":
        dataset = dataset.shuffle(shuffle_buffer, seed=seed).repeat()
        # batches of pairs of like length: a step costs what its longest pair costs, so
        # mixing one long pair into a batch of short ones wastes most of the step
        bounds = bucket_boundaries(max(max_tokens))
        dataset = dataset.bucket_by_sequence_length(
            lambda s, t_in, t_out: tf.maximum(tf.shape(s)[0], tf.shape(t_in)[0]),
            bounds,
            [batch] * (len(bounds) + 1),
            drop_remainder=True,
        )
    else:
        dataset = dataset.padded_batch(batch)
    return dataset.map(
        lambda s, t_in, t_out: (
            {"source": s, "target_in": t_in},
            t_out,
            tf.cast(t_out != 0, tf.float32),
        )
    ).prefetch(tf.data.AUTOTUNE)
