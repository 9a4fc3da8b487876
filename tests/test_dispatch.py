"""Backend resolution: laziness, namespaces, mixed frameworks and devices, TF namespace."""

import itertools
import subprocess
import sys

import numpy as np
import pytest

import imbalance_losses as il
from imbalance_losses_conformance.frameworks import get_framework
from imbalance_losses.core.dispatch import framework_of, resolve_backend

FRAMEWORK_MODULES = ("torch", "jax", "tensorflow", "keras")


def test_import_pulls_in_no_framework():
    code = (
        "import sys, imbalance_losses; "
        f"loaded = set({FRAMEWORK_MODULES!r}) & set(sys.modules); "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_numpy_call_imports_no_framework():
    code = (
        "import sys, numpy as np, imbalance_losses as il; "
        "il.softmax_focal_loss(np.zeros((2, 3)), np.array([0, 2])); "
        "il.sigmoid_focal_loss(np.zeros(3), np.ones(3)); "
        f"loaded = set({FRAMEWORK_MODULES!r}) & set(sys.modules); "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_each_framework_gets_its_namespace_and_adapter(framework):
    x = framework.asarray(np.zeros((2, 3)))
    backend = resolve_backend(logits=x)
    assert backend.framework == framework.name
    assert backend.framework == framework_of(x)
    if framework.name == "tensorflow":
        import imbalance_losses_tf.namespace as tfnp

        assert backend.xp is tfnp
    if framework.differentiable:
        assert backend.adapter.__name__ == f"imbalance_losses_{'tf' if framework.name == 'tensorflow' else framework.name}._adapter"
    else:
        assert backend.adapter.stop_gradient(x) is x


@pytest.mark.parametrize("first, second", [p for p in itertools.permutations(["numpy", "torch", "jax", "tensorflow"], 2)
                                           if p[1] != "numpy"])
def test_mixed_frameworks_raise_naming_both(first, second):
    frameworks = [get_framework(name) for name in (first, second)]
    for f in frameworks:
        if not f.available():
            pytest.skip(f"{f.name} is not installed")
    x, y = (f.asarray(np.zeros((2, 3))) for f in frameworks)
    with pytest.raises(TypeError, match=rf"`logits` and `targets`.*logits={first}.*targets={second}"):
        il.sigmoid_cross_entropy(x, y)


def test_mixed_devices_raise_naming_both():
    torch = pytest.importorskip("torch")
    x = torch.zeros(2, 3)
    labels = torch.zeros(2, dtype=torch.int64, device="meta")
    with pytest.raises(ValueError, match=r"`logits` and `labels` must be on the same device.*cpu.*meta"):
        il.softmax_cross_entropy(x, labels)


def test_result_stays_on_the_logits_device():
    torch = pytest.importorskip("torch")
    x = torch.zeros(4, 3, device="meta")
    labels = torch.zeros(4, dtype=torch.int64, device="meta")
    assert il.softmax_focal_loss(x, labels).device.type == "meta"
    assert il.sigmoid_focal_loss(x, x).device.type == "meta"


def test_non_array_raises_type_error():
    with pytest.raises(TypeError, match="Expected an array"):
        il.sigmoid_cross_entropy([0.0, 1.0], np.zeros(2))


def test_python_sequences_are_options_not_frameworks():
    x, y = np.zeros((2, 3)), np.array([0, 1])
    assert il.softmax_cross_entropy(x, y, class_weights=[1.0, 2.0, 3.0]) == pytest.approx(np.log(3))


def test_tensorflow_namespace_is_all_tf_ops():
    """The TF namespace does no NumPy round trip: the losses trace in a jit-compiled graph."""
    tf = pytest.importorskip("tensorflow")

    @tf.function(jit_compile=True)
    def losses(x, labels, targets):
        return (
            il.softmax_focal_loss(x, labels, alpha=[0.2, 0.3, 0.5], gamma=0.5, label_smoothing=0.1),
            il.sigmoid_focal_loss(x, targets),
        )

    x = tf.constant([[1.0, 2.0, 3.0], [3.0, -2.0, 0.0]])
    out = losses(x, tf.constant([2, 0]), tf.constant([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]]))
    graph = losses.get_concrete_function(x, tf.constant([2, 0]), tf.constant([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])).graph
    assert not [op.type for op in graph.get_operations() if op.type in {"PyFunc", "EagerPyFunc", "NumpyFunction"}]
    assert all(np.isfinite(o.numpy()) for o in out)


@pytest.mark.parametrize("framework_name, compiled_after", [("jax", (1, 1)), ("tensorflow", (0, 1)), ("torch", (0, 0))])
def test_eager_calls_compile_jax_from_the_first_tensorflow_from_the_second(monkeypatch, framework_name, compiled_after):
    """JAX compiles every operation run outside jit anyway, so a loss is one compiled program
    from its first eager call; TensorFlow runs operations directly and traces a repeated call
    only; torch runs as written (its compiler is the user's torch.compile)."""
    import imbalance_losses.core.dispatch as dispatch

    framework = get_framework(framework_name)
    if not framework.available():
        pytest.skip(f"{framework_name} is not installed")
    fresh = dispatch.EagerCompilation()
    monkeypatch.setattr(dispatch, "EAGER_COMPILATION", fresh)
    x = framework.asarray(np.zeros((4, 3)), "float32")
    labels = framework.asarray(np.array([0, 1, 2, 1]))
    counts = []
    for _ in range(2):
        il.softmax_focal_loss(x, labels, gamma=2.0)
        counts.append(len(fresh._compiled))
    assert tuple(counts) == compiled_after
