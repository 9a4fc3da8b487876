"""Train a linear classifier on imbalanced data with optax and imbalance_losses (JAX).

Runs on CPU in a few seconds: ``python examples/jax_optax.py``. The GHM-C state is
threaded through the jitted train step explicitly, as JAX wants state.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax

import imbalance_losses as il


def make_data(seed=0, n_major=1900, n_minor=100):
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(0.0, 1.0, (n_major, 2)), rng.normal(1.5, 1.0, (n_minor, 2))]).astype(np.float32)
    y = np.concatenate([np.zeros(n_major, np.int32), np.ones(n_minor, np.int32)])
    return jnp.asarray(x), jnp.asarray(y)


def train(loss_name, steps=300, learning_rate=0.5):
    x, y = make_data()
    prior = jnp.bincount(y, length=2)
    params = {"w": jnp.zeros((2, 2)), "b": jnp.zeros(2)}
    optimizer = optax.sgd(learning_rate)
    opt_state = optimizer.init(params)
    ghm_state = jnp.zeros(10)

    def loss_fn(params, ghm_state):
        logits = x @ params["w"] + params["b"]
        if loss_name == "logit_adjusted":
            return il.logit_adjusted_cross_entropy(logits, y, prior), ghm_state
        if loss_name == "ghm_c":
            # GHM-C on the one-hot targets of the two classes, state passed in and out.
            return il.ghm_c_loss(logits, jax.nn.one_hot(y, 2), bins=10, momentum=0.75, state=ghm_state)
        return il.softmax_cross_entropy(logits, y), ghm_state

    @jax.jit
    def step(params, opt_state, ghm_state):
        (loss, ghm_state), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, ghm_state)
        updates, opt_state = optimizer.update(grads, opt_state)
        return optax.apply_updates(params, updates), opt_state, ghm_state, loss

    for _ in range(steps):
        params, opt_state, ghm_state, loss = step(params, opt_state, ghm_state)
    predicted = jnp.argmax(x @ params["w"] + params["b"], axis=1)
    recall = float(jnp.mean(predicted[y == 1] == 1))
    return float(loss), recall


def main():
    results = {name: train(name) for name in ("plain", "logit_adjusted", "ghm_c")}
    for name, (loss, recall) in results.items():
        print(f"{name:15s} final loss {loss:.4f}  minority recall {recall:.2f}")
    return results


if __name__ == "__main__":
    main()
