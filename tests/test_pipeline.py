"The weak-supervision pipeline steps (wsss_nb.cam, crf, metrics, sec) chained on tiny generated scenes: the invariants each step promises."
import warnings
import numpy as np
import pytest
import torch
from wsss_nb.core import set_seed
from wsss_nb.data import make_scenes, normalize
from wsss_nb.loaders import array_dls
from wsss_nb.cam import (train_classifier, compute_cams, normalize_cams, choose_cam_threshold, cam_segmentation,
                         cam_seed_probs, cue_maps, cue_quality, saliency_background)
from wsss_nb.crf import choose_crf, dense_crf_batch
from wsss_nb.metrics import segmentation_report, per_image_miou, foreground_fraction
from wsss_nb.sec import SECLoss, sec_softmax, seed_loss, expand_loss, sec_decays, gwrp, train_sec, sec_evaluate
from wsss_nb.resize import resize_images

torch.set_num_threads(1)

@pytest.fixture(scope='module')
def chain():
    "A 1-epoch classifier on 48 tiny scenes, its CAMs and cues"
    s = make_scenes(48, size=32, seed=5)
    x, y = normalize(s.images), torch.as_tensor(s.labels).float()
    set_seed(0)
    cls, st = train_classifier(array_dls((x[:40], y[:40]), (x[40:], y[40:]), bs=16, device='cpu'), y.shape[1], 1, 3e-3, width=4, dilations=(1,))
    nc = normalize_cams(compute_cams(cls.model, x), y)
    return dict(s=s, x=x, y=y, cls=cls, stats=st, nc=nc, K=y.shape[1])

def test_classifier_stats_are_fractions(chain):
    st = chain['stats']
    assert 0 <= st['tag_accuracy'] <= 1 and 0 <= st['exact_match'] <= st['tag_accuracy'] + 1e-9 and st['images_per_s'] > 0

def test_cam_probs_threshold_and_report_agree(chain):
    s, nc, K = chain['s'], chain['nc'], chain['K']
    thr = choose_cam_threshold(nc, s.masks, K + 1)
    lab = cam_segmentation(nc, s.masks.shape[-2:], thr)
    probs = cam_seed_probs(nc, thr, s.masks.shape[-2:])
    torch.testing.assert_close(probs.sum(1), torch.ones(lab.shape))
    assert (probs.argmax(1) == lab).all()
    rep = segmentation_report(lab, s.masks, K + 1)
    assert rep['miou'] == max(segmentation_report(cam_segmentation(nc, s.masks.shape[-2:], t), s.masks, K + 1)['miou'] for t in (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5))
    # the ground truth as a prediction: mIoU 1 and the true foreground fraction
    perfect = segmentation_report(s.masks, s.masks, K + 1)
    assert perfect['miou'] == 1 and abs(perfect['fg'] - foreground_fraction(s.masks)) < 1e-12
    assert (per_image_miou(s.masks, s.masks, K + 1) == 1).all()

def test_cues_and_their_quality(chain):
    s, nc, K = chain['s'], chain['nc'], chain['K']
    bg = saliency_background(chain['cls'].model, chain['x'], chain['y'], size=nc.shape[-2:])
    cues = cue_maps(nc, bg, bg_frac=0.3)
    q = cue_quality(cues, s.masks)
    assert set(q) == {'fg_precision', 'bg_precision', 'fg_labelled', 'bg_labelled'}
    assert abs(q['bg_labelled'] + q['fg_labelled'] + (cues == 255).float().mean().item() - 1) < 1e-6
    # cues copied from the ground truth at the cell centres are perfectly precise
    h = nc.shape[-1]; c = ((np.arange(h) + 0.5) * 32 / h).astype(int)
    gt = torch.as_tensor(s.masks[:, c][:, :, c].astype(np.int64))
    q2 = cue_quality(gt, s.masks)
    assert q2['fg_precision'] == 1.0 and q2['bg_precision'] == 1.0

