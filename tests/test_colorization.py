"Checks of wsss_nb.colorization beyond the notebook's: cached PIC sampling, MAP decoding by brute force, the paper path on fixtures."
import sys
from pathlib import Path
import numpy as np
import torch
import pytest
from wsss_nb.colorization import (rgb_to_lab, lab_to_rgb, subsample_chroma, pic_model, colorize, map_chroma, L_HEAD,
                                  FeedForwardColor, chroma_bpd, TABLE_5_1, ColorEmbedding)
from wsss_nb.pixelcnn import MixLogistic
from wsss_nb.reproduce import run_chapter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)

@pytest.mark.parametrize('factor', [1, 2, 4])
def test_pic_layer_caches_equal_naive(factor):
    "PIC's f^theta (biased at conv1 by g^w at the chroma grid), float64, same seed: cached and naive samples are identical"
    torch.manual_seed(factor)
    m = pic_model(factor, nf=6, nr_resnet=2, n_mix=3, emb_width=2, emb_blocks=1).double()
    L, _ = rgb_to_lab(np.random.default_rng(factor).integers(0, 256, (3, 16, 16, 3), dtype=np.uint8))
    for kw in (dict(), dict(map_sample=True)):
        a = colorize(m, L, torch.Generator().manual_seed(5), cache=None, **kw)
        b = colorize(m, L, torch.Generator().manual_seed(5), **kw)
        assert a.shape == (3, 2, 16//factor, 16//factor) and torch.equal(a, b)

def test_map_chroma_is_the_mode_for_peaked_components():
    "Brute force over all (a, b) of a 32-bin head: with peaked components the best component mode is the exact mode"
    torch.manual_seed(0)
    head = MixLogistic(2, 4, n_bins=32)
    for _ in range(5):
        p = torch.randn(1, head.n_params, 1, 1, dtype=torch.float64)
        K = head.n_mix; p[:, K + 2*K:K + 4*K] = -5.                           # log-scales: peaked components
        grid = torch.cartesian_prod(torch.arange(32), torch.arange(32))[:, :, None, None]
        lp = head.log_prob(p.expand(len(grid), -1, -1, -1), grid)[:, 0, 0]
        best = grid[lp.argmax(), :, 0, 0]
        assert torch.equal(map_chroma(head, p)[0, :, 0, 0], best)

def test_feed_forward_likelihood_is_per_pixel():
    "The baseline's NLL of an image is the sum of independent per-pixel NLLs: shuffling pixels of ab and L together leaves the per-pixel terms"
    torch.manual_seed(1)
    m = pic_model(1, nf=4, nr_resnet=1, n_mix=2, emb_width=2, emb_blocks=1)
    ff = FeedForwardColor.from_pic(m)
    L, ab = rgb_to_lab(np.random.default_rng(2).integers(0, 256, (2, 8, 8, 3), dtype=np.uint8))
    r = chroma_bpd(ff, ab, L); assert np.isfinite(r['bpd']) and r['bits_per_image'] > 0
    with pytest.raises(ValueError, match='ab: expected values'): lab_to_rgb(L, ab + 256)

def test_table_5_1_shapes():
    test_cases = [('cifar', 32, 16, 256), ('imagenet', 128, 32, 512)]
    for name, size, res, ch in test_cases:
        g = ColorEmbedding(**TABLE_5_1[name])
        with torch.no_grad(): assert g(torch.zeros(1, 1, size, size)).shape == (1, ch, res, res)

def test_paper_path_on_fixtures(tmp_path):
    "The paper preset reads ILSVRC-style folders and CIFAR-10 batches (tiny fixtures, tiny overrides, CPU)"
    from fixtures import write_image_folder, write_cifar10
    classes = {'n01440764': 4, 'n01443537': 4}
    write_image_folder(tmp_path/'data'/'imagenet'/'train', classes, size=(40, 48), seed=0)
    write_image_folder(tmp_path/'data'/'imagenet'/'val', {'n01440764': 2, 'n01443537': 1}, size=(40, 48), seed=1)
    write_cifar10(tmp_path/'data'/'cifar10', n_per_batch=3)
    tiny = dict(size=32, nf=6, nr=1, n_mix=2, epochs=1, bs=4, ff_epochs=1, n_sat=3, n_div=2, k_div=2, n_show=2, factors=[2, 4],
                sub_n_train=4, sub_epochs=1, b_epochs=1, speed_batches=[1, 2], n_train=6, n_test=3)
    r = run_chapter(ROOT/'nbs'/'21_colorization.ipynb', 'paper', out=tmp_path/'figs', runs=tmp_path/'runs', progress=False,
                    data_dir=str(tmp_path/'data'), device='cpu', overrides=tiny)
    assert r['status'] == 'ok', r['error']
    out = tmp_path/'figs'/'colorization'
    assert (out/'bpd.md').is_file() and (out/'claims.md').is_file() and (out/'samples.png').is_file()
    assert 'ILSVRC' in (out/'bpd.md').read_text() and 'CIFAR-10' in (out/'bpd.md').read_text()
