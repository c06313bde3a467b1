"Fast checks of wsss_nb.pixelcnn beyond the notebook's: cached sampling on a net with down/up-sampling, likelihood normalisation."
import torch
import pytest
from wsss_nb.pixelcnn import (PixelCNN, PixelCNNpp, MixLogistic, Categorical, Embedding, sample, draw_noise,
                              receptive_rows, causal_violations, gray4, half_res, sample_pyramid)

@pytest.fixture(autouse=True)
def one_thread():
    "Tiny per-pixel forward passes: one thread avoids OpenMP spin-waits on a busy machine"
    n = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)

def test_cached_equals_naive_with_resampling_stages():
    torch.manual_seed(0)
    m = PixelCNN(MixLogistic(3, 2), nf=4, nr_resnet=0, n_stages=2).double()  # one gated block per stage on the way down
    R = receptive_rows(m.net, 4, H=24)
    assert 0 < R < 10, R  # bounded: on 14 rows the window sampler really skips rows, with stride-2 alignment
    nz = draw_noise(m.head, 2, 14, 4, torch.Generator().manual_seed(1))
    a = sample(m, 2, 14, 4, noise=nz, cache=None); b = sample(m, 2, 14, 4, noise=nz, cache='rows')
    assert torch.equal(a, b)
    assert torch.equal(a, sample(m, 2, 14, 4, noise=nz, cache='auto'))   # a resampling net falls back to the row window
    with pytest.raises(ValueError, match='n_stages=1'): sample(m, 2, 14, 4, noise=nz, cache='layers')

def test_cached_equals_naive_variance_reduction_and_categorical():
    torch.manual_seed(1)
    m = PixelCNN(MixLogistic(1, 3), nf=6, nr_resnet=1).double()
    nz = draw_noise(m.head, 3, 9, 3, torch.Generator().manual_seed(2))
    vr = torch.tensor([0., .5, 1.], dtype=torch.float64)
    a = sample(m, 3, 9, 3, noise=nz, var_reduction=vr, cache=None)
    for c in ('rows', 'layers'): assert torch.equal(a, sample(m, 3, 9, 3, noise=nz, var_reduction=vr, cache=c))
    c = PixelCNN(Categorical(16), nf=6, nr_resnet=1).double()
    nz = draw_noise(c.head, 2, 9, 3, torch.Generator().manual_seed(3))
    assert torch.equal(sample(c, 2, 9, 3, noise=nz, cache=None), sample(c, 2, 9, 3, noise=nz, cache='layers'))

@pytest.mark.parametrize('map_sample', [False, True])
def test_pyramid_layer_caches_equal_naive(map_sample):
    "A 3-level pyramid (flat levels, upsampling embeddings), float64, same noise: identical at every level"
    torch.manual_seed(6)
    head = MixLogistic(1, 3)
    lv = [PixelCNN(head, nf=6, nr_resnet=1)] + [PixelCNN(head, nf=6, nr_resnet=2, embed=Embedding(1, 5, 2, upsample=True)) for _ in range(2)]
    lv = [m.double() for m in lv]
    g = torch.Generator().manual_seed(7); nz = [draw_noise(head, 3, s, s, g) for s in (3, 6, 12)]
    vr = torch.tensor([0., .5, 1.], dtype=torch.float64)
    a = sample_pyramid(lv, 3, 3, noises=nz, map_sample=map_sample, var_reduction=vr, cache=None)
    b = sample_pyramid(lv, 3, 3, noises=nz, map_sample=map_sample, var_reduction=vr, cache='layers')
    assert all(torch.equal(x, y) for x, y in zip(a, b)) and a[-1].float().std() > 0

def test_resampling_net_is_causal():
    torch.manual_seed(2)
    net = PixelCNNpp(3, 10, nf=4, nr_resnet=1, n_stages=3)
    assert causal_violations(net, 3, 8, 8, pixels=[(0, 3), (3, 3), (6, 1)]) == 0

def test_probabilities_sum_to_one_float32_params():
    torch.manual_seed(3)
    head = MixLogistic(1, 4)
    p = (torch.randn(1, head.n_params, 1, 1)*3).double()
    v = torch.arange(256)[:, None, None, None]
    assert abs(head.log_prob(p.expand(256, -1, -1, -1), v).exp().sum().item() - 1) < 1e-9

