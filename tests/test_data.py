"Real-data readers on tiny fixtures written in the real on-disk formats; determinism and caching of the benchmark."
import os, pickle, warnings
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from wsss_nb import data as D

# ---------------------------------------------------------------- fixtures in the real formats
def _palette():
    "The VOC colour map (bit-interleaved), as 768 ints for PIL"
    pal = []
    for i in range(256):
        r = g = b = 0; c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j); g |= ((c >> 1) & 1) << (7 - j); b |= ((c >> 2) & 1) << (7 - j); c >>= 3
        pal += [r, g, b]
    return pal

def _save_palette_png(a, path):
    im = Image.fromarray(a.astype(np.uint8), mode='P'); im.putpalette(_palette()); im.save(path)

def _jpg(path, h, w, seed):
    a = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    Image.fromarray(a).save(path, quality=95)
    return a

@pytest.fixture
def voc(tmp_path):
    "VOCdevkit/VOC2012 with 3 segmentation images, palette masks, split lists, SBD aug masks and train_aug.txt"
    r = tmp_path/'VOCdevkit'/'VOC2012'
    for d in ('JPEGImages', 'SegmentationClass', 'SegmentationClassAug', 'ImageSets/Segmentation'): (r/d).mkdir(parents=True)
    ids = ['2007_000032', '2007_000039', '2008_000123', '2011_003276']
    masks = {}
    for k, i in enumerate(ids):
        _jpg(r/'JPEGImages'/f'{i}.jpg', 40, 50, k)
        m = np.zeros((40, 50), np.uint8); m[5:20, 5:25] = k + 1; m[4, 4:26] = 255; m[25:35, 30:45] = 15
        masks[i] = m
        _save_palette_png(m, r/'SegmentationClassAug'/f'{i}.png')
        if k < 3: _save_palette_png(m, r/'SegmentationClass'/f'{i}.png')
    (r/'ImageSets/Segmentation/train.txt').write_text('2007_000032\n2007_000039\n')
    (r/'ImageSets/Segmentation/val.txt').write_text('2008_000123\n')
    # the SBD list as shipped with DeepLab: "/JPEGImages/x.jpg /SegmentationClassAug/x.png"
    (r/'ImageSets/Segmentation/train_aug.txt').write_text(''.join(f'/JPEGImages/{i}.jpg /SegmentationClassAug/{i}.png\n' for i in ids[:2] + ids[3:]))
    return tmp_path, masks

def test_voc_items_and_masks(voc):
    root, masks = voc
    tr = D.voc_items(root, 'train')
    assert [p.stem for p, _ in tr] == ['2007_000032', '2007_000039']
    assert tr[0][1].parent.name == 'SegmentationClass'
    m = D.read_mask(tr[1][1])                      # palette indices, not colours
    assert np.array_equal(m, masks['2007_000039']) and m[4, 10] == 255
    aug = D.voc_items(root/'VOCdevkit', 'trainaug')
    assert [p.stem for p, _ in aug] == ['2007_000032', '2007_000039', '2011_003276'] and aug[0][1].parent.name == 'SegmentationClassAug'
    assert len(D.voc_items(root/'VOCdevkit'/'VOC2012', 'val')) == 1
    s = D.voc_scenes(root, 'train', size=32)
    assert s.images.shape == (2, 32, 32, 3) and s.masks.shape == (2, 32, 32)
    assert list(np.nonzero(s.labels[1])[0]) == [1, 14] and s.class_names[14] == 'person'
    dls = D.scene_dls(s, s, 'mask', bs=2, device='cpu')
    xb, yb = dls.train.one_batch()
    assert xb.shape == (2, 3, 32, 32) and set(np.unique(yb.numpy())) <= {0, 1, 2, 15, 255}

