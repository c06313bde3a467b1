"Data-parallel training on the CPU (gloo): 2 processes against 1, writes from rank 0 only, a failing process (#19)"
import time
import numpy as np
import pytest
import torch
import torch.distributed as dist
from fastai.callback.training import GradientAccumulation
from wsss_nb.distributed import launch, distributed, main_only, world
from wsss_nb.data import benchmark, normalize
from wsss_nb.loaders import array_dls
from wsss_nb.cam import classifier_learner
from wsss_nb.core import set_seed

BS = 8   # per-process batch; the global batch of 2 processes is 16

def _classifier(x, y, bs):
    "The CAM classifier (no dropout: its masks come from each process' own generator) on x, y in batches of `bs`, 1 thread"
    torch.set_num_threads(1)
    set_seed(0)
    dls = array_dls((x, y), (x[:16], y[:16]), bs=bs, device='cpu', tfms=(normalize, None), shuffle=False)
    return classifier_learner(dls, y.shape[1], 'small', None, width=8, dilations=(1,), dropout=0.)

def _train(x, y, n_proc, epochs=2):
    "The classifier trained on x, y (1 process: accumulating two batches per step); its parameters"
    learn = _classifier(x, y, BS)
    if n_proc == 1: learn.add_cb(GradientAccumulation(BS * 2))   # one step per 2 batches: the 2-process global batch
    with distributed(learn), learn.no_bar(), learn.no_logging(): learn.fit(epochs, 1e-2)
    return {k: v.detach().clone() for k, v in learn.model.named_parameters()}, world()

def test_two_processes_match_one_process_with_the_same_global_batch(data_env):
    tr = benchmark('train', n=64, size=32)
    x, y = tr.images, torch.as_tensor(tr.labels).float()
    (p2, w2) = launch(_train, (x, y, 2), num_processes=2, cpu=True)
    # rank r takes the r-th half of the (unshuffled) order in batches of BS; step i averages batch i of both ranks
    h = len(x) // 2
    order = np.concatenate([np.r_[i:i + BS, h + i:h + i + BS] for i in range(0, h, BS)])
    p1, w1 = _train(x[order], y[order], 1)
    assert w2 == (0, 2) and w1 == (0, 1)
    assert set(p1) == set(p2)
    diff = max((p1[k] - p2[k]).abs().max().item() for k in p1)
    moved = max((p1[k] - v).abs().max().item() for k, v in _train(x, y, 1, epochs=0)[0].items())
    assert moved > 1e-2, moved                       # the weights did train
    assert diff <= 1e-5, diff                        # measured: 0 (bit-identical) on this machine

@main_only
def _write(path, rank):
    with open(path, 'a') as f: f.write(f"{rank}\n")

def _writer(path):
    _write(path, dist.get_rank())
    return open(path).read()

def test_only_rank0_writes(tmp_path):
    p = tmp_path/'out.txt'
    assert launch(_writer, (str(p),), num_processes=2, cpu=True) == "0\n"
    assert p.read_text() == "0\n"

def _crash(at_rank):
    if dist.get_rank() == at_rank: raise ValueError("boom in the data")
    dist.barrier()                                   # the other rank waits for the one that crashed
    return 'done'

def _hang(timeout):
    if dist.get_rank() == 1: time.sleep(timeout * 4)
    dist.barrier()
    return 'done'

def test_a_crash_in_one_process_fails_the_launch_naming_it():
    t0 = time.time()
    with pytest.raises(RuntimeError, match=r"process 1 of 2 failed: ValueError: boom in the data"):
        launch(_crash, (1,), num_processes=2, cpu=True, timeout_s=60)
    assert time.time() - t0 < 30                     # not the collective's 60 s timeout: the crash stops the others

def test_a_hung_collective_times_out_instead_of_hanging():
    t0 = time.time()
    with pytest.raises(RuntimeError, match=r"process 0 of 2"):
        launch(_hang, (3,), num_processes=2, cpu=True, timeout_s=3)
    assert time.time() - t0 < 30

def _train_launched(x, y, bs):
    "The classifier trained through `core.launched` with the global batch `bs` (each of N processes takes bs // N)"
    from wsss_nb.core import launched
    learn = _classifier(x, y, bs)
    with launched(learn), learn.no_bar(), learn.no_logging(): learn.fit(2, 1e-2)
    assert learn.dls.train.bs == bs                  # the split is undone after the fit
    return {k: v.detach().clone() for k, v in learn.model.named_parameters()}

def test_launched_splits_the_global_batch(data_env):
    "2 processes through `launched` with a global batch of 16 (8 each) = 1 process accumulating two batches of 8 per step"
    tr = benchmark('train', n=64, size=32)
    x, y = tr.images, torch.as_tensor(tr.labels).float()
    p2 = launch(_train_launched, (x, y, 2 * BS), num_processes=2, cpu=True)
    h = len(x) // 2
    order = np.concatenate([np.r_[i:i + BS, h + i:h + i + BS] for i in range(0, h, BS)])
    p1 = _train(x[order], y[order], 1)[0]            # BatchNorm statistics are per batch of 8 in both
    diff = max((p1[k] - p2[k]).abs().max().item() for k in p1)
    assert diff <= 1e-5, diff
