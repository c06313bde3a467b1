"Decomposition: eq. (6) against a loop over its sums, the shared encoder, and the paper code path on a tiny ImageNet-style tree."
import json, time
import numpy as np
import pytest
import torch
from torch import nn
from wsss_nb.decomposition import (guidance_terms, ClassifierGuidance, Decomposer, recompose, components, mask_loss, recon_loss,
                                   imagenet_dogs, is_dog, appendix_a_encoder)

def _eq6_loop(logits, tags):
    "eq. (6) with the background first, written as the report's sums"
    B, K, C = logits.shape
    g = torch.sigmoid(logits.double())
    out = torch.zeros(B, dtype=torch.float64)
    for b in range(B):
        for k in range(K):
            t = 0.
            if k > 0 and tags[b, k - 1] == 1: t -= torch.log(g[b, k, k - 1])
            for j in range(C):
                if j != k - 1: t -= torch.log(1 - g[b, k, j])
            out[b] += t / K
    return out

def test_guidance_matches_the_sums_of_eq6():
    torch.manual_seed(0)
    logits, tags = torch.randn(5, 4, 3), (torch.rand(5, 3) > .5).float()
    torch.testing.assert_close(guidance_terms(logits, tags).double(), _eq6_loop(logits, tags), rtol=1e-5, atol=1e-5)

def test_guidance_prefers_the_right_component():
    "A classifier that sees the target only in component 1 is cheaper than one that sees it in the background component"
    class G(nn.Module):                               # 'finds' the class where the red channel is bright
        def __init__(self): super().__init__(); self.w = nn.Parameter(torch.ones(1))
        def forward(self, x): return (10 * self.w * (x[:, 0].mean((1, 2)) - 0.25))[:, None]
    X = torch.zeros(1, 2, 3, 4, 4); X[:, :, 0] = 1.   # both image-lets red
    good = torch.zeros(1, 2, 4, 4); good[:, 1] = 1; bad = 1 - good
    L = ClassifierGuidance(G())
    assert L((good, X), None, torch.ones(1, 1)) < L((bad, X), None, torch.ones(1, 1))

def test_encoder_is_shared_and_trained_by_both_decoders():
    enc = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())
    d = Decomposer(enc, 2, (8, 8))
    assert d.f_m.layers[0] is d.f_x.layers[0] is enc
    x = torch.randn(2, 3, 8, 8)
    M, X = d(x)
    recon_loss((M.detach(), X), x).backward()         # only f_x's path
    assert enc[0].weight.grad is not None and enc[0].weight.grad.abs().sum() > 0
    assert all(p.grad is None for n, p in d.f_m.named_parameters() if not n.startswith('layers.0'))

def test_masks_sum_to_one_and_reconstruct():
    torch.manual_seed(0)
    M = torch.randn(3, 4, 5, 5).softmax(1); X = torch.randn(3, 4, 3, 5, 5)
    torch.testing.assert_close(components(M, X).sum(1), recompose(M, X))
    same = X[:, :1].expand(-1, 4, -1, -1, -1)          # equal image-lets: any masks reconstruct them exactly
    torch.testing.assert_close(recompose(M, same), X[:, 0])
    assert mask_loss((M, X), None, torch.ones(3, 3)) > 0

def test_is_dog():
    assert is_dog('n02085620') and is_dog('n02113978') and is_dog('n02099601')
    assert not is_dog('n02084999') and not is_dog('n02114367') and not is_dog('n01440764')

def test_imagenet_dogs_reads_a_tree_and_names_bad_paths(tmp_path):
    from fixtures import write_imagenet_dogs
    root = write_imagenet_dogs(tmp_path/'train', n_per_class=3)
    d = imagenet_dogs(root, n=12, size=24, seed=1)
    assert d['images'].shape == (12, 24, 24, 3) and d['images'].dtype == np.uint8 and d['labels'].sum() == 6
    with pytest.raises(FileNotFoundError, match=str(tmp_path/'missing')): imagenet_dogs(tmp_path/'missing')
    (tmp_path/'flat').mkdir()
    for f in list((root/'n02085620').iterdir())[:2]: (tmp_path/'flat'/f.name).write_bytes(f.read_bytes())
    with pytest.raises(FileNotFoundError, match='flat'): imagenet_dogs(tmp_path/'flat')        # images not in class folders
    (tmp_path/'named'/'dogs').mkdir(parents=True); (tmp_path/'named'/'cats').mkdir()
    for c in ('dogs', 'cats'): (tmp_path/'named'/c/'a.JPEG').write_bytes(next((root/'n02085620').iterdir()).read_bytes())
    with pytest.raises(ValueError, match='named.*not ImageNet wnids'): imagenet_dogs(tmp_path/'named')
    only = tmp_path/'only'; write_imagenet_dogs(tmp_path/'tmp2', n_per_class=1)
    only.mkdir(); (tmp_path/'tmp2'/'n02085620').rename(only/'n02085620')
    with pytest.raises(ValueError, match='only dog'): imagenet_dogs(only)

def test_paper_path_on_a_tiny_imagenet_tree(tmp_path):
    """The paper preset's code path (ImageNet dogs from folders, ResNet-18 g, the Appendix A encoder) on a tiny tree, from scratch,
    on CPU, with a narrow encoder and 32 px images"""
    from fixtures import write_imagenet_dogs
    from wsss_nb.reproduce import run_chapter, find_chapters
    root = write_imagenet_dogs(tmp_path/'imagenet'/'train', n_per_class=4)
    nb = find_chapters(chapters=['decomposition'])[0]
    t = time.time()
    r = run_chapter(nb, 'paper', out=tmp_path/'figs', runs=tmp_path/'runs', data_dir=str(root), from_scratch=True,
                    size=32, n_train=16, n_val=8, cls_epochs=1, epochs=1, bs=4, enc_widths=[8, 16], progress=False)
    assert r['status'] == 'ok', r['error']
    out = tmp_path/'figs'/'decomposition'
    assert json.loads((out/'RUN.json').read_text())['status'] == 'complete'
    rows = json.loads((out/'dogs.json').read_text())['rows']
    assert len(rows) == 1 and 0 <= rows[0]['g_accuracy'] <= 1
    assert (out/'decomposition.png').is_file() and (out/'claims.json').is_file()
    print(f"paper path on the tiny tree: {time.time() - t:.0f} s")

def test_paper_preset_names_a_missing_data_dir(tmp_path):
    from wsss_nb.reproduce import run_chapter, find_chapters
    nb = find_chapters(chapters=['decomposition'])[0]
    r = run_chapter(nb, 'paper', out=tmp_path/'figs', runs=tmp_path/'runs', data_dir=str(tmp_path/'nowhere'), from_scratch=True, progress=False)
    assert r['status'] == 'FAILED' and 'nowhere' in r['error'], r['error']
    r = run_chapter(nb, 'paper', out=tmp_path/'figs', runs=tmp_path/'runs', progress=False)
    assert r['status'] == 'FAILED' and 'weights' in r['error'], r['error']
