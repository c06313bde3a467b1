"Property tests of the shared solvers and metrics (wsss_nb.metrics, wsss_nb.crf) on random small problems."
import math
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import confusion_matrix, jaccard_score

from wsss_nb.metrics import ConfusionMatrix, segmentation_scores, trimap_miou, pr_f_score, bits_per_dim
from wsss_nb.crf import (dense_crf, dense_crf_batch, potts_expansion, potts_energy, contrast_weights,
                         grid_potts_loss, dense_crf_loss)

torch.set_num_threads(1)


@pytest.mark.parametrize('seed', range(5))
def test_confusion_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    K = int(rng.integers(2, 7))
    t = rng.integers(0, K, (3, 9, 11)); p = rng.integers(0, K, t.shape)
    t[rng.random(t.shape) < 0.1] = 255
    cm = ConfusionMatrix(K).update(p, t)
    keep = t != 255
    ref = confusion_matrix(t[keep], p[keep], labels=list(range(K)))
    np.testing.assert_array_equal(cm.mat, ref)
    present = np.union1d(np.unique(t[keep]), np.unique(p[keep]))
    np.testing.assert_allclose(cm.iou()[present], jaccard_score(t[keep], p[keep], labels=present, average=None))
    # streaming over images equals one update on the stack
    s = segmentation_scores(zip(p, t), None, K)
    np.testing.assert_array_equal(s['confusion'], cm.mat)


def test_trimap_widest_band_is_plain_miou():
    rng = np.random.default_rng(0)
    t = np.zeros((2, 20, 20), np.int64); t[:, 5:15, 5:15] = 1; t[1, :, 12:] = 2
    p = np.where(rng.random(t.shape) < 0.2, rng.integers(0, 3, t.shape), t)
    tm = trimap_miou(p, t, 3, widths=(1, 100))
    assert math.isclose(tm[100], segmentation_scores(p, t, 3)['miou'])


def test_pr_curve_monotone_recall():
    rng = np.random.default_rng(0)
    r = rng.random((30, 30)); t = rng.random((30, 30)) < r
    c = pr_f_score(r, t, np.linspace(0, 1, 21))
    assert (np.diff(c['recall'][~np.isnan(c['recall'])]) <= 1e-12).all()
    assert abs(bits_per_dim(3*math.log(2), 3) - 1) < 1e-12


