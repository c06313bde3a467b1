"The cluster annotator: state through the widget (.value, .click()), JSON round trip, refusal of other models/pools, atomic save."
import json, os
from pathlib import Path
import numpy as np
import pytest
import torch
from wsss_nb.annotator import ClusterAnnotations, annotator, demo_galleries, fingerprint

META = dict(layer='conv5', params=dict(rho=0.7, m=2, M=4, thr=0.2), model_sha256=fingerprint(torch.nn.Linear(4, 2)),
            pool_sha256=fingerprint(np.ones((5, 3), np.float32)), annotator='human')

@pytest.fixture
def widget(tmp_path):
    gal = demo_galleries((('boat', 3), ('train', 2), ('dog', 2)), n=3, size=16)
    st = ClusterAnnotations({c: len(g) for c, g in gal.items()}, meta=META)
    return annotator(st, gal, tmp_path/'ann.json'), st, tmp_path/'ann.json'

def test_widget_toggles_undo_and_save(widget):
    w, st, path = widget
    assert set(w.toggles) == {('boat', 0), ('boat', 1), ('boat', 2), ('train', 0), ('train', 1), ('dog', 0), ('dog', 1)}
    assert 'wsss-annotator' in w._dom_classes and 'wsss-save' in w.save_button._dom_classes
    assert all('wsss-toggle' in t._dom_classes for t in w.toggles.values())
    w.toggles['boat', 2].value = 'distractor'                     # one click annotates a class
    w.toggles['train', 1].value = 'distractor'
    w.toggles['train', 0].value = 'distractor'
    assert (st.distractors('boat'), st.distractors('train'), st.distractors('dog')) == ([2], [0, 1], [])
    w.undo_button.click()                                         # the last change (train 0) only
    assert st.distractors('train') == [1] and w.toggles['train', 0].value == 'object'
    assert w.cards['train', 0].layout.border != w.cards['train', 1].layout.border
    assert not path.exists()
    w.save_button.click()                                         # mid-session save
    assert 'saved' in w.status.value
    doc = json.loads(path.read_text())
    assert doc['classes']['boat']['labels'] == ['object', 'object', 'distractor']
    assert doc['classes']['train']['distractors'] == [1] and doc['classes']['dog']['cluster_ids'] == [0, 1]
    assert doc['meta'] == json.loads(json.dumps(META))
    w.undo_button.click(); w.undo_button.click(); w.undo_button.click()   # back to the start, then nothing left
    assert st.distractors('boat') == [] and w.toggles['boat', 2].value == 'object' and w.status.value == 'nothing to undo'
    w.save_button.click()
    assert ClusterAnnotations.load(path).distractors('boat') == []

def test_round_trip_keeps_labels_and_meta(tmp_path):
    st = ClusterAnnotations({'boat': 4, 'a b/c': 1}, meta=META)
    st.set('boat', 3, 'distractor'); st.set('a b/c', 0, 'distractor'); st.toggle('boat', 0)
    ld = ClusterAnnotations.load(st.save(tmp_path/'x.json'), expect=META)
    assert ld.labels == st.labels and ld.meta == json.loads(json.dumps(META)) and ld.clusters == st.clusters
    assert ld.history == [] and ld.undo() is None

@pytest.mark.parametrize('field,other', [('model_sha256', fingerprint(torch.nn.Linear(4, 3))),
                                         ('pool_sha256', fingerprint(np.zeros((5, 3), np.float32))),
                                         ('layer', 'conv4'), ('params', dict(rho=0.7, m=2, M=5, thr=0.2))])
def test_mismatched_model_pool_layer_params_refused_naming_the_field(tmp_path, field, other):
    p = ClusterAnnotations({'boat': 2}, meta=META).save(tmp_path/'x.json')
    with pytest.raises(ValueError, match=f'made for {field}=.*this run has {field}=') as e:
        ClusterAnnotations.load(p, expect={**META, field: other})
    assert repr(META[field])[:20] in str(e.value) and repr(other)[:20] in str(e.value)   # both values named

