"""torch.nn modules: wiring only, buffers and state, compile, and a training run."""

import inspect
import io

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import imbalance_losses as il  # noqa: E402
import imbalance_losses.torch as iln  # noqa: E402

BINARY = [
    (iln.SigmoidCrossEntropyLoss, {"pos_weight": [1.0, 2.0, 3.0]}),
    (iln.SigmoidFocalLoss, {"alpha": 0.3, "gamma": 1.5}),
    (iln.HardTruncatedLoss, {"margin": 0.6}),
    (iln.SoftTruncatedLoss, {"k": 2.0}),
    (iln.DiceLoss, {"alpha": 0.1}),
    (iln.MultilabelCategoricalCrossEntropyLoss, {}),
    (iln.Poly1SigmoidCrossEntropyLoss, {"epsilon": -1.0}),
    (iln.Poly1FocalLoss, {"epsilon": 2.0, "gamma": 1.0}),
    (iln.AsymmetricLoss, {"gamma_pos": 1.0, "clip": 0.1}),
    (iln.DistributionBalancedLoss, {"counts": [10.0, 200.0, 0.0], "num_samples": 300}),
    (iln.TverskyLoss, {"alpha": 0.3, "beta": 0.7, "class_axis": 1}),
    (iln.FocalTverskyLoss, {"per_image": True}),
    (iln.LovaszHingeLoss, {}),
    (iln.DiceCrossEntropyLoss, {"class_axis": 1, "pos_weight": 2.0}),
    (iln.DiceFocalLoss, {"per_image": True, "class_axis": 1}),
]
CLASSES = [
    (iln.SoftmaxCrossEntropyLoss, {"class_weights": [1.0, 2.0, 0.5], "label_smoothing": 0.1}),
    (iln.SoftmaxFocalLoss, {"alpha": [0.2, 0.3, 0.5]}),
    (iln.SoftTruncatedSoftmaxLoss, {"k": 1.5}),
    (iln.LogitAdjustedCrossEntropyLoss, {"prior": [100.0, 10.0, 1.0]}),
    (iln.SoftmaxDiceLoss, {"alpha": 0.2, "per_sample": True}),
    (iln.BalancedSoftmaxCrossEntropyLoss, {"counts": [100.0, 10.0, 1.0]}),
    (iln.VectorScalingLoss, {"counts": [100.0, 10.0, 1.0], "gamma": 0.5}),
    (iln.LDAMLoss, {"counts": [100.0, 10.0, 0.0], "scale": 10.0}),
    (iln.Poly1CrossEntropyLoss, {"epsilon": 2.0, "label_smoothing": 0.1}),
    (iln.SoftmaxAsymmetricLoss, {"gamma_pos": 1.0}),
    (iln.SoftmaxTverskyLoss, {"per_image": True, "beta": 0.7}),
    (iln.SoftmaxFocalTverskyLoss, {"gamma": 2.0}),
    (iln.GeneralizedDiceLoss, {"per_image": True}),
    (iln.LovaszSoftmaxLoss, {"per_image": True}),
    (iln.SoftmaxDiceCrossEntropyLoss, {"per_image": True, "label_smoothing": 0.1}),
    (iln.SoftmaxDiceFocalLoss, {"alpha": [0.2, 0.3, 0.5]}),
]
# Stateful modules, with options under which their state carries over from batch to batch.
STATEFUL = [
    (iln.GHMCLoss, {"bins": 10, "momentum": 0.75}),
    (iln.SeesawLoss, {"num_classes": 3}),
    (iln.EQLv2Loss, {"num_classes": 3, "mu": 0.5}),
    (iln.EqualizedFocalLoss, {"num_classes": 3, "scale_factor": 4.0}),
]
# Every module is one code path per layout of the table (plus the state buffer): one
# module of each kind is compiled here; that every loss compiles (dynamic shapes too)
# and equals eager is test_training_loops.py's job, on the functions themselves.
COMPILED_MODULES = [iln.SigmoidFocalLoss, iln.SoftmaxDiceLoss, iln.SparseMultilabelCategoricalCrossEntropyLoss,
                    iln.GHMCLoss, iln.SeesawLoss]


def _inputs(cls, generator):
    if cls in [c for c, _ in CLASSES] or cls is iln.SeesawLoss:
        logits = torch.randn(4, 3, 5, generator=generator, dtype=torch.float64)
        labels = torch.randint(0, 3, (4, 5), generator=generator)
        labels[0, 0] = -100
        return logits, labels
    logits = torch.randn(6, 3, generator=generator, dtype=torch.float64)
    if cls is iln.SparseMultilabelCategoricalCrossEntropyLoss:
        return logits, torch.randint(0, 3, (6, 2), generator=generator)
    return logits, (torch.rand(6, 3, generator=generator, dtype=torch.float64) > 0.6).double()


@pytest.mark.parametrize("cls, options", BINARY + CLASSES, ids=lambda v: getattr(v, "__name__", ""))
def test_module_equals_functional_core(cls, options):
    logits, target = _inputs(cls, torch.Generator().manual_seed(0))
    module = cls(**options)
    expected_options = dict(options)
    if cls.loss.layout == "classes":
        expected_options.update(axis=1, ignore_index=-100)
    expected = cls.loss.function(logits, target, **expected_options)
    torch.testing.assert_close(module(logits, target), expected)


def test_softmax_module_matches_nn_cross_entropy_loss():
    logits, labels = _inputs(iln.SoftmaxCrossEntropyLoss, torch.Generator().manual_seed(1))
    weight = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)
    ours = iln.SoftmaxCrossEntropyLoss(class_weights=weight, label_smoothing=0.2)
    theirs = torch.nn.CrossEntropyLoss(weight=weight, label_smoothing=0.2)
    torch.testing.assert_close(ours(logits, labels), theirs(logits, labels))


