"Determinism and caching of the benchmark, its knobs, and the scribble cache."
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
    f = list((data_env/'scenes').glob('*.scribbles_0.5_None.npy'))
    assert len(f) == 1 and np.array_equal(np.load(f[0]), sc)
    s2 = D.benchmark('val', n=12)                                 # a fresh object reads the file
    assert np.array_equal(scene_scribbles(s2, 0.5), sc)
    assert ((sc == s.masks) | (sc == 255)).all()                  # scribbles carry the true labels
    assert 'cache_file' not in s[:3].params                       # a subset never reads the full-size file
    assert scene_scribbles(s[:3], 0.5).shape == (3, 64, 64)
