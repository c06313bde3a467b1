"array_dls: the one DataLoaders factory for in-memory data, driven through a fastai Learner."
import numpy as np
import pytest
import torch
from torch import nn
from fastai.learner import Learner
from wsss_nb.core import set_seed
from wsss_nb.loaders import array_dls, to_float_chw

class TwoIn(nn.Module):
    "Two inputs -> one prediction"
    def __init__(self): super().__init__(); self.a, self.b = nn.Linear(3, 2), nn.Linear(4, 2)
    def forward(self, x1, x2): return self.a(x1) + self.b(x2)

def _data(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    x1, x2 = torch.randn(n, 3, generator=g), torch.randn(n, 4, generator=g)
    return x1, x2, torch.randn(n, 2, generator=g), torch.rand(n, generator=g)

def test_learner_two_inputs_two_targets():
    "n_inp=2 inputs reach the model, the two targets reach the loss as loss(pred, y, w) (what cam.tensor_dls served)"
    seen = []
    def loss(pred, y, w):
        seen.append((pred.shape, y.shape, w.shape))
        return ((pred - y)**2).mean(1).mul(w).mean()
    set_seed(0)
    dls = array_dls(_data(40), _data(12, 1), bs=8, n_inp=2, device='cpu')
    learn = Learner(dls, TwoIn(), loss_func=loss)
    learn.fit(1, 1e-2)
    assert seen[0] == ((8, 2), (8, 2), (8,)) and len(seen) == 5 + 2       # 5 train batches, 2 valid batches
    assert np.isfinite(learn.recorder.values[-1][1])

def test_same_seed_same_weights():
    "set_seed, then the same data: identical batches and identical weights"
    ws = []
    for _ in range(2):
        set_seed(3)
        dls = array_dls(_data(40), bs=8, n_inp=2, device='cpu', augment=False)
        learn = Learner(dls, TwoIn(), loss_func=lambda p, y, w: ((p - y)**2).mean())
        learn.fit(2, 1e-2)
        ws.append(torch.cat([p.detach().flatten() for p in learn.model.parameters()]))
    assert torch.equal(ws[0], ws[1])

def test_valid_none_and_density_inputs():
    "valid=None gives an empty valid set; a density model gets only its input (what pixelcnn.pixel_dls served)"
    x = np.random.default_rng(0).integers(0, 256, (20, 8, 8), dtype=np.uint8)
    dls = array_dls((x,), bs=4, tfms=(to_float_chw,), device='cpu')
    assert len(dls.valid) == 0 and len(dls.train) == 5
    b = dls.train.one_batch()
    assert len(b) == 1 and b[0].shape == (4, 1, 8, 8) and b[0].dtype == torch.float32 and b[0].max() <= 1
    learn = Learner(dls, nn.Sequential(nn.Flatten(), nn.Linear(64, 1)), loss_func=lambda p: p.pow(2).mean())
    learn.fit(1, 1e-3)

def test_augment_flips_spatial_positions_only():
    img = np.arange(6*4*5*3, dtype=np.uint8).reshape(6, 4, 5, 3)
    mask = img[..., 0].copy(); tags = np.arange(6)
    set_seed(0)
    dls = array_dls((img, mask, tags), bs=6, shuffle=False, device='cpu', augment=True)
    xb, mb, tb = dls.train.one_batch()
    assert tb.tolist() == list(range(6))
    flipped = [not np.array_equal(xb[i].numpy(), img[i]) for i in range(6)]
    for i in range(6):
        assert np.array_equal(xb[i].numpy(), img[i][:, ::-1] if flipped[i] else img[i])
        assert np.array_equal(mb[i].numpy(), xb[i, ..., 0].numpy())            # the mask flipped with its image
    xv, _, _ = array_dls((img, mask, tags), (img, mask, tags), bs=6, device='cpu', augment=True).valid.one_batch()
    assert np.array_equal(xv.numpy(), img)                                        # validation batches are never flipped
    with pytest.raises(ValueError, match='augment: expected'): array_dls((img, mask), augment=(2,))

def test_clear_errors():
    x = np.zeros((10, 3), np.float32)
    with pytest.raises(ValueError, match=r'train: the arrays must share their first dimension.*\[10, 9\]'): array_dls((x, x[:9]))
    with pytest.raises(ValueError, match='train: expected a non-empty tuple'): array_dls(x)
    with pytest.raises(ValueError, match='bs: 16 is larger than the training set'): array_dls((x,), bs=16, drop_last=True)
    with pytest.raises(ValueError, match='bs: expected a positive integer'): array_dls((x,), bs=0)
    assert len(array_dls((x,), bs=16, device='cpu').train) == 1                  # no drop_last asked: one partial batch
