"""Times the lecture's four training loops in TensorFlow 2 eager mode and in JAX.

Run by lecture-bench (benchmarks/Sources/lecture-bench) in the same run as SwiftGrad, so the
ratios it prints are between figures measured side by side:

    python lecture_loops.py --data DATASETS_DIR [--repeats N]

Prints one JSON object on stdout: for each framework, the µs per step of every timed run of
each loop (the caller takes the best and the median), the step counts, and the final values
(to check the loops did what SwiftGrad's do).

- TF eager: `tf.GradientTape` per step, as the lecture writes it; Keras Adam with its defaults.
  Each timed run starts from fresh variables after a warm-up run (tracing, slot creation).
  TF eager is slow, so it runs fewer steps than SwiftGrad; its per-step cost is steady.
- JAX jit: a Python loop calling one jitted step (`jax.value_and_grad` + the update) per step,
  which is what the anchors' "JAX jit time per step" measures; results are left on the device
  until the end (`block_until_ready`). Adam is written out as Keras computes it.
- JAX fori_loop: the whole loop compiled into one XLA program, for context only.

Data as SwiftGrad reads it: datasets/seed_linear_data.csv (header x,y), and
datasets/digits.csv (64 pixels then the label), classes 0 and 1 in file order, standardised
with all rows (population standard deviation; constant columns left at zero), the first 90 %
training.
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np

# Steps per timed run. SwiftGrad's bench uses quadratic 5000, linear regression 10 000 and
# logistic 700; TF eager takes 0.7–7 ms a step, so it gets fewer.
TF_STEPS = {"quadratic": 300, "linreg_sgd": 1000, "linreg_adam": 400, "logistic": 150}
JAX_STEPS = {"quadratic": 5000, "linreg_sgd": 10000, "linreg_adam": 10000, "logistic": 700}
ADAM = dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)  # Keras defaults


def load_data(folder):
    linear = np.loadtxt(os.path.join(folder, "seed_linear_data.csv"), delimiter=",", skiprows=1)
    digits = np.loadtxt(os.path.join(folder, "digits.csv"), delimiter=",")
    digits = digits[(digits[:, 64] == 0) | (digits[:, 64] == 1)]
    features, labels = digits[:, :64], digits[:, 64:65]
    std = features.std(axis=0)
    features = (features - features.mean(axis=0)) / np.where(std > 0, std, 1)
    train = int(0.9 * len(labels))
    f32 = lambda a: np.ascontiguousarray(a, dtype=np.float32)
    return {
        "x": f32(linear[:, 0]), "y": f32(linear[:, 1]),
        "features": f32(features[:train]), "labels": f32(labels[:train]),
    }


def timed(run, steps, repeats):
    """Runs `run(steps)` once to warm up, then `repeats` times; µs per step of each timed run."""
    run(min(steps, 20))
    samples, final = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        final = run(steps)
        samples.append((time.perf_counter() - start) / steps * 1e6)
    return samples, final


# MARK: TensorFlow 2 eager

def tensorflow_loops(data, repeats):
    import tensorflow as tf

    x_data, y_data = tf.constant(data["x"]), tf.constant(data["y"])
    features, labels = tf.constant(data["features"]), tf.constant(data["labels"])
    m = float(len(data["x"]))

    def quadratic(steps):
        x = tf.Variable(50.0)
        trajectory = []
        for _ in range(steps):
            with tf.GradientTape() as tape:
                y = x ** 2 - 20.0 * x + 100.0
            x.assign_sub(0.1 * tape.gradient(y, x))
            trajectory.append(float(x.numpy()))
        return [trajectory[-1]]

    def linear(optimizer):
        def run(steps):
            w, c = tf.Variable(0.0), tf.Variable(0.0)
            opt = tf.keras.optimizers.Adam(**ADAM) if optimizer == "adam" else None
            for _ in range(steps):
                with tf.GradientTape() as tape:
                    loss = tf.reduce_sum((w * x_data + c - y_data) ** 2) / (2 * m)
                gw, gc = tape.gradient(loss, [w, c])
                if opt is None:
                    w.assign_sub(0.001 * gw)
                    c.assign_sub(0.001 * gc)
                else:
                    opt.apply_gradients(zip([gw, gc], [w, c]))
            return [float(loss), float(w.numpy()), float(c.numpy())]
        return run

    def logistic(steps):
        w = tf.Variable(tf.random.stateless_normal([64, 1], seed=[0, 0], stddev=0.05))
        b = tf.Variable([0.0])
        opt = tf.keras.optimizers.Adam(**ADAM)
        for _ in range(steps):
            with tf.GradientTape() as tape:
                logits = tf.matmul(features, w) + b
                loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))
            opt.apply_gradients(zip(tape.gradient(loss, [w, b]), [w, b]))
        return [float(loss)]

    runs = {"quadratic": quadratic, "linreg_sgd": linear("sgd"), "linreg_adam": linear("adam"), "logistic": logistic}
    times, finals = {}, {}
    for key, run in runs.items():
        times[key], finals[key] = timed(run, TF_STEPS[key], repeats)
    return tf.__version__, times, finals


# MARK: JAX

def jax_loops(data, repeats):
    import jax
    import jax.numpy as jnp
    from jax import lax

    x_data, y_data = jnp.asarray(data["x"]), jnp.asarray(data["y"])
    features, labels = jnp.asarray(data["features"]), jnp.asarray(data["labels"])
    m = x_data.shape[0]

    def quadratic_loss(params):
        x = params[0]
        return x ** 2 - 20.0 * x + 100.0

    def linear_loss(params):
        w, c = params
        return jnp.sum((w * x_data + c - y_data) ** 2) / (2 * m)

    def logistic_loss(params):
        w, b = params
        logits = features @ w + b
        # sigmoid_cross_entropy_with_logits, written as TF does for stability.
        return jnp.mean(jnp.maximum(logits, 0) - logits * labels + jnp.log1p(jnp.exp(-jnp.abs(logits))))

    def sgd(loss_fn, rate):
        def step(state):
            params, _ = state
            loss, grads = jax.value_and_grad(loss_fn)(params)
            return tuple(p - rate * g for p, g in zip(params, grads)), loss
        return step

    def adam(loss_fn):
        lr, b1, b2, eps = ADAM["learning_rate"], ADAM["beta_1"], ADAM["beta_2"], ADAM["epsilon"]
        def step(state):
            (params, ms, vs, t), _ = state
            loss, grads = jax.value_and_grad(loss_fn)(params)
            t = t + 1
            alpha = lr * jnp.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            ms = tuple(b1 * m_ + (1 - b1) * g for m_, g in zip(ms, grads))
            vs = tuple(b2 * v + (1 - b2) * g * g for v, g in zip(vs, grads))
            params = tuple(p - alpha * m_ / (jnp.sqrt(v) + eps) for p, m_, v in zip(params, ms, vs))
            return (params, ms, vs, t), loss
        return step

    def adam_state(params):
        zeros = tuple(jnp.zeros_like(p) for p in params)
        return (params, zeros, zeros, jnp.float32(0))

    w0 = jnp.asarray(np.random.default_rng(0).normal(0, 0.05, (64, 1)), dtype=jnp.float32)
    loops = {
        "quadratic": (sgd(quadratic_loss, 0.1), lambda: (jnp.float32(50.0),)),
        "linreg_sgd": (sgd(linear_loss, 0.001), lambda: (jnp.float32(0.0), jnp.float32(0.0))),
        "linreg_adam": (adam(linear_loss), lambda: adam_state((jnp.float32(0.0), jnp.float32(0.0)))),
        "logistic": (adam(logistic_loss), lambda: adam_state((w0, jnp.zeros((1,), jnp.float32)))),
    }

    def final_values(state, loss):
        params = state[0] if isinstance(state[0], tuple) else state
        return [float(loss)] + [float(np.asarray(p).reshape(-1)[0]) for p in params if p.size == 1]

    jit_times, loop_times, finals = {}, {}, {}
    for key, (step, initial) in loops.items():
        jitted = jax.jit(step)

        def per_step(steps):
            state = (initial(), jnp.float32(0))
            for _ in range(steps):
                state = jitted(state)
            jax.block_until_ready(state)
            return final_values(*state)

        whole = jax.jit(lambda state, steps: lax.fori_loop(0, steps, lambda _, s: step(s), state))

        def compiled_loop(steps):
            state = whole((initial(), jnp.float32(0)), steps)
            jax.block_until_ready(state)
            return final_values(*state)

        jit_times[key], finals[key] = timed(per_step, JAX_STEPS[key], repeats)
        loop_times[key], _ = timed(compiled_loop, JAX_STEPS[key], repeats)
    return jax.__version__, jit_times, loop_times, finals


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="the repository's datasets/ folder")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--frameworks", default="tf,jax", help="comma-separated: tf, jax")
    arguments = parser.parse_args()
    data = load_data(arguments.data)
    frameworks = arguments.frameworks.split(",")
    out = {"versions": [f"Python {sys.version.split()[0]}"], "steps": {"tf_eager": TF_STEPS, "jax": JAX_STEPS}}
    if "tf" in frameworks:
        version, times, finals = tensorflow_loops(data, arguments.repeats)
        out["versions"].append(f"TensorFlow {version} (eager)")
        out["tf_eager_us_per_step"], out["tf_eager_final"] = times, finals
    if "jax" in frameworks:
        version, jit_times, loop_times, finals = jax_loops(data, arguments.repeats)
        out["versions"].append(f"JAX {version} (CPU)")
        out["jax_jit_us_per_step"], out["jax_fori_loop_us_per_step"], out["jax_final"] = jit_times, loop_times, finals
    out["versions"] = ", ".join(out["versions"])
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