def test_sampling_distribution_matches_log_prob():
    "Empirical frequencies of sampled values follow exp(log_prob) (one pixel, many draws)"
    torch.manual_seed(4)
    head = MixLogistic(1, 2, n_bins=8)
    p = torch.randn(1, head.n_params, dtype=torch.float64)
    u = torch.rand(60000, head.noise_dim, dtype=torch.float64)
    v = head.sample(p.expand(len(u), -1), u)[:, 0]
    freq = torch.bincount(v, minlength=8).double()/len(u)
    probs = head.log_prob(p[:, :, None, None].expand(8, -1, 1, 1), torch.arange(8)[:, None, None, None]).exp().flatten()
    assert (freq - probs).abs().max() < 0.01, (freq, probs)

def test_log_prob_refuses_values_outside_the_likelihood():
    "Issue #11: shifted (v+256) or rescaled (v/255) values used to give finite, even higher, likelihoods"
    torch.manual_seed(5)
    head = MixLogistic(3, 2); p = torch.randn(2, head.n_params, 3, 3); v = torch.randint(0, 256, (2, 3, 3, 3))
    assert torch.isfinite(head.log_prob(p, v)).all()
    with pytest.raises(ValueError, match=r'values: expected values in 0\.\.255'): head.log_prob(p, v + 256)
    with pytest.raises(TypeError, match='integer tensor'): head.log_prob(p, v/255)
    with pytest.raises(ValueError, match=r'values in 0\.\.15'): Categorical(16).log_prob(torch.randn(1, 16, 2, 2), torch.full((1, 1, 2, 2), -1))
    m = PixelCNN(MixLogistic(1, 2), nf=4, nr_resnet=1)
    with pytest.raises(TypeError, match='v: expected an integer tensor'): m.log_prob(torch.rand(1, 1, 4, 4))
    with pytest.raises(ValueError, match='v: expected values'): m.log_prob(torch.full((1, 1, 4, 4), 300))

def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match='x:'): PixelCNNpp(3, 10, nf=4)(torch.zeros(1, 2, 4, 4))
    with pytest.raises(ValueError, match='v:'): gray4(torch.zeros(1, 1, 4, 4))
    with pytest.raises(ValueError, match='v:'): half_res(torch.zeros(1, 1, 3, 4))
    with pytest.raises(ValueError, match='params'): MixLogistic(3, 2).log_prob(torch.zeros(1, 5, 2, 2), torch.zeros(1, 3, 2, 2, dtype=torch.long))

def test_paper_path_on_fixtures(tmp_path):
    "The paper preset reads CIFAR-10 batches and aligned CelebA (tiny fixtures, tiny flat nets, CPU)"
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from fixtures import write_cifar10, write_celeba
    from wsss_nb.reproduce import run_chapter
    write_cifar10(tmp_path/'data'/'cifar10', n_per_batch=4); write_celeba(tmp_path/'data'/'celeba', n=24)
    tiny = dict(n_mix=2, nf=6, nf_pp=6, nr=1, nr_cond=1, stages=1, face_stages_flat=1, emb_nf=4, emb_blocks=1, epochs=1, prior_epochs=1, bs=4, dropout=0.0,
                face_size=16, face_levels=2, face_nr=1, face_nf=4, face_emb_nf=4, face_emb_blocks=2, face_nf_flat=4, face_nr_flat=1,
                face_epochs=1, face_bs=4, n_samples=2, n_sweep=2, sweep=[0.0, 1.0], speed_rows=1, speed_batches=[1, 2])
    root = Path(__file__).resolve().parent.parent
    r = run_chapter(root/'nbs'/'20_pixelcnn.ipynb', 'paper', out=tmp_path/'figs', runs=tmp_path/'runs', progress=False,
                    data_dir=str(tmp_path/'data'), device='cpu', overrides=tiny)
    assert r['status'] == 'ok', r['error']
    out = tmp_path/'figs'/'pixelcnn'
    assert 'CIFAR-10' in (out/'bpd_grayscale.md').read_text() and 'CelebA' in (out/'bpd_pyramid.md').read_text()
    assert (out/'claims.md').is_file() and (out/'variance_reduction.png').is_file()
