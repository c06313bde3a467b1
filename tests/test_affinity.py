"The memory-bounded random walk of wsss_nb.affinity: equal to the dense reference, hand-checked, bounded, and strict on bad input."
import math
import numpy as np
import pytest
import torch
from wsss_nb.affinity import (pair_offsets, pair_labels, confident_labels, background_scores, affinity_term, transition_matrix,
                              random_walk, dense_random_walk, rw_segmentation, rw_alpha_sweep, AffinityNet, sequential_body)
from wsss_nb.models import SmallFCN

@pytest.mark.parametrize('h,w,radius,logt', [(1, 5, 1.2, 4), (3, 4, 1.5, 6), (7, 5, 3, 8), (6, 9, 5, 8), (10, 10, 4.5, 3)])
def test_sparse_equals_dense(h, w, radius, logt):
    g = torch.Generator().manual_seed(h * 100 + w)
    maps = torch.rand(3, 4, h, w, generator=g, dtype=torch.float64)
    aff = torch.rand(3, len(pair_offsets(radius)), h, w, generator=g, dtype=torch.float64)
    torch.testing.assert_close(random_walk(maps, aff, radius, logt=logt, chunk=2), dense_random_walk(maps, aff, radius, logt=logt), atol=1e-5, rtol=0)

def test_float32_close_to_float64():
    g = torch.Generator().manual_seed(0)
    maps, aff = torch.rand(2, 3, 8, 8, generator=g), torch.rand(2, len(pair_offsets(3)), 8, 8, generator=g)
    torch.testing.assert_close(random_walk(maps, aff, 3), random_walk(maps.double(), aff.double(), 3).float(), atol=1e-5, rtol=0)

def test_walk_on_1x3_by_hand():
    "A = [[1,1,0],[1,1,.5],[0,.5,1]] (beta=1): T rows /2, /2.5, /1.5; T^2 (1,0,0)"
    aff = torch.zeros(1, 2, 1, 3, dtype=torch.float64); aff[0, 0, 0, :2] = torch.tensor([1., .5])
    T = np.array([[.5, .5, 0], [.4, .4, .2], [0, 1/3, 2/3]])
    np.testing.assert_allclose(transition_matrix(aff, 1.2, beta=1).to_dense().numpy(), T, atol=1e-12)
    m = torch.tensor([[[[1., 0., 0.]]]], dtype=torch.float64)
    for logt in (0, 1, 2, 3):
        np.testing.assert_allclose(random_walk(m, aff, 1.2, beta=1, logt=logt)[0, 0, 0].numpy(),
                                   np.linalg.matrix_power(T, 2 ** logt) @ np.array([1., 0., 0.]), atol=1e-12)

def test_rows_are_stochastic_and_radius_limited():
    aff = torch.rand(2, len(pair_offsets(3)), 6, 7)
    T = transition_matrix(aff, 3).to_dense()
    torch.testing.assert_close(T.sum(1), torch.ones(2 * 42))
    assert T[:42, 42:].abs().sum() == 0                                  # block-diagonal: images do not mix
    ys, xs = np.divmod(np.arange(42), 7)
    dist = np.hypot(ys[:, None] - ys[None], xs[:, None] - xs[None])
    assert (T[:42, :42].numpy()[dist >= 3] == 0).all()                   # no transition at distance >= radius

def test_memory_is_linear_in_the_grid():
    "The 128x128 grid of the benchmark: the sparse walk holds ~(2P+1) entries per node; the dense one refuses by default"
    s, r = 128, 5
    aff = torch.rand(1, len(pair_offsets(r)), s, s)
    T = transition_matrix(aff, r)
    assert T.values().numel() <= s * s * (2 * len(pair_offsets(r)) + 1)
    with pytest.raises(MemoryError, match='3.00 GiB'):
        dense_random_walk(torch.rand(1, 21, s, s), aff, r)
    out = random_walk(torch.rand(1, 2, s, s), aff, r, logt=2)
    assert out.shape == (1, 2, s, s) and torch.isfinite(out).all()

def test_bad_inputs_have_clear_errors():
    m, a = torch.rand(1, 2, 3, 3), torch.rand(1, len(pair_offsets(2)), 3, 3)
    bad = a.clone(); bad[0, 0, 1, 1] = float('nan')
    with pytest.raises(ValueError, match='NaN'): random_walk(m, bad, 2)
    with pytest.raises(ValueError, match='NaN'): transition_matrix(bad, 2)
    for r in (0.5, 1, -3, math.nan):
        with pytest.raises(ValueError, match='radius'): random_walk(m, a, r)
    with pytest.raises(ValueError, match='P = 12'): random_walk(m, a, 3)
    with pytest.raises(ValueError, match=r'\[0, 1\]'): random_walk(m, a + 1, 2)
    with pytest.raises(ValueError, match='logt'): random_walk(m, a, 2, logt=-1)
    tags = torch.tensor([[1, 1]])
    with pytest.raises(ValueError, match='background first'): rw_segmentation(m, a, tags, 2)          # CAMs without the background channel
    assert rw_segmentation(background_scores(m, 16), a, tags, 2).shape == (1, 3, 3)

def test_confident_labels_match_the_exponent_thresholds():
    "One class: foreground iff m > (1-m)^4, background iff m < (1-m)^24, else neutral"
    m = torch.linspace(0, 1, 101).view(1, 1, 1, 101)
    lab = confident_labels(m)[0, 0].numpy()
    x = m.flatten().numpy()
    expect = np.where(x < (1 - x) ** 24, 0, np.where(x > (1 - x) ** 4, 1, 255))
    np.testing.assert_array_equal(lab, expect)
    assert (lab == 255).any() and (lab == 0).any() and (lab == 1).any()

def test_pair_labels_and_loss_on_a_grid():
    lab = torch.tensor([[[1, 1, 255], [0, 0, 2]]])
    fg, bg, neg = pair_labels(lab, 1.2)                                  # offsets right, down
    assert fg[0, 0, 0, 0] and bg[0, 0, 1, 0] and neg[0, 0, 1, 1] and neg[0, 1, 0, 0] and not (fg | bg | neg)[0, :, 0, 2].any()
    assert (fg.sum(), bg.sum(), neg.sum()) == (1, 1, 3)
    aff = torch.full((1, 2, 2, 3), 0.5)
    torch.testing.assert_close(affinity_term(aff, lab, 'neg', 1.2), torch.tensor(-math.log(0.5 + 1e-5)))

def test_rw_alpha_sweep_equals_separate_walks():
    g = torch.Generator().manual_seed(3)
    nc, a, tags = torch.rand(2, 3, 6, 6, generator=g), torch.rand(2, len(pair_offsets(2)), 6, 6, generator=g), torch.tensor([[1, 1, 0], [0, 1, 1]])
    nc = nc * tags[..., None, None]
    sw = rw_alpha_sweep(nc, a, tags, 2, (2, 8), logt=5)
    for al in (2, 8): assert torch.equal(sw[al], rw_segmentation(background_scores(nc, al), a, tags, 2, logt=5))

def test_affinity_net_is_symmetric_in_its_pairs():
    "a(i, i+d) is computed once per pair: the predicted affinities lie in (0, 1], 1 for identical features"
    net = AffinityNet(sequential_body(SmallFCN(2, width=4, dilations=(1,))), radius=2).eval()
    with torch.no_grad(): a = net(torch.zeros(1, 3, 32, 32))
    inside = a[0, 0, :, :-1]
    torch.testing.assert_close(inside, torch.ones_like(inside))           # a constant image: identical features everywhere
