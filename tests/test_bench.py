"""The benchmark's counters (not its timings, which live in the benchmark run itself):
bytes moved and kernels launched by forward + backward, and the report built from them."""

import numpy as np
import pytest

import imbalance_losses as il
from imbalance_losses_bench import boosting
from imbalance_losses_bench.__main__ import report, traffic_misses
from imbalance_losses_bench.traffic import hlo_traffic, jax_traffic, modelled_seconds, tensorflow_traffic, torch_traffic


def test_torch_traffic_counts_kernels_and_bytes_not_views():
    torch = pytest.importorskip("torch")
    x, y = torch.randn(256, 64), torch.rand(256, 64)
    direct = torch_traffic(lambda a, b: (a * b).sum(), x, y)
    through_views = torch_traffic(lambda a, b: (a.t().t().reshape(-1) * b.reshape(-1)).sum(), x, y)
    assert through_views == direct
    # Forward: one product (reads two arrays, writes one) and a sum; backward: the product's
    # gradient. Each logits-sized array is 64 KiB.
    size = x.numel() * 4
    assert direct[0] >= 5 * size and direct[1] >= 3
    twice = torch_traffic(lambda a, b: (a * b).sum(), torch.randn(512, 64), torch.rand(512, 64))
    assert twice[1] == direct[1] and twice[0] == pytest.approx(2 * direct[0], rel=0.01)


@pytest.mark.parametrize("loss", [il.sigmoid_cross_entropy, il.sigmoid_focal_loss])
def test_hlo_traffic_equals_xla_cost_analysis(loss):
    jnp = pytest.importorskip("jax.numpy")
    rng = np.random.default_rng(0)
    x, y = jnp.asarray(rng.normal(size=(128, 64)), jnp.float32), jnp.asarray(rng.random((128, 64)) < 0.2, jnp.float32)
    moved, kernels, xla = jax_traffic(lambda a, b: loss(a, b), x, y)
    assert kernels >= 1 and moved == xla
    # The floor: the logits and targets read once, the gradient written once.
    assert moved >= 3 * x.size * 4


def test_hlo_traffic_of_tensorflow_programs():
    tf = pytest.importorskip("tensorflow")
    x, y = tf.random.normal((128, 64)), tf.cast(tf.random.uniform((128, 64)) < 0.2, tf.float32)
    moved, kernels = tensorflow_traffic(lambda a, b: il.sigmoid_focal_loss(a, b), x, y)
    assert kernels >= 1 and moved >= 3 * 128 * 64 * 4


def test_hlo_traffic_parses_fusions_and_skips_free_instructions():
    text = """HloModule m

ENTRY %main (a: f32[8,10], b: f32[8,10]) -> f32[8,10] {
  %a = f32[8,10]{1,0} parameter(0)
  %b = f32[8,10]{1,0} parameter(1)
  %c = f32[] constant(2)
  %f = (f32[8,10]{1,0}, f32[8]{0}) fusion(%a, %b, %c), kind=kLoop, calls=%fused
  %g = f32[8,10]{1,0} get-tuple-element(%f), index=0
  ROOT %r = f32[8,10]{1,0} add(%g, %a)
}
"""
    moved, kernels = hlo_traffic(text)
    assert kernels == 2
    assert moved == (320 + 32 + 320 + 320 + 4) + (320 + 320 + 320)


def test_report_shows_traffic_and_catboost_tables_and_misses():
    traffic = [{"framework": "torch", "pair": "p", "size": "binary-4M", "counted": "eager", "ours_moved": 3e8,
                "native_moved": 1e8, "ours_kernels": 30, "native_kernels": 5, "floor": 1.2e7, "traffic_target": 2.0,
                "floor_target": 8.0, "ours_H100_us": 1.0, "native_H100_us": 1.0, "ours_H200_us": 1.0,
                "native_H200_us": 1.0}]
    catboost = [{"pair": "calc_ders_multi x", "size": "1x10", "ours_us": 30.0, "hand_us": 10.0, "general_us": 100.0,
                 "ratio": 3.0, "target": boosting.CATBOOST_TARGET}]
    text = report([], traffic, catboost, "test machine")
    assert "MB moved ours / native" in text and "300.0 / 100.0 (**3.00**)" in text
    assert "hand-written NumPy µs" in text
    assert traffic_misses(traffic) == ["traffic: torch p binary-4M eager: 3.00x native's bytes > 2.0",
                                       "traffic: torch p binary-4M eager: 25.0x the floor > 8.0"]
    assert "time: calc_ders_multi x: 3.00 > 2.0" in text


def test_modelled_gpu_time():
    # 3.35 TB/s: 3.35 GB take 1 ms, plus 5 us per kernel.
    assert modelled_seconds(3.35e9, 10, "H100") == pytest.approx(1e-3 + 10 * 5e-6)


def test_every_pair_has_traffic_counts():
    """The benchmark's traffic rows, for every pair of every installed framework, on a small
    input: what CI can count without timing anything. The counts are exact (no timing), so
    the targets met at real sizes are held here too: eager sigmoid focal moves no more bytes
    than the torchvision formula, and softmax focal at most 1.2x the log_softmax formula (1.12x at
    4096x1000; the per-row statistics weigh more on 256x100)."""
    import importlib.util

    from imbalance_losses_bench.__main__ import _traffic_row
    from imbalance_losses_bench.harness import RUNNERS
    from imbalance_losses_bench.pairs import PAIRS, pair_arrays

    rows = {}
    for framework in [f for f in PAIRS if importlib.util.find_spec(f)]:
        runner = RUNNERS[framework]("cpu")
        for pair in PAIRS[framework]():
            shape = (256, 256) if pair.kind == "binary" else (256, 100)
            x, y_ours, y_native = pair_arrays(runner, pair, pair.kind, shape)
            row = _traffic_row(runner, pair, "small", x, y_ours, y_native)
            assert row["ours_kernels"] >= 1 and row["ours_moved"] >= row["floor"] > 0, row
            rows[(framework, pair.name.split(" vs ")[0])] = row
    if ("torch", "sigmoid_focal_loss") in rows:
        focal = rows[("torch", "sigmoid_focal_loss")]
        assert focal["ours_moved"] <= focal["native_moved"]
        softmax_focal = rows[("torch", "softmax_focal_loss")]
        assert softmax_focal["ours_moved"] <= 1.2 * softmax_focal["native_moved"]
