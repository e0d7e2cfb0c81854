"""The vocoder's optional adversarial stage (``model.adversarial_weight > 0``).

A MelGAN-style multi-scale discriminator (the waveform at 1x, 1/2 and 1/4 of its rate,
each scored by a stack of strided convolutions) and least-squares GAN losses, added to
the multi-resolution STFT loss as Parallel WaveGAN does:

    generator:      L_stft + w * (L_adv + feature_weight * L_feature_matching)
    discriminator:  mean((D(real) - 1)^2) + mean(D(fake)^2)

The stage usually starts from a vocoder trained on the STFT loss alone
(``model.vocoder_init=RUN``): a GAN from scratch learns little in a CPU budget.

:class:`AdversarialVocoder` wraps the generator and the discriminator in one model that
the shared driver fits, checkpoints and resumes as it does any other (both optimizers'
states are in the backup). Called, it is the generator: mel -> waveform. It saves as
``.keras`` and loads with ``safe_mode=True``.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers

from deeptasks.tasks.text_to_speech.layers import PACKAGE, MultiResolutionSTFTLoss


def discriminator(channels: int = 16, scales: int = 3, name: str = "discriminator"):
    """Waveform ``[B, S]`` -> per scale, a list of feature maps whose last is the score
    map ``[B, S', 1]``. ``channels`` is the first layer's width, doubled by each of three
    strided layers. MelGAN's are wider with grouped kernels of 41; TensorFlow's grouped
    convolutions on a CPU made a benchmark step take 18 s instead of about 1."""
    wave = keras.Input((None,), name="waveform")
    x = layers.Reshape((-1, 1))(wave)
    outputs = []
    for scale in range(scales):
        if scale:
            x = layers.AveragePooling1D(4, strides=2, padding="same", name=f"pool_{scale}")(x)
        h, features = x, []
        h = layers.Conv1D(channels, 15, padding="same", name=f"d{scale}_in")(h)
        h = layers.LeakyReLU(0.2)(h)
        features.append(h)
        width = channels
        for k in range(3):
            width *= 2
            h = layers.Conv1D(width, 15, strides=4, padding="same", name=f"d{scale}_down{k}")(h)
            h = layers.LeakyReLU(0.2)(h)
            features.append(h)
        h = layers.Conv1D(width, 5, padding="same", name=f"d{scale}_mix")(h)
        h = layers.LeakyReLU(0.2)(h)
        features.append(h)
        features.append(layers.Conv1D(1, 3, padding="same", name=f"d{scale}_score")(h))
        outputs.append(features)
    return keras.Model(wave, outputs, name=name)


@keras.saving.register_keras_serializable(package=PACKAGE)
class AdversarialVocoder(keras.Model):
    """A generator (mel -> waveform) trained against a discriminator; see the module.

    ``compile`` takes the generator's ``optimizer`` and ``discriminator_optimizer``;
    the losses are its own.
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        adversarial_weight: float = 4.0,
        feature_weight: float = 2.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.adversarial_weight = float(adversarial_weight)
        self.feature_weight = float(feature_weight)
        self.stft_loss = MultiResolutionSTFTLoss()
        self.trackers = {
            name: keras.metrics.Mean(name=name)
            for name in ("generator", "stft", "adversarial", "feature_matching", "discriminator")
        }
        self.validation = keras.metrics.Mean(name="validation_stft")
        self.built = True  # both parts are built functional models

    def call(self, mel, training=False):
        return self.generator(mel, training=training)

    def compile(self, discriminator_optimizer=None, **kwargs):
        super().compile(**kwargs)
        self.discriminator_optimizer = discriminator_optimizer or keras.optimizers.Adam(1e-4)

    @property
    def metrics(self):
        # Listed so that fit and evaluate reset them at each epoch.
        return [*self.trackers.values(), self.validation]

    def train_step(self, data):
        mel, wave = data[0], tf.cast(data[1], tf.float32)
        replicas = tf.distribute.get_strategy().num_replicas_in_sync

        fake = tf.stop_gradient(self.generator(mel, training=True))
        with tf.GradientTape() as tape:
            real_scores = self.discriminator(wave, training=True)
            fake_scores = self.discriminator(fake, training=True)
            d_loss = sum(
                tf.reduce_mean(tf.square(real[-1] - 1.0)) + tf.reduce_mean(tf.square(made[-1]))
                for real, made in zip(real_scores, fake_scores)
            ) / len(real_scores)
            scaled = self.discriminator_optimizer.scale_loss(d_loss / replicas)
        variables = self.discriminator.trainable_variables
        self.discriminator_optimizer.apply(tape.gradient(scaled, variables), variables)

        real_scores = [
            [tf.stop_gradient(f) for f in scale]
            for scale in self.discriminator(wave, training=False)
        ]
        with tf.GradientTape() as tape:
            fake = self.generator(mel, training=True)
            stft = self.stft_loss(wave, fake)
            fake_scores = self.discriminator(fake, training=False)
            adversarial = sum(
                tf.reduce_mean(tf.square(made[-1] - 1.0)) for made in fake_scores
            ) / len(fake_scores)
            matching = sum(
                tf.reduce_mean(tf.abs(r - f))
                for real, made in zip(real_scores, fake_scores)
                for r, f in zip(real[:-1], made[:-1])
            ) / sum(len(scale) - 1 for scale in real_scores)
            g_loss = stft + self.adversarial_weight * (adversarial + self.feature_weight * matching)
            scaled = self.optimizer.scale_loss(g_loss / replicas)
        variables = self.generator.trainable_variables
        self.optimizer.apply(tape.gradient(scaled, variables), variables)

        values = {
            "generator": g_loss,
            "stft": stft,
            "adversarial": adversarial,
            "feature_matching": matching,
            "discriminator": d_loss,
        }
        for name, value in values.items():
            self.trackers[name].update_state(value)
        logs = {name: tracker.result() for name, tracker in self.trackers.items()}
        return {"loss": logs.pop("generator"), **logs}

    def test_step(self, data):
        """Validation: the STFT loss alone (``val_loss``), the quantity the best checkpoint
        follows in both stages."""
        fake = self.generator(data[0], training=False)
        self.validation.update_state(self.stft_loss(tf.cast(data[1], tf.float32), fake))
        return {"loss": self.validation.result()}

    def get_config(self):
        return {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "adversarial_weight": self.adversarial_weight,
            "feature_weight": self.feature_weight,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for part in ("generator", "discriminator"):
            config[part] = keras.saving.deserialize_keras_object(config[part])
        return cls(**config)
