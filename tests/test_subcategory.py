"SC-CAM: sub-category targets and k-means, cluster scores against known sub-types, bad inputs, and the paper code path on a tiny VOC tree."
import time
import numpy as np
import pytest
import torch
from sklearn.metrics import normalized_mutual_info_score
from wsss_nb.models import make_fcn
from wsss_nb.subcategory import (SubCatNet, subcat_loss, subcategory_labels, subcategory_targets, image_subtypes, cluster_purity,
                                 chance_nmi, cluster_scores, parent_loss, sub_loss)

def test_targets_are_one_positive_per_present_class():
    rng = np.random.default_rng(0)
    y = rng.random((50, 4)) < 0.4
    a = subcategory_labels(rng.normal(size=(50, 5)), y, 3, seed=0, n_init=1)
    assert ((a >= 0) == y).all() and a.max() <= 2
    t = subcategory_targets(a, 3).view(50, 4, 3)
    torch.testing.assert_close(t.sum(2), torch.as_tensor(y).float())

def test_kmeans_is_seeded():
    rng = np.random.default_rng(1)
    f, y = rng.normal(size=(40, 6)), np.ones((40, 2), bool)
    np.testing.assert_array_equal(subcategory_labels(f, y, 5, seed=3), subcategory_labels(f, y, 5, seed=3))

def test_k1_sub_loss_equals_parent_loss():
    "K = 1: Y_s = Y_p, so with the sub head a copy of the parent head L_s = L_p (the K = 1 control trains the plain CAM task twice)"
    net = SubCatNet(make_fcn('small', 3, width=4, dilations=(1,)), 1).eval()
    net.sub_head.load_state_dict(net.head.state_dict())
    x, y = torch.randn(4, 3, 16, 16), torch.tensor([[1., 0, 1], [0, 1, 0], [1, 1, 1], [0, 0, 1]])
    ys = subcategory_targets(subcategory_labels(np.random.default_rng(0).normal(size=(4, 3)), y.numpy(), 1), 1)
    with torch.no_grad(): pred = net(x)
    torch.testing.assert_close(sub_loss(pred, y, ys), parent_loss(pred, y, ys))
    torch.testing.assert_close(subcat_loss(5.)(pred, y, ys), 6 * parent_loss(pred, y, ys))

def test_nmi_and_purity_find_a_planted_structure():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, 300)
    good = truth * 3 + rng.integers(0, 3, 300)          # 9 clusters, each inside one sub-type
    bad = rng.integers(0, 9, 300)
    assert cluster_purity(good, truth) == 1.0 and cluster_purity(bad, truth) < 0.6
    cn, cp = chance_nmi(good, truth, n_perm=10)
    assert normalized_mutual_info_score(truth, good) > cn + 0.4 and cp < 0.6
    rows = cluster_scores(np.stack([good, bad], 1), np.stack([truth, truth], 1), n_perm=5)
    assert rows[0]['nmi'] > rows[1]['nmi'] + 0.4

def test_image_subtypes_of_the_benchmark():
    from wsss_nb.data import make_scenes
    s = make_scenes(20, 64, 4, seed=3)
    t = image_subtypes(s.objects, 4)
    assert ((t >= 0) == s.labels).all()
    nsub = [2, 3, 4, 2]                                  # 2 + (c % 3) sub-types per class
    assert all(t[:, c].max() < nsub[c] for c in range(4))

@pytest.mark.parametrize('bad, msg', [(lambda: subcategory_labels(np.zeros((3, 2)), np.ones((4, 2)), 2), 'labels'),
                                      (lambda: subcategory_labels(np.zeros(3), np.ones((3, 2)), 2), 'feats'),
                                      (lambda: subcategory_labels(np.zeros((3, 2)), np.ones((3, 2)), 0), 'n_sub'),
                                      (lambda: subcategory_targets(np.array([[3, -1]]), 3), 'assign'),
                                      (lambda: subcat_loss(float('nan')), 'lam'),
                                      (lambda: SubCatNet(make_fcn('largefov', 3), 2), 'fcn'),
                                      (lambda: cluster_scores(np.zeros((3, 2)), np.zeros((3, 3))), 'truth')])
def test_bad_input_names_the_argument(bad, msg):
    with pytest.raises(ValueError, match=msg): bad()

def test_paper_path_on_a_tiny_voc_tree(tmp_path):
    """The paper preset's code path (VOC readers, torchvision ResNet, rounds, K ablation, CRF affinity labels, random walk, galleries)
    on a tiny VOC tree, from scratch, on CPU; ResNet-18 instead of the preset's dilated ResNet-50 keeps it short"""
    import json
    from fixtures import write_voc_tree
    from wsss_nb.reproduce import run_chapter, find_chapters
    write_voc_tree(tmp_path/'voc', n_train=6, n_val=4, size=64, seed=0)
    nb = find_chapters(chapters=['subcategory'])[0]
    t = time.time()
    r = run_chapter(nb, 'paper', out=tmp_path/'figs', runs=tmp_path/'runs', data_dir=str(tmp_path/'voc'), from_scratch=True,
                    arch='resnet18', size=64, epochs=1, round_epochs=1, aff_epochs=1, bs=4, progress=False)
    assert r['status'] == 'ok', r['error']
    out = tmp_path/'figs'/'subcategory'
    assert json.loads((out/'RUN.json').read_text())['status'] == 'complete'
    rows = json.loads((out/'table3_2.json').read_text())
    rows = rows.get('rows', rows) if isinstance(rows, dict) else rows
    assert [r_['round'] for r_ in rows] == ['#0 (CAM)', '#1', '#2', '#3'] and all(r_['n'] == 1 for r_ in rows)
    assert (out/'table3_1.json').is_file() and (out/'ablation.json').is_file() and (out/'gallery_round3.png').is_file()
    assert not (out/'cluster_nmi.json').exists()          # VOC has no known sub-types
    print(f"paper path on the tiny tree: {time.time() - t:.0f} s")

def test_paper_preset_refuses_to_start_without_weights(tmp_path):
    from wsss_nb.reproduce import run_chapter, find_chapters
    nb = find_chapters(chapters=['subcategory'])[0]
    r = run_chapter(nb, 'paper', out=tmp_path/'figs', runs=tmp_path/'runs', data_dir=str(tmp_path), progress=False)
    assert r['status'] == 'FAILED' and 'weights' in r['error']