def test_voc_errors(voc, tmp_path):
    root, _ = voc
    with pytest.raises(FileNotFoundError, match='JPEGImages'): D.voc_items(tmp_path/'VOCdevkit'/'VOC2012'/'ImageSets', 'train')
    with pytest.raises(FileNotFoundError, match=str(tmp_path/'nope')): D.voc_items(tmp_path/'nope', 'train')
    with pytest.raises(ValueError, match="'trainaug'"): D.voc_items(root, 'test')
    (root/'VOCdevkit/VOC2012/ImageSets/Segmentation/val.txt').write_text('a b c\n')
    with pytest.raises(ValueError, match='val.txt'): D.voc_items(root, 'val')
    # a listed image that does not exist: skipped with a counted warning
    (root/'VOCdevkit/VOC2012/ImageSets/Segmentation/val.txt').write_text('2008_000123\n2099_999999\n')
    with pytest.warns(UserWarning, match='skipped 1 of 2'): assert len(D.voc_items(root, 'val')) == 1
    # an RGB (colour-coded) mask is refused with a clear message
    p = root/'VOCdevkit/VOC2012/SegmentationClass/2008_000123.png'
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(p)
    with pytest.raises(ValueError, match='palette or grayscale'): D.read_mask(p)

def test_voc_unreadable_image_is_skipped(voc):
    root, _ = voc
    (root/'VOCdevkit/VOC2012/JPEGImages/2007_000039.jpg').write_bytes(b'garbage, not a jpeg')
    with pytest.warns(UserWarning, match='skipped 1 of 2 unreadable'):
        s = D.voc_scenes(root, 'train', size=16)
    assert len(s) == 1 and s.labels[0, 0]

def test_scribblesup(voc, tmp_path):
    root, masks = voc
    d = tmp_path/'scribbles'/'pascal_2012_scribble'; d.mkdir(parents=True)
    for i in ('2007_000032', '2011_003276', '2012_000001'):
        sc = D.scribbles(masks.get(i, masks['2007_000032']), 1.0)
        _save_palette_png(sc, d/f'{i}.png')
    items = D.scribblesup_items(tmp_path/'scribbles')
    assert [p.stem for _, p in items] == ['2007_000032', '2011_003276', '2012_000001'] and items[0][0] is None
    sc = D.read_mask(items[0][1])
    assert set(np.unique(sc)) == {0, 1, 15, 255}
    with pytest.warns(UserWarning, match='skipped 1 scribbles'):
        paired = D.scribblesup_items(tmp_path/'scribbles', voc=root)
    assert [i.name for i, _ in paired] == ['2007_000032.jpg', '2011_003276.jpg']
    empty = tmp_path/'empty'; empty.mkdir()
    with pytest.raises(FileNotFoundError, match='no .png scribbles'): D.scribblesup_items(empty)

@pytest.fixture
def cifar(tmp_path):
    r = tmp_path/'cifar-10-batches-py'; r.mkdir()
    rng = np.random.default_rng(0); batches = {}
    for n in [f'data_batch_{i}' for i in range(1, 6)] + ['test_batch']:
        x = rng.integers(0, 256, (3, 3072), dtype=np.uint8); y = list(rng.integers(0, 10, 3))
        with open(r/n, 'wb') as f: pickle.dump({b'batch_label': n.encode(), b'data': x, b'labels': y, b'filenames': [b'a', b'b', b'c']}, f)
        batches[n] = (x, y)
    names = [b'airplane', b'automobile', b'bird', b'cat', b'deer', b'dog', b'frog', b'horse', b'ship', b'truck']
    with open(r/'batches.meta', 'wb') as f: pickle.dump({b'label_names': names, b'num_vis': 3072}, f)
    return tmp_path, batches

