"Mixup-CAM: the multi-label mixup, gradients and invariances of the regularisers, and the paper code path on a tiny VOC tree."
import time
import numpy as np
import pytest
import torch
from wsss_nb.mixup_cam import (MultiLabelMixUp, cls_loss, entropy_loss, concentration_loss, scaled_lambda_con, mixup_cam_loss,
                               mixup_cam_learner, cam_logits)

def test_mixup_lambda_follows_beta():
    "max(lam, 1-lam) with lam ~ Beta(0.2, 0.2): P(max > 0.9) = 2 I_0.1(0.2, 0.2)"
    from scipy.stats import beta
    torch.manual_seed(0)
    lam = MultiLabelMixUp(0.2).distrib.sample((20000,))
    lam = torch.maximum(lam, 1 - lam)
    assert abs((lam > 0.9).float().mean().item() - 2 * beta.cdf(0.1, 0.2, 0.2)) < 0.02
    assert (lam >= 0.5).all()

@pytest.mark.parametrize('fn', [entropy_loss, lambda m: concentration_loss(m, torch.tensor([[1., 0.5, 0.]], dtype=torch.float64))])
def test_regularisers_have_correct_gradients(fn):
    torch.manual_seed(0)
    m = torch.randn(1, 3, 4, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(fn, (m,), eps=1e-6, atol=1e-5)

def test_concentration_is_translation_invariant_and_scales_with_the_grid():
    m = torch.zeros(1, 1, 12, 12); m[0, 0, 2:5, 3:7] = torch.rand(3, 4) + 0.1
    y = torch.ones(1, 1)
    v = concentration_loss(m, y)
    torch.testing.assert_close(concentration_loss(torch.roll(m, (4, 3), (2, 3)), y), v)
    up = m.repeat_interleave(2, 2).repeat_interleave(2, 3)               # the same map on a grid twice as fine
    torch.testing.assert_close(concentration_loss(up, y), 4 * v + 0.5)   # 4x the variance, plus the 2x2 blocks' own (1/4 per axis)
    assert scaled_lambda_con(2e-4, 28) == pytest.approx(4 * scaled_lambda_con(2e-4, 56))

def test_entropy_prefers_one_class_per_location():
    flat = torch.zeros(1, 4, 3, 3)
    peaked = torch.full((1, 4, 3, 3), -10.); peaked[:, 0] = 10.
    assert entropy_loss(peaked) < entropy_loss(flat)
    torch.testing.assert_close(entropy_loss(flat), torch.tensor(np.log(4), dtype=torch.float32))

def test_cls_loss_with_mixed_labels_is_the_mixture_of_losses():
    "BCE is linear in the target, so the loss of mixed labels equals the mixture of the two labels' losses (eq. 2.2)"
    torch.manual_seed(1)
    m, y1, y2 = torch.randn(4, 5, 3, 3), (torch.rand(4, 5) > .5).float(), (torch.rand(4, 5) > .5).float()
    lam = 0.8
    torch.testing.assert_close(cls_loss(m, lam * y1 + (1 - lam) * y2), lam * cls_loss(m, y1) + (1 - lam) * cls_loss(m, y2))

def test_weights_select_the_terms():
    L = mixup_cam_loss(0., 0.)
    m, y = torch.randn(2, 3, 4, 4), torch.ones(2, 3)
    torch.testing.assert_close(L(m, y), cls_loss(m, y))
    assert list(L.terms) == ['cls']

def test_paper_path_on_a_tiny_voc_tree(tmp_path):
    """The paper preset's code path (VOC readers, torchvision ResNet, CRF affinity labels, random walk) on a tiny VOC tree, from scratch, on CPU;
    ResNet-18 instead of the preset's dilated ResNet-50 keeps it near a minute"""
    import json
    from fixtures import write_voc_tree
    from wsss_nb.reproduce import run_chapter, find_chapters
    write_voc_tree(tmp_path/'voc', n_train=6, n_val=4, size=64, seed=0)
    nb = find_chapters(chapters=['mixup_cam'])[0]
    t = time.time()
    r = run_chapter(nb, 'paper', out=tmp_path/'figs', runs=tmp_path/'runs', data_dir=str(tmp_path/'voc'), from_scratch=True,
                    arch='resnet18', size=64, epochs=1, aff_epochs=1, bs=4, progress=False)
    assert r['status'] == 'ok', r['error']
    out = tmp_path/'figs'/'mixup_cam'
    assert json.loads((out/'RUN.json').read_text())['status'] == 'complete'
    rows = json.loads((out/'table2_1.json').read_text())
    rows = rows.get('rows', rows) if isinstance(rows, dict) else rows
    assert len(rows) == 5 and all(r_['n'] == 1 for r_ in rows)
    print(f"paper path on the tiny tree: {time.time() - t:.0f} s")

def test_paper_preset_refuses_to_start_without_weights(tmp_path):
    from wsss_nb.reproduce import run_chapter, find_chapters
    nb = find_chapters(chapters=['mixup_cam'])[0]
    r = run_chapter(nb, 'paper', out=tmp_path/'figs', runs=tmp_path/'runs', data_dir=str(tmp_path), progress=False)
    assert r['status'] == 'FAILED' and 'weights' in r['error']