def test_missing_and_malformed_files_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.json'): ClusterAnnotations.load(tmp_path/'nope.json')
    for text in ['', '[1, 2]', '{"format": "wsss_nb.cluster_annotations/1", "classes": {"boat": {"labels": ["object"]}}}',
                 '{"format": "wsss_nb.cluster_annotations/1", "classes": {"boat": {"cluster_ids": [0], "labels": ["water"]}}}']:
        (tmp_path/'bad.json').write_text(text)
        with pytest.raises(ValueError, match='bad.json'): ClusterAnnotations.load(tmp_path/'bad.json')

def test_failing_save_keeps_previous_file(tmp_path, monkeypatch):
    st = ClusterAnnotations({'boat': 2}, meta=META); p = st.save(tmp_path/'x.json')
    before = p.read_bytes()
    st.set('boat', 1, 'distractor')
    st.meta['oops'] = object()                                    # cannot be written as JSON
    with pytest.raises(TypeError): st.save(p)
    assert p.read_bytes() == before
    del st.meta['oops']
    import wsss_nb.core as C                                      # a failure after the temp file was written
    monkeypatch.setattr(C.os, 'replace', lambda *a: (_ for _ in ()).throw(OSError('rename failed')))
    with pytest.raises(OSError, match='rename failed'): st.save(p)
    assert p.read_bytes() == before and [q.name for q in tmp_path.iterdir()] == ['x.json']   # no temp file left
    monkeypatch.undo()
    assert ClusterAnnotations.load(st.save(p)).distractors('boat') == [1]

def test_widget_save_error_shows_in_status_and_keeps_file(widget, monkeypatch):
    w, st, path = widget
    w.save_button.click(); before = path.read_bytes()
    w.toggles['dog', 0].value = 'distractor'
    import wsss_nb.core as C
    monkeypatch.setattr(C.os, 'replace', lambda *a: (_ for _ in ()).throw(OSError('read-only')))
    w.save_button.click()
    assert 'not saved' in w.status.value and 'read-only' in w.status.value and path.read_bytes() == before

def test_autosave_writes_after_each_change(tmp_path):
    gal = demo_galleries((('boat', 2),), n=2, size=8)
    st = ClusterAnnotations({'boat': 2})
    w = annotator(st, gal, tmp_path/'a.json', autosave=True)
    w.toggles['boat', 1].value = 'distractor'
    assert ClusterAnnotations.load(tmp_path/'a.json').distractors('boat') == [1]
    w.undo_button.click()
    assert ClusterAnnotations.load(tmp_path/'a.json').distractors('boat') == []

def test_galleries_must_match_the_state(tmp_path):
    gal = demo_galleries((('boat', 2),), n=2, size=8)
    with pytest.raises(ValueError, match=r"galleries\['boat'\]: expected 3 clusters"): annotator(ClusterAnnotations({'boat': 3}), gal, tmp_path/'a')
    with pytest.raises(ValueError, match='one entry per class'): annotator(ClusterAnnotations({'cat': 2}), gal, tmp_path/'a')

def test_fingerprint_sees_every_weight_and_pattern():
    m = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Conv2d(4, 2, 1))
    h = fingerprint(m)
    with torch.no_grad(): m[2].bias[1] += 1e-7
    assert fingerprint(m) != h
    pool = np.random.default_rng(0).random((100, 8)).astype(np.float32)
    assert fingerprint(pool) == fingerprint(pool.copy()) == fingerprint(torch.from_numpy(pool))
    assert fingerprint(pool) != fingerprint(pool[:99]) and fingerprint(pool) != fingerprint(pool[::-1])
    assert fingerprint(pool[:, ::2]) == fingerprint(np.ascontiguousarray(pool[:, ::2]))   # views hash by value
