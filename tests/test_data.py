"Determinism and caching of the benchmark, its knobs, and the scribble cache."
from pathlib import Path
import numpy as np
import pytest
from wsss_nb import data as D
from wsss_nb.annotations import scene_scribbles

# ---------------------------------------------------------------- the benchmark: determinism and caching
def test_same_params_same_bytes_in_fresh_process(data_env):
    import subprocess, sys
    code = ("from wsss_nb.data import make_scenes; import hashlib; s = make_scenes(40, seed=3, object_scale=1.2);"
            "print(hashlib.sha1(s.images.tobytes() + s.masks.tobytes() + s.mark_masks.tobytes()).hexdigest())")
    outs = [subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300).stdout.strip() for _ in range(2)]
    assert outs[0] and outs[0] == outs[1]

def test_cache_regenerates_on_change_and_survives_corruption(data_env):
    a = D.benchmark('train', n=30, seed=0)
    files = sorted((data_env/'scenes').glob('*.npz')); assert len(files) == 1
    b = D.benchmark('train', n=30, seed=0, context_strength=1.5)
    assert len(list((data_env/'scenes').glob('*.npz'))) == 2 and not np.array_equal(a.images, b.images)
    assert not np.array_equal(D.benchmark('train', n=30, seed=1).images, a.images)
    files[0].write_bytes(b'half a file')                 # a corrupt cache file is regenerated, with a warning
    with pytest.warns(UserWarning, match='unreadable'): c = D.benchmark('train', n=30, seed=0)
    assert np.array_equal(c.images, a.images) and c.objects == a.objects
    assert D.load_scenes(files[0]).images.shape == (30, 64, 64, 3)
    assert not [p for p in (data_env/'scenes').iterdir() if p.suffix == '.tmp']

def test_interrupted_write_leaves_no_cache(data_env, monkeypatch):
    def boom(*a, **k): raise KeyboardInterrupt
    monkeypatch.setattr(np, 'savez', boom)
    with pytest.raises(KeyboardInterrupt): D.benchmark('val', n=5)
    assert not list((data_env/'scenes').iterdir())

def test_knobs_switch_properties_off():
    s = D.make_scenes(200, seed=0, marks=False, context=False, subtypes=False)
    assert not s.mark_masks.any() and not s.context_masks.any()
    assert {o['subtype'] for objs in s.objects for o in objs} == {0}
    s = D.make_scenes(200, seed=0, occlusion=False, ignore_width=0)
    assert 255 not in s.masks
    assert all(o['area'] == o['full_area'] for objs in s.objects for o in objs)
    big, small = D.make_scenes(200, seed=0, object_scale=1.3), D.make_scenes(200, seed=0, object_scale=0.7)
    assert (big.masks > 0).mean() > 1.5*(small.masks > 0).mean()

def test_scribbles_cached_beside_benchmark(data_env):
    s = D.benchmark('val', n=12)
    sc = scene_scribbles(s, 0.5)
    f = list((data_env/'scenes').glob('*.scribbles_0.5_None.npz'))
    assert len(f) == 1 and np.array_equal(np.load(f[0])['scribbles'], sc)
    s2 = D.benchmark('val', n=12)                                 # a fresh object reads the file
    assert np.array_equal(scene_scribbles(s2, 0.5), sc)
    assert ((sc == s.masks) | (sc == 255)).all()                  # scribbles carry the true labels
    assert 'cache_file' not in s[:3].params                       # a subset never reads the full-size file
    assert scene_scribbles(s[:3], 0.5).shape == (3, 64, 64)

# ---------------------------------------------------------------- reliability: caches check what they hold
def test_scenes_cache_of_other_params_under_key_is_regenerated(data_env):
    "A valid .npz of other scenes saved under a key is detected by its stored params"
    a = D.benchmark('val', n=12, seed=0); b = D.benchmark('val', n=12, seed=5)
    import shutil; shutil.copy(b.params['cache_file'], a.params['cache_file'])
    with pytest.warns(UserWarning, match=r'holds scenes of other parameters \(seed differ\); regenerating'):
        c = D.benchmark('val', n=12, seed=0)
    assert np.array_equal(c.images, a.images) and c.objects == a.objects

def test_scenes_cache_corrupted_in_place_is_regenerated(data_env):
    "Bytes of the arrays changed, the file still a valid .npz: the stored SHA-256 catches it"
    a = D.benchmark('val', n=12)
    f = a.params['cache_file']
    z = dict(np.load(f)); z['images'] = z['images'].copy(); z['images'][3, 10, 10] ^= 0xFF
    np.savez(f, **z)
    with pytest.raises(ValueError, match='is corrupted'): D.load_scenes(f)
    with pytest.warns(UserWarning, match='corrupted.*regenerating'): c = D.benchmark('val', n=12)
    assert np.array_equal(c.images, a.images)
    assert np.array_equal(D.load_scenes(f).images, a.images)                    # the file was rewritten