def test_cifar10(cifar):
    root, b = cifar
    x, y, cls = D.cifar10(root, 'train')
    assert x.shape == (15, 32, 32, 3) and x.dtype == np.uint8 and y.tolist()[:3] == b['data_batch_1'][1]
    r, g, bl = b['data_batch_2'][0][0].reshape(3, 32, 32)       # channel planes, row-major
    assert np.array_equal(x[3, ..., 0], r) and np.array_equal(x[3, ..., 2], bl) and cls[1] == 'automobile'
    xt, yt, _ = D.cifar10(root/'cifar-10-batches-py', 'test')
    assert xt.shape == (3, 32, 32, 3)
    (root/'cifar-10-batches-py'/'data_batch_4').unlink()
    with pytest.raises(FileNotFoundError, match='data_batch_4'): D.cifar10(root, 'train')
    with open(root/'cifar-10-batches-py'/'test_batch', 'wb') as f: pickle.dump({b'data': np.zeros((2, 100), np.uint8), b'labels': [0, 1]}, f)
    with pytest.raises(ValueError, match='test_batch is not a CIFAR-10'): D.cifar10(root, 'test')

@pytest.fixture
def celeba(tmp_path):
    d = tmp_path/'img_align_celeba'; d.mkdir()
    imgs = [_jpg(d/f'{i:06d}.jpg', 218, 178, i) for i in range(1, 21)]
    return tmp_path, imgs

def test_celeba_crop_and_split(celeba):
    root, imgs = celeba
    tr, te = D.celeba_items(root, 'train'), D.celeba_items(root, 'test')
    assert len(tr) == 19 and len(te) == 1 and not set(tr) & set(te)
    full = D.celeba(root, size=None, split='all')
    assert full.shape == (20, 128, 128, 3)                     # 218-50-40 x 178-25-25
    # the crop keeps rows 50..177 and columns 25..152 (JPEG is lossy: compare with a tolerance)
    assert np.abs(full[0].astype(int) - imgs[0][50:178, 25:153]).mean() < np.abs(full[0].astype(int) - imgs[0][:128, :128]).mean()
    assert D.celeba(root, size=32, split='train', n=5).shape == (5, 32, 32, 3)

def test_celeba_garbled(celeba, tmp_path):
    root, _ = celeba
    (root/'img_align_celeba'/'000003.jpg').write_bytes(b'\xff\xd8 truncated')
    with pytest.warns(UserWarning, match='skipped 1 of 20 unreadable CelebA'):
        assert len(D.celeba(root, size=16, split='all')) == 19
    with pytest.raises(FileNotFoundError, match='img_align_celeba'): D.celeba(tmp_path/'missing')
    e = tmp_path/'e'; e.mkdir()
    with pytest.raises(FileNotFoundError, match='no .jpg'): D.celeba(e)

def test_image_folder(tmp_path):
    for c, k in (('n01440764', 2), ('n01443537', 3)):
        (tmp_path/'train'/c).mkdir(parents=True)
        for j in range(k): _jpg(tmp_path/'train'/c/f'{c}_{j}.JPEG', 20, 30, j)
    (tmp_path/'train'/'n01443537'/'readme.txt').write_text('not an image')
    (tmp_path/'train'/'n01443537'/'broken.jpg').write_bytes(b'broken')
    items, classes = D.image_folder(tmp_path/'train')
    assert classes == ['n01440764', 'n01443537'] and len(items) == 6 and [k for _, k in items].count(1) == 4
    with pytest.warns(UserWarning, match='skipped 1 of 6'):
        x, keep = D.load_images([p for p, _ in items], size=16)
    assert x.shape == (5, 16, 16, 3) and len(keep) == 5
    with pytest.raises(FileNotFoundError, match='no images'): D.image_folder(tmp_path/'train'/'n01440764')
    with pytest.raises(FileNotFoundError, match='not a directory'): D.image_folder(tmp_path/'nothing')

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
    sc = D.scene_scribbles(s, 0.5)
    f = list((data_env/'scenes').glob('*.scribbles_0.5_None.npy'))
    assert len(f) == 1 and np.array_equal(np.load(f[0]), sc)
    s2 = D.benchmark('val', n=12)                                 # a fresh object reads the file
    assert np.array_equal(D.scene_scribbles(s2, 0.5), sc)
    assert ((sc == s.masks) | (sc == 255)).all()                  # scribbles carry the true labels
    assert 'cache_file' not in s[:3].params                       # a subset never reads the full-size file
    assert D.scene_scribbles(s[:3], 0.5).shape == (3, 64, 64)