def test_choose_crf_never_tunes_on_what_it_is_not_given(chain):
    "The chosen CRF is the best row; the no-CRF row is the probabilities' own arg-max"
    s, nc, K = chain['s'], chain['nc'], chain['K']
    probs = cam_seed_probs(nc[:6], 0.2, s.masks.shape[-2:])
    cands = [dict(n_iter=0), dict(scale=2., compat_bilateral=3.), dict(scale=8., compat_bilateral=1.)]
    best, rows = choose_crf(s.images[:6], probs, s.masks[:6], cands, K + 1, workers=1)
    assert rows[0]['miou'] == segmentation_report(probs.argmax(1), s.masks[:6], K + 1)['miou'] == rows[1]['miou']
    assert best == cands[int(np.argmax([r['miou'] for r in rows[1:]]))] and sum(r['chosen'] for r in rows) == 1
    np.testing.assert_allclose(dense_crf_batch(s.images[:6], probs, workers=2, **best), dense_crf_batch(s.images[:6], probs, workers=1, **best), atol=1e-6)

def test_sec_loss_is_the_weighted_sum_of_its_terms(chain):
    torch.manual_seed(0)
    logits = torch.randn(3, chain['K'] + 1, 8, 8)
    cues = torch.randint(0, chain['K'] + 1, (3, 8, 8)); cues[:, ::2] = 255
    tags = chain['y'][:3]; small = resize_images(chain['s'].images[:3], (8, 8))
    p = sec_softmax(logits)
    dp, dbg = sec_decays('gwrp', 64)
    full = SECLoss(dict(seed=2., expand=0.5, constrain=1.), crf_kw=dict(workers=1))
    v = full(logits, cues, tags, small)
    torch.testing.assert_close(v, 2 * seed_loss(p, cues) + 0.5 * expand_loss(p, tags, dp, dbg) + full.terms['constrain'] * torch.ones(()), rtol=1e-5, atol=1e-6)
    only = SECLoss(dict(seed=1.))
    torch.testing.assert_close(only(logits, cues, tags, None), seed_loss(p, cues))
    assert list(only.terms) == ['seed']                                    # a zero weight is never computed
    with pytest.raises(ValueError, match='NaN'): gwrp(p, float('nan'))

def test_train_sec_records_terms_and_evaluates(chain):
    s, K, x = chain['s'], chain['K'], chain['x']
    cues = cue_maps(chain['nc'], bg_frac=0.3)
    small = torch.as_tensor(resize_images(s.images, cues.shape[-2:]))
    ts = (x, cues, chain['y'], small)
    dls = array_dls(tuple(t[8:] for t in ts), tuple(t[:8] for t in ts), bs=16, device='cpu')
    set_seed(0)
    learn, ips = train_sec(dls, K, SECLoss(dict(seed=1., expand=1.)), 1, 3e-3, width=4, dilations=(1,))
    h = learn.loss_terms.history
    assert [(r['epoch'], r['split']) for r in h] == [(0, 'train'), (0, 'valid')] and set(h[0]) == {'epoch', 'split', 'seed', 'expand'}
    ev = sec_evaluate(learn.model, x[:8], s.images[:8], s.masks[:8], K + 1, dict(workers=1))
    assert ev['pred'].dtype == np.uint8 and ev['pred'].shape == s.masks[:8].shape and 0 <= ev['crf']['fg'] <= 1

def test_voc_loading_names_a_truncated_jpeg(tmp_path):
    "The SEC paper path reads VOC with the library's voc_scenes, which names and skips an unreadable image"
    from wsss_nb.readers import voc_scenes
    from fixtures import write_voc_tree
    r = write_voc_tree(tmp_path, n_train=3, n_val=2, size=32)
    bad = sorted((r/'JPEGImages').glob('*.jpg'))[0]
    bad.write_bytes(bad.read_bytes()[:200])                                 # a truncated download
    with pytest.warns(UserWarning, match=bad.stem):
        sc = voc_scenes(tmp_path, 'train', 32)
    assert len(sc.images) == 2
    import nbformat
    from wsss_nb.reproduce import find_chapters
    code = '\n'.join(c.source for c in nbformat.read(str(find_chapters(chapters=['sec'])[0]), as_version=4).cells if c.cell_type == 'code')
    assert 'def voc_scenes' not in code and 'wr.voc_scenes(data_dir' in code