def test_scribble_cache_corrupted_in_place_is_regenerated(data_env):
    s = D.benchmark('val', n=10); sc = scene_scribbles(s, 0.3)
    f = next((data_env/'scenes').glob('*.scribbles_0.3_None.npz'))
    raw = bytearray(f.read_bytes()); k = len(raw)//2; raw[k:k+64] = bytes(64)   # zeros over the middle of the file
    f.write_bytes(bytes(raw))
    with pytest.warns(UserWarning, match=f'scene_scribbles: cache file {f} is (unreadable|corrupted)'):
        sc2 = scene_scribbles(D.benchmark('val', n=10), 0.3)
    assert np.array_equal(sc2, sc)
    assert np.array_equal(scene_scribbles(D.benchmark('val', n=10), 0.3), sc)   # rewritten: read back without a warning

def test_scribble_cache_of_other_scenes_is_regenerated(data_env):
    s = D.benchmark('val', n=10); sc = scene_scribbles(s, 1.0)
    o = D.benchmark('val', n=10, seed=1); scene_scribbles(o, 1.0)
    f = lambda x: Path(x.params['cache_file']).with_suffix('.scribbles_1.0_None.npz')
    import shutil; shutil.copy(f(o), f(s))
    with pytest.warns(UserWarning, match='holds other scribbles \\(masks_sha256 differ\\)'):
        assert np.array_equal(scene_scribbles(D.benchmark('val', n=10), 1.0), sc)

# ---------------------------------------------------------------- reliability: degenerate inputs get clear errors
@pytest.mark.parametrize('kw, msg', [
    (dict(seed=1.7), 'seed: expected a non-negative integer'), (dict(seed=-2), 'seed'), (dict(seed=(0, 'a')), 'seed'),
    (dict(object_scale=0), r'object_scale: expected a number in \(0, 3\], got 0'), (dict(object_scale=-0.5), 'object_scale'),
    (dict(object_scale='big'), 'object_scale'), (dict(mark_size=0), 'mark_size'), (dict(mark_size=40), 'mark_size: expected at most'),
    (dict(n_marks=-1), 'n_marks'), (dict(marks=1), 'marks: expected True or False'), (dict(context_prob=1.5), 'context_prob'),
    (dict(context_alone=-0.1), 'context_alone'), (dict(context_strength=0), 'context_strength'), (dict(cooccur=0.95), 'cooccur'),
    (dict(low_contrast=2), 'low_contrast'), (dict(max_objects=0), 'max_objects'), (dict(max_objects=2.5), 'max_objects'),
    (dict(ignore_width=-1), 'ignore_width'), (dict(jitter=float('inf')), 'jitter'), (dict(structure_seed=1.5), 'structure_seed'),
    (dict(distractor_marks=3), 'distractor_marks'), (dict(n=-1), 'n: expected'), (dict(n=2.0), 'n: expected'),
    (dict(size=8), 'size: expected an integer >= 16'), (dict(size=64.0), 'size'), (dict(n_classes=0), 'n_classes'),
    (dict(n_classes=25), 'n_classes')])
def test_make_scenes_degenerate_inputs(kw, msg):
    kw = {'n': 2, **kw}
    with pytest.raises(ValueError, match=msg): D.make_scenes(**kw)

def test_scribbles_labels_out_of_range():
    from wsss_nb.annotations import scribbles
    m = np.zeros((12, 12), np.int64); m[3:9, 3:9] = 300
    with pytest.raises(ValueError, match=r'labels must be 0..254 or the ignore index 255, got \[300\]'): scribbles(m)
    with pytest.raises(ValueError, match=r'got \[-1\]'): scribbles(m.clip(max=5) - 1)
    assert set(np.unique(scribbles(m.clip(max=254)))) == {0, 254, 255}

# ---------------------------------------------------------------- the chapter's paper path on a tiny tree in the real formats
def test_data_chapter_paper_path(tmp_path, data_env):
    "The data chapter with preset paper reads VOC + SBD, ScribbleSup, CIFAR-10 and CelebA from a fixture tree (CPU, tiny sizes)"
    import json
    from fixtures import write_voc_tree, write_scribblesup, write_cifar10, write_celeba
    from wsss_nb.reproduce import run_chapter
    root = tmp_path/'real'
    voc = write_voc_tree(root, n_train=6, n_val=4, size=64)
    write_scribblesup(root, voc); write_cifar10(root); write_celeba(root, n=6)
    nb = Path(__file__).resolve().parent.parent/'nbs'/'01_data.ipynb'
    r = run_chapter(nb, 'paper', out=tmp_path/'figs', runs=tmp_path/'runs', progress=False,
                    data_dir=str(root), n_train=40, n_eval=20, timing_n=20)
    assert r['status'] == 'ok', r['error']
    out = tmp_path/'figs'/'data'
    found = {row['data_set']: row['items'] for row in json.loads((out/'real_data.json').read_text())['rows']}
    assert found == {'VOC train': 6, 'VOC val': 4, 'VOC trainaug': 9, 'ScribbleSup': 13, 'CIFAR-10 train': 15, 'CelebA': 6}
    vs = json.loads((out/'benchmark_vs_voc.json').read_text())['rows']
    assert [q['quantity'] for q in vs] == ['foreground', 'ignore', 'classes_per_image', 'multi_class'] and 0 < vs[0]['voc_val'] < 1
    assert json.loads((out/'RUN.json').read_text())['status'] == 'complete' and (out/'README.md').is_file()
