"""Sequence-to-sequence parts that translation and summarization share: the attention
layers, the GRU and Transformer encoder-decoders, their training objective and learning
rate schedule, the tf.data pipeline of subword-id pairs, and batched decoding of texts."""
