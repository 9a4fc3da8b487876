"""torch.distributed (gloo, 2 processes) + DDP vs one process. Exit 0 iff all equal."""

import faulthandler
import gc
import os
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import imbalance_losses as il  # noqa: E402
from imbalance_losses_torch import replica_gather, replica_sum  # noqa: E402
from tests.distributed.cases import (  # noqa: E402
    CASES,
    GATHERING,
    STEPS,
    C,
    F,
    N,
    data,
    element_weights,
    initial_parameters,
    reduce_output,
    state_shape,
)

WORLD = 2


def model():
    linear = torch.nn.Linear(F, C).double()
    w, b = initial_parameters()
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(w.T))
        linear.bias.copy_(torch.tensor(b))
    return linear


def run(case, rows, hook):
    """Loss values, parameter gradients and states over STEPS on the given rows."""
    name, options, kind, weighted = case
    net = model()
    trained = DistributedDataParallel(net) if hook is not None else net
    shape = state_shape(name, options)
    state = torch.zeros(shape or (1,), dtype=torch.float64)
    out = []
    for step in range(STEPS):
        features, targets, weights = data(step)
        x = torch.tensor(features[rows])
        target = torch.tensor(targets[kind][rows])
        w = torch.tensor(element_weights(kind, weights)[rows]) if weighted else None
        kwargs = dict(options, weights=w, replica_sum=hook)
        if hook is not None and name in GATHERING:
            kwargs["replica_gather"] = replica_gather()
        if shape:
            kwargs["state"] = state
        trained.zero_grad()
        result = getattr(il, name)(trained(x), target, **kwargs)
        if shape:
            result, state = result
        loss = reduce_output(result)
        loss.backward()
        out.append((loss.item(), [p.grad.clone() for p in net.parameters()], state.clone()))
    return out


def worker(rank, port):
    faulthandler.enable()  # a native abort prints every thread's Python stack
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=WORLD)
    shard = np.arange(N)[rank * N // WORLD:(rank + 1) * N // WORLD]
    for case in CASES:
        single = run(case, np.arange(N), None)
        replicated = run(case, shard, replica_sum())
        for step, ((v1, g1, s1), (v2, g2, s2)) in enumerate(zip(single, replicated)):
            label = f"{case[0]} {case[1]} step {step} rank {rank}"
            assert abs(v1 - v2) <= 1e-12 * max(1, abs(v1)), (label, v1, v2)
            for a, b in zip(g1, g2):  # DDP averaged the replicas' gradients
                torch.testing.assert_close(b, a, rtol=1e-10, atol=1e-12, msg=label)
            torch.testing.assert_close(s2, s1, msg=label)
    check_modules(rank, shard)
    gc.collect()  # the DDP reducers and their gloo work objects go before their group
    dist.barrier()
    dist.destroy_process_group()
    # Every check above has passed. Gloo's transport threads can still be joinable
    # when the interpreter runs C++ static destructors, which then aborts the process
    # ("terminate called without an active exception", torch issue #179291's cause):
    # leave without running them.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def check_modules(rank, shard):
    """torch.nn modules under DDP: state buffers (GHM, Seesaw) and pooled Dice are global."""
    import imbalance_losses.torch as iln

    for make in (lambda hook: iln.GHMCLoss(bins=10, momentum=0.75, replica_sum=hook),
                 lambda hook: iln.SeesawLoss(num_classes=C, replica_sum=hook),
                 lambda hook: iln.SoftmaxDiceLoss(alpha=0.1, replica_sum=hook)):
        kind = "binary" if isinstance(make(None), iln.GHMCLoss) else "labels"
        outputs = []
        for rows, hook in ((np.arange(N), None), (shard, replica_sum())):
            criterion, net = make(hook), model()
            trained = DistributedDataParallel(net) if hook is not None else net
            for step in range(STEPS):
                features, targets, _ = data(step)
                trained.zero_grad()
                loss = criterion(trained(torch.tensor(features[rows])), torch.tensor(targets[kind][rows]))
                loss.backward()
            outputs.append((loss.detach(), [p.grad for p in net.parameters()], getattr(criterion, "state", None)))
        (v1, g1, s1), (v2, g2, s2) = outputs
        torch.testing.assert_close(v2, v1)
        for a, b in zip(g1, g2):
            torch.testing.assert_close(b, a, rtol=1e-10, atol=1e-12)
        if s1 is not None:
            torch.testing.assert_close(s2.double(), s1.double())


if __name__ == "__main__":
    mp.spawn(worker, args=(int(sys.argv[1]) if len(sys.argv) > 1 else 29517,), nprocs=WORLD, join=True)
    print("torch distributed: ok")
