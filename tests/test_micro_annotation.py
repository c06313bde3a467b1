"Micro-annotation: patterns, clusters and distractor suppression on a planted structure; the paper code path on a tiny VOC tree; refusals."
import json
import numpy as np
import pytest
import torch
from wsss_nb.micro_annotation import pattern_pool, cluster_means, suppress_distractors, background_share, grid_labels, box_hits
from wsss_nb.spectral import spectral_clusters
from wsss_nb.reproduce import find_chapters, run_chapter
from fixtures import write_voc_tree

NB = find_chapters(chapters=['micro_annotation'])[0]
TINY = dict(size=48, n_train=6, n_val=3, cls_epochs=1, iters=2, bs=3, device='cpu')   # randomly initialised LargeFOV, 2 SGD iterations per SEC run

def _planted(n=20, seed=0):
    "One class on a 4x4 grid: the object (feature 0) fills the left column and, falsely, its context (feature 1) the rest"
    rng = np.random.default_rng(seed)
    feats = torch.zeros(n, 2, 4, 4)
    feats[:, 0, :, :1] = 1 + torch.as_tensor(rng.random((n, 4, 1)), dtype=torch.float32) * .1
    feats[:, 1, :, 1:] = 1 + torch.as_tensor(rng.random((n, 4, 3)), dtype=torch.float32) * .1
    ncams = torch.ones(n, 1, 4, 4)                                  # the CAM fires on object and context alike
    masks = np.zeros((n, 8, 8), np.uint8); masks[:, :, :2] = 1      # ground truth: the left quarter only
    return feats, ncams, masks

def test_a_context_cluster_is_found_marked_and_removed():
    feats, ncams, masks = _planted()
    A, where = pattern_pool(feats, ncams)[0]
    r = spectral_clusters(A, rho=0.7, m=2, M=4)
    assert r.k == 2
    share = background_share(where, r.labels, grid_labels(masks, (4, 4)), r.k)
    assert sorted(np.round(share, 6).tolist()) == [0.0, 1.0]        # one cluster on the object, one on the background
    bad = [int(np.argmax(share))]
    out = suppress_distractors(ncams, feats, {0: cluster_means(A, r.labels, r.k)}, {0: bad})
    assert (out[:, 0, :, 1:] == 0).all() and (out[:, 0, :, :1] == 1).all()
    hits = box_hits(ncams, masks, np.ones((len(masks), 1)))
    hits_after = box_hits(out, masks, np.ones((len(masks), 1)))
    assert hits.mean() == 0 and hits_after.mean() == 1                # the whole-image box misses, the object box hits

def test_paper_path_on_a_tiny_voc_tree(tmp_path):
    from wsss_nb.annotator import ClusterAnnotations
    write_voc_tree(tmp_path/'voc', n_train=6, n_val=3, size=48)
    r = run_chapter(NB, 'paper', out=tmp_path/'figs', runs=tmp_path/'runs', progress=False, from_scratch=True, data_dir=str(tmp_path/'voc'), **TINY)
    assert r['status'] == 'ok', r['error']
    d = tmp_path/'figs'/'micro_annotation'
    for t in ('iou', 'cues', 'boxes', 'eigenvalue_ranking', 'claims'):
        assert (d/f'{t}.md').is_file() and (d/f'{t}.json').is_file(), t
    rows = json.loads((d/'iou.json').read_text())['rows']
    assert [x['cls'] for x in rows][:3] == ['background', 'aeroplane', 'bicycle'] and len(rows) == 22   # VOC: 20 classes + bg + mean
    st = ClusterAnnotations.load(d/'annotations.json')
    assert st.meta['annotator'] == 'oracle' and st.meta['layer'] == 'LargeFOV.features.-2' and len(st.meta['model_sha256']) == 64
    assert (d/'cluster_galleries.png').is_file() and json.loads((d/'RUN.json').read_text())['status'] == 'complete'

def test_paper_preset_refuses_to_start_without_weights(tmp_path):
    r = run_chapter(NB, 'paper', out=tmp_path/'figs', runs=tmp_path/'runs', progress=False, data_dir=str(tmp_path), **TINY)
    assert r['status'] == 'FAILED' and 'weights_path' in r['error'] and 'from_scratch' in r['error']

def test_a_bad_data_dir_is_named(tmp_path):
    r = run_chapter(NB, 'paper', out=tmp_path/'figs', runs=tmp_path/'runs', progress=False, from_scratch=True, data_dir=str(tmp_path/'nowhere'), **TINY)
    assert r['status'] == 'FAILED' and str(tmp_path/'nowhere') in r['error'], r['error']

def test_annotations_made_for_another_model_are_refused(tmp_path):
    from wsss_nb.annotator import ClusterAnnotations
    write_voc_tree(tmp_path/'voc', n_train=6, n_val=3, size=48)
    other = ClusterAnnotations(clusters={'boat': 2}, meta=dict(layer='LargeFOV.features.-2', params=dict(rho=0.7, m=2, M=4, thr=0.2),
                                                               model_sha256='0' * 64, pool_sha256='0' * 64, annotator='human'))
    other.save(tmp_path/'other.json')
    r = run_chapter(NB, 'paper', out=tmp_path/'figs', runs=tmp_path/'runs', progress=False, from_scratch=True, data_dir=str(tmp_path/'voc'),
                    annotations=str(tmp_path/'other.json'), **TINY)
    assert r['status'] == 'FAILED' and 'annotations' in r['error'] and 'another network' in r['error'], r['error']