def test_vector_options_are_buffers_that_move_and_save():
    module = iln.SoftmaxCrossEntropyLoss(class_weights=[1.0, 2.0, 3.0])
    assert "class_weights" in dict(module.named_buffers())
    module = module.to(torch.float64)
    assert module.class_weights.dtype == torch.float64
    restored = iln.SoftmaxCrossEntropyLoss(class_weights=[0.0, 0.0, 0.0])
    restored.load_state_dict(module.state_dict())
    torch.testing.assert_close(restored.class_weights, module.class_weights.float())


@pytest.mark.parametrize("cls, options", STATEFUL, ids=lambda v: getattr(v, "__name__", ""))
def test_state_buffer_updates_saves_and_loads(cls, options):
    generator = torch.Generator().manual_seed(2)
    module = cls(**options)
    assert module.state.shape == cls.loss.state_size(cls.loss.bind(options))
    function_options = cls.loss.function_options(options)
    if cls.loss.layout == "classes":
        function_options.update(axis=1, ignore_index=-100)
    state = None
    for _ in range(3):
        logits, targets = _inputs(cls, generator)
        loss = module(logits, targets)
        expected, state = cls.loss.function(logits, targets, **function_options, state=state)
        torch.testing.assert_close(loss, expected.float() if expected.dtype != loss.dtype else expected)
        torch.testing.assert_close(module.state, state.to(module.state.dtype))
    buffer = io.BytesIO()
    torch.save(module.state_dict(), buffer)
    buffer.seek(0)
    restored = cls(**options)
    restored.load_state_dict(torch.load(buffer))
    torch.testing.assert_close(restored.state, module.state)
    # A loaded state is continued, not restarted.
    torch.testing.assert_close(restored(logits, targets), module(logits, targets))


def test_ghm_loaded_state_is_not_restarted_by_bias_correction():
    generator = torch.Generator().manual_seed(2)
    module = iln.GHMCLoss(bins=10, momentum=0.75)
    logits, targets = torch.randn(8, 4, generator=generator), (torch.rand(8, 4, generator=generator) > 0.7).float()
    module(logits, targets)
    restored = iln.GHMCLoss(bins=10, momentum=0.75, bias_correction=True)
    restored.load_state_dict(module.state_dict())
    torch.testing.assert_close(restored(logits, targets), module(logits, targets))


def test_class_only_state_size_is_a_required_checked_option():
    with pytest.raises(TypeError, match="num_classes"):
        iln.SeesawLoss()
    with pytest.raises(ValueError, match="num_classes"):
        iln.EQLv2Loss(num_classes=0)
    assert "num_classes" in str(inspect.signature(iln.SeesawLoss))


def test_bias_correction_first_step_uses_batch_counts():
    logits, targets = torch.randn(8, 4), (torch.rand(8, 4) > 0.7).float()
    module = iln.GHMCLoss(momentum=0.9, bias_correction=True)
    torch.testing.assert_close(module(logits, targets), il.ghm_c_loss(logits, targets)[0])


@pytest.mark.parametrize("cls", COMPILED_MODULES, ids=lambda c: c.__name__)
def test_compile_forward_and_backward_fullgraph(cls):
    options = dict(BINARY + CLASSES + STATEFUL).get(cls, {"momentum": 0.5} if cls is iln.GHMRLoss else {})
    module = cls(**options)
    logits, target = _inputs(cls, torch.Generator().manual_seed(3))
    if cls is iln.GHMRLoss:
        target = torch.randn_like(logits)
    eager_x = logits.clone().requires_grad_(True)
    eager_module = cls(**options)
    eager_loss = eager_module(eager_x, target)
    eager_loss.backward()

    compiled = torch.compile(module, fullgraph=True)
    x = logits.clone().requires_grad_(True)
    loss = compiled(x, target)
    loss.backward()
    torch.testing.assert_close(loss, eager_loss)
    torch.testing.assert_close(x.grad, eager_x.grad)
    if hasattr(module, "state"):
        torch.testing.assert_close(module.state, eager_module.state)


def test_training_on_imbalanced_data_beats_plain_cross_entropy_on_minority_recall():
    """Two overlapping Gaussian classes, 95:5. Logit-adjusted and class-weighted losses
    raise minority recall over plain CE while their own loss decreases."""
    rng = np.random.default_rng(0)
    n_major, n_minor = 1900, 100
    x = np.concatenate([rng.normal(0.0, 1.0, size=(n_major, 2)), rng.normal(1.5, 1.0, size=(n_minor, 2))])
    y = np.concatenate([np.zeros(n_major, int), np.ones(n_minor, int)])
    features, labels = torch.tensor(x, dtype=torch.float32), torch.tensor(y)
    counts = [n_major, n_minor]

    def train(criterion):
        torch.manual_seed(0)
        model = torch.nn.Linear(2, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
        losses = []
        for _ in range(300):
            optimizer.zero_grad()
            loss = criterion(model(features), labels)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            predicted = model(features).argmax(1)
        return losses, (predicted[labels == 1] == 1).float().mean().item()

    _, plain_recall = train(torch.nn.CrossEntropyLoss())
    for criterion in (iln.LogitAdjustedCrossEntropyLoss(prior=counts),
                      iln.SoftmaxCrossEntropyLoss(class_weights=il.class_weights(np.array(counts, float))),
                      iln.SoftmaxFocalLoss(alpha=[0.25, 0.75])):
        losses, recall = train(criterion)
        assert losses[-1] < 0.8 * losses[0]
        assert recall > plain_recall + 0.1, (type(criterion).__name__, recall, plain_recall)