def _random_problem(rng, H, W, K):
    img = rng.integers(0, 255, (H, W, 3)).astype(np.uint8)
    img[:, W//2:] //= 4                                           # one colour edge
    un = -np.log(np.clip(rng.dirichlet(np.ones(K), (H, W)), 1e-4, 1))
    return img, un


@pytest.mark.parametrize('seed', range(6))
def test_expansion_seeds_and_monotone_energy(seed):
    rng = np.random.default_rng(seed)
    H, W, K = int(rng.integers(8, 30)), int(rng.integers(8, 30)), int(rng.integers(2, 7))
    img, un = _random_problem(rng, H, W, K)
    seeds = np.full((H, W), 255)
    m = rng.random((H, W)) < 0.05; seeds[m] = rng.integers(0, K, m.sum())
    wt = float(rng.uniform(0.5, 8)); nb = int(rng.choice([4, 8]))
    lab, info = potts_expansion(img, un, seeds=seeds, weight=wt, neighborhood=nb, n_iter=10, return_info=True)
    np.testing.assert_array_equal(lab[m], seeds[m])
    assert (np.diff(info['int_energies']) <= 0).all()
    n_terms = H*W + 4*H*W
    assert (np.diff(info['energies']) <= n_terms/info['scale']).all()
    E = potts_energy(lab, img, un, seeds, nb, wt)
    assert math.isclose(E, info['energies'][-1], rel_tol=1e-9)
    # alpha-expansion beats its start: the unary-only labelling with the seeds imposed
    u0 = un.argmin(-1); u0[m] = seeds[m]
    assert E <= potts_energy(u0, img, un, seeds, nb, wt) + 1e-9
    # restricted labels: only allowed + seed labels appear
    allowed = [0]
    lab_r = potts_expansion(img, un, seeds=seeds, labels=allowed, weight=wt, neighborhood=nb)
    assert set(np.unique(lab_r)) <= set(allowed) | set(np.unique(seeds[m]).tolist())
    np.testing.assert_array_equal(lab_r[m], seeds[m])


def test_expansion_large_costs_stay_exact():
    "Large unaries lower the integer scale instead of overflowing GCO's int32 terms"
    rng = np.random.default_rng(0)
    img, un = _random_problem(rng, 12, 12, 3)
    lab, info = potts_expansion(img, un*1e4, weight=1e3, return_info=True)
    assert info['scale'] < 1000 and (np.diff(info['int_energies']) <= 0).all()


def test_losses_consistent_on_hard_labels():
    rng = np.random.default_rng(0)
    img, _ = _random_problem(rng, 9, 10, 3)
    lab = rng.integers(0, 3, (9, 10))
    oh = F.one_hot(torch.tensor(lab), 3).permute(2, 0, 1)[None].double()
    assert math.isclose(grid_potts_loss(oh, img[None]).item(), 2*potts_energy(lab, img, np.zeros((9, 10, 3))), rel_tol=1e-9)
    # constant labelling: zero for both relaxations
    c = torch.zeros(1, 3, 9, 10, dtype=torch.float64); c[:, 1] = 1
    assert grid_potts_loss(c, img[None]).item() == 0 and abs(dense_crf_loss(c, img[None], scale=1.).item()) < 1e-9


def test_dense_crf_batch_matches_serial():
    rng = np.random.default_rng(0)
    ims = rng.integers(0, 255, (3, 16, 16, 3)).astype(np.uint8)
    ps = torch.softmax(torch.randn(3, 4, 16, 16), 1).numpy()
    np.testing.assert_allclose(dense_crf_batch(ims, ps, workers=2), np.stack([dense_crf(i, p) for i, p in zip(ims, ps)]), atol=1e-6)


def test_miou_metric_in_a_learner():
    "MIoU accumulated by fastai over the validation set equals the mIoU of the predictions computed at once"
    from fastai.data.core import DataLoaders
    from fastai.learner import Learner
    from torch.utils.data import TensorDataset, DataLoader
    from wsss_nb.metrics import MIoU, PixelAccuracy
    torch.manual_seed(0)
    x = torch.randn(10, 3, 8, 8); y = torch.randint(0, 3, (10, 8, 8)); y[:, 0] = 255
    dl = lambda: DataLoader(TensorDataset(x, y), batch_size=4)
    dls = DataLoaders(dl(), dl())
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 3, 3, padding=1), torch.nn.AvgPool2d(2))   # logits at half resolution
    learn = Learner(dls, model, loss_func=lambda p, t: torch.tensor(0., requires_grad=True), metrics=[MIoU(3), PixelAccuracy(3)])
    _, miou, acc = learn.validate()
    with torch.no_grad():
        lab = F.interpolate(model(x), size=(8, 8), mode='bilinear', align_corners=False).argmax(1)
    s = segmentation_scores(lab, y, 3)
    assert math.isclose(miou, s['miou'], rel_tol=1e-9) and math.isclose(acc, s['acc'], rel_tol=1e-9)


# ---------------------------------------------------------------- reliability cases (issue #11): each reproduces the case
def test_pr_f_score_refuses_nan_anywhere():
    "A NaN in a score map used to sort to the top and count as a detection at every threshold"
    r = np.array([0.9, np.nan, 0.2, 0.1]); t = np.array([1, 0, 0, 255])
    with pytest.raises(ValueError, match='NaN'): pr_f_score(r, t, 0.5)
    r2 = np.array([0.9, 0.5, 0.2, np.nan])                                  # under the ignore label too
    with pytest.raises(ValueError, match='1 NaN'): pr_f_score(r2, t, [0.1, 0.5])


def test_segmentation_scores_refuse_float_predictions():
    "Probabilities passed instead of labels used to be cast to (mostly 0) labels and scored"
    t = np.array([[0, 1], [1, 1]])
    for p in (np.full((2, 2), 0.9), torch.rand(2, 2)):
        with pytest.raises(TypeError, match='pass arg-max labels'): segmentation_scores(p[None], t[None], 2)
    assert segmentation_scores(t[None].astype(np.uint8), t[None], 2)['miou'] == 1.0     # integer labels of any width are fine


def test_expansion_refuses_float_seeds():
    "Float seeds used to end in a bare IndexError inside the label lookup"
    rng = np.random.default_rng(0)
    img, un = _random_problem(rng, 6, 7, 3)
    seeds = np.full((6, 7), 255.); seeds[0, 0] = 1.
    with pytest.raises(TypeError, match='seeds: expected integer labels'): potts_expansion(img, un, seeds=seeds)
    assert potts_expansion(img, un, seeds=seeds.astype(np.int64))[0, 0] == 1
