"""Training throughput of the reference frameworks, for mlp-bench to run beside SwiftGrad.

The model and data match mlp-bench: an MLP 784-256-256-10 with ReLU, sparse softmax
cross-entropy averaged over the batch, Adam (lr 1e-3, Keras's epsilon 1e-7), He-normal weights,
zero biases, and 8192 synthetic examples with N(0, 1) features and uniform labels in 0..9.
TensorFlow runs the step as a tf.function, JAX as one jit-compiled function.

PRECISION bf16 (JAX only) computes every layer's product from inputs rounded to bfloat16 with
Float32 accumulation, `jnp.dot(x.astype(bfloat16), w.astype(bfloat16),
preferred_element_type=float32)`, the forward product SwiftGrad's `training.precision` "bf16"
computes. Autodiff transposes it into backward products of the Float32 cotangent with the other
bf16 operand (the compiled step shows XLA on CPU running those in Float32), and the gradient
with respect to a bf16-rounded operand comes back rounded to bf16; SwiftGrad instead rounds both
operands of every backward product to bf16 and keeps the gradients Float32. Parameters, biases,
activations, the loss and Adam stay Float32.

usage: mlp_throughput.py {tf|jax} THREADS [BATCH] [STEPS] [float32|bf16]
prints: FRAMEWORK threads=T batch=B precision=P samples_per_s=S ms_per_step=M peak_rss_mib=R
"""
import os
import resource
import sys
import time

framework = sys.argv[1]
threads = int(sys.argv[2])
batch = int(sys.argv[3]) if len(sys.argv) > 3 else 256
steps = int(sys.argv[4]) if len(sys.argv) > 4 else 200
precision = sys.argv[5] if len(sys.argv) > 5 else "float32"
if precision not in ("float32", "bf16"):
    sys.exit(f"mlp_throughput.py: unknown precision {precision!r}; expected float32 or bf16")
if precision == "bf16" and framework != "jax":
    sys.exit("mlp_throughput.py: bf16 is measured with jax only")

# Thread limits must be in the environment before either framework loads.
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["OMP_NUM_THREADS"] = str(threads)
multi = "true" if threads > 1 else "false"
os.environ["XLA_FLAGS"] = f"--xla_cpu_multi_thread_eigen={multi} intra_op_parallelism_threads={threads}"

import numpy as np

examples, widths = 8192, [784, 256, 256, 10]
generator = np.random.default_rng(0)
features = generator.standard_normal((examples, widths[0])).astype(np.float32)
labels = generator.integers(0, widths[-1], examples)


def he_normal(fan_in, fan_out):
    return (generator.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(np.float32)


layers = list(zip(widths, widths[1:]))

if framework == "tf":
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    weights = [tf.Variable(he_normal(a, b)) for a, b in layers]
    biases = [tf.Variable(np.zeros(b, np.float32)) for _, b in layers]
    variables = weights + biases
    optimizer = tf.keras.optimizers.Adam(1e-3)

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            h = x
            for index, (w, b) in enumerate(zip(weights, biases)):
                h = h @ w + b
                if index < len(layers) - 1:
                    h = tf.nn.relu(h)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=h))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    def step(x, y):
        return float(train_step(tf.constant(x), tf.constant(y)).numpy())

elif framework == "jax":
    import jax
    import jax.numpy as jnp

    params = [(jnp.array(he_normal(a, b)), jnp.zeros(b, jnp.float32)) for a, b in layers]

    if precision == "bf16":
        def matmul(x, w):
            return jnp.dot(x.astype(jnp.bfloat16), w.astype(jnp.bfloat16), preferred_element_type=jnp.float32)
    else:
        def matmul(x, w):
            return x @ w

    def loss_of(params, x, y):
        h = x
        for index, (w, b) in enumerate(params):
            h = matmul(h, w) + b
            if index < len(params) - 1:
                h = jax.nn.relu(h)
        log_probabilities = jax.nn.log_softmax(h)
        return -jnp.mean(jnp.take_along_axis(log_probabilities, y[:, None], axis=1))

    @jax.jit
    def train_step(params, m, v, t, x, y):
        loss, grads = jax.value_and_grad(loss_of)(params, x, y)
        m = jax.tree.map(lambda m, g: m + (g - m) * 0.1, m, grads)
        v = jax.tree.map(lambda v, g: v + (g * g - v) * 0.001, v, grads)
        alpha = 1e-3 * jnp.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        params = jax.tree.map(lambda p, m, v: p - alpha * m / (jnp.sqrt(v) + 1e-7), params, m, v)
        return params, m, v, loss

    state = {"params": params, "m": jax.tree.map(jnp.zeros_like, params),
             "v": jax.tree.map(jnp.zeros_like, params), "t": 1}

    def step(x, y):
        state["params"], state["m"], state["v"], loss = train_step(
            state["params"], state["m"], state["v"], state["t"], x, y)
        state["t"] += 1
        return float(loss)

else:
    sys.exit(f"mlp_throughput.py: unknown framework {framework!r}; expected tf or jax")

for _ in range(10):  # compile and warm up
    step(features[:batch], labels[:batch])
start = time.perf_counter()
for index in range(steps):
    first = (index * batch) % (examples - batch)
    step(features[first:first + batch], labels[first:first + batch])
elapsed = time.perf_counter() - start
peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
print(f"{framework} threads={threads} batch={batch} precision={precision} samples_per_s={steps * batch / elapsed:.0f} "
      f"ms_per_step={1000 * elapsed / steps:.3f} peak_rss_mib={peak_rss_mib:.0f}")
