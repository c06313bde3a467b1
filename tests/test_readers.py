"Real-data readers on tiny trees written in the real on-disk formats (tests/fixtures.py)."
import pickle
import numpy as np
import pytest
from PIL import Image
from wsss_nb import readers as R
from wsss_nb.loaders import scene_dls
from fixtures import (write_voc_tree, write_scribblesup, write_cifar10, write_celeba, write_image_folder, save_palette_png,
                      CIFAR10_CLASSES)

BENCH_ON_VOC = {0, 255} | {R.VOC_CLASSES.index(n) for n in ('person', 'boat', 'train', 'dog', 'cat', 'car', 'bus', 'horse')}

@pytest.fixture
def voc(tmp_path):
    return write_voc_tree(tmp_path, n_train=6, n_val=4, size=64, seed=0)

def test_voc_items_and_masks(voc, tmp_path):
    tr = R.voc_items(tmp_path, 'train')
    assert [p.stem for p, _ in tr] == (voc/'ImageSets/Segmentation/train.txt').read_text().split()
    assert len(tr) == 6 and tr[0][1].parent.name == 'SegmentationClass'
    m = R.read_mask(tr[1][1])                                     # palette indices, not colours
    assert set(np.unique(m)) <= BENCH_ON_VOC and 255 in m and len(set(np.unique(m)) - {0, 255}) >= 1
    assert np.array_equal(m, R.read_mask(voc/'SegmentationClassAug'/tr[1][1].name))   # palette PNG == grayscale PNG
    aug = R.voc_items(tmp_path/'VOCdevkit', 'trainaug')          # DeepLab's list: train + SBD-only, no val
    val = R.voc_items(voc, 'val')
    assert len(aug) == 9 and aug[0][1].parent.name == 'SegmentationClassAug' and len(val) == 4
    assert not {p.stem for p, _ in aug} & {p.stem for p, _ in val}
    assert len(R.voc_items(voc, 'trainval')) == 10
    s = R.voc_scenes(tmp_path, 'train', size=32)
    assert s.images.shape == (6, 32, 32, 3) and s.masks.shape == (6, 32, 32) and s.class_names[14] == 'person'
    for k in range(6): assert set(np.nonzero(s.labels[k])[0] + 1) == set(np.unique(s.masks[k])) - {0, 255}
    xb, yb = scene_dls(s, s, 'mask', bs=2, device='cpu').train.one_batch()
    assert xb.shape == (2, 3, 32, 32) and set(np.unique(yb.numpy())) <= BENCH_ON_VOC

def test_voc_errors(voc, tmp_path):
    with pytest.raises(FileNotFoundError, match='JPEGImages'): R.voc_items(voc/'ImageSets', 'train')
    with pytest.raises(FileNotFoundError, match=str(tmp_path/'nope')): R.voc_items(tmp_path/'nope', 'train')
    with pytest.raises(ValueError, match="'trainaug'"): R.voc_items(voc, 'test')
    (voc/'ImageSets/Segmentation/val.txt').write_text('a b c\n')
    with pytest.raises(ValueError, match='val.txt'): R.voc_items(voc, 'val')
    # a listed image that does not exist: skipped with a counted warning
    first = (voc/'ImageSets/Segmentation/train.txt').read_text().split()[0]
    (voc/'ImageSets/Segmentation/val.txt').write_text(f'{first}\n2099_999999\n')
    with pytest.warns(UserWarning, match='skipped 1 of 2'): assert len(R.voc_items(voc, 'val')) == 1
    # an RGB (colour-coded) mask is refused with a clear message
    p = voc/'SegmentationClass'/f'{first}.png'
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(p)
    with pytest.raises(ValueError, match='palette or grayscale'): R.read_mask(p)

def test_voc_unreadable_image_is_skipped(voc, tmp_path):
    ids = (voc/'ImageSets/Segmentation/train.txt').read_text().split()
    (voc/'JPEGImages'/f'{ids[1]}.jpg').write_bytes(b'garbage, not a jpeg')
    with pytest.warns(UserWarning, match='skipped 1 of 6 unreadable'):
        s = R.voc_scenes(tmp_path, 'train', size=16)
    assert len(s) == 5

def test_scribblesup(voc, tmp_path):
    root = write_scribblesup(tmp_path/'scribbles', voc, length=1.0)
    items = R.scribblesup_items(root)
    assert len(items) == 13 and items[0][0] is None                       # one per SBD-aug mask
    sc = R.read_mask(items[0][1])
    m = R.read_mask(voc/'SegmentationClassAug'/items[0][1].name)
    assert 255 in sc and ((sc == m) | (sc == 255)).all() and (sc != 255).sum() > 10
    extra = root/'pascal_2012_scribble'/'2012_999999.png'; save_palette_png(sc, extra)
    with pytest.warns(UserWarning, match='skipped 1 scribbles'):
        paired = R.scribblesup_items(root, voc=tmp_path)
    assert len(paired) == 13 and all(i.is_file() and i.stem == p.stem for i, p in paired)
    empty = tmp_path/'empty'; empty.mkdir()
    with pytest.raises(FileNotFoundError, match='no .png scribbles'): R.scribblesup_items(empty)

def test_cifar10(tmp_path):
    d = write_cifar10(tmp_path, n_per_batch=3)
    x, y, cls = R.cifar10(tmp_path, 'train')
    with open(d/'data_batch_2', 'rb') as f: b2 = pickle.load(f, encoding='bytes')
    assert x.shape == (15, 32, 32, 3) and x.dtype == np.uint8 and y[3:6].tolist() == b2[b'labels']
    r, g, bl = b2[b'data'][0].reshape(3, 32, 32)                  # channel planes, row-major
    assert np.array_equal(x[3, ..., 0], r) and np.array_equal(x[3, ..., 2], bl) and tuple(cls) == CIFAR10_CLASSES
    xt, yt, _ = R.cifar10(d, 'test')
    assert xt.shape == (3, 32, 32, 3)
    (d/'data_batch_4').unlink()
    with pytest.raises(FileNotFoundError, match='data_batch_4'): R.cifar10(tmp_path, 'train')
    with open(d/'test_batch', 'wb') as f: pickle.dump({b'data': np.zeros((2, 100), np.uint8), b'labels': [0, 1]}, f)
    with pytest.raises(ValueError, match='test_batch is not a CIFAR-10'): R.cifar10(tmp_path, 'test')

def test_celeba_crop_and_split(tmp_path):
    root = write_celeba(tmp_path, n=20)
    tr, te = R.celeba_items(root, 'train'), R.celeba_items(root, 'test')
    assert len(tr) == 19 and len(te) == 1 and not set(tr) & set(te)
    full = R.celeba(root, size=None, split='all')
    assert full.shape == (20, 128, 128, 3)                         # 218-50-40 x 178-25-25
    raw = np.asarray(Image.open(root/'img_align_celeba'/'000001.jpg')).astype(int)
    assert np.array_equal(full[0], raw[50:178, 25:153])            # the crop keeps rows 50..177, columns 25..152
    assert R.celeba(root, size=32, split='train', n=5).shape == (5, 32, 32, 3)

def test_celeba_garbled(tmp_path):
    root = write_celeba(tmp_path/'c', n=20)
    (root/'img_align_celeba'/'000003.jpg').write_bytes(b'\xff\xd8 truncated')
    with pytest.warns(UserWarning, match='skipped 1 of 20 unreadable CelebA'):
        assert len(R.celeba(root, size=16, split='all')) == 19
    with pytest.raises(FileNotFoundError, match='img_align_celeba'): R.celeba(tmp_path/'missing')
    e = tmp_path/'e'; e.mkdir()
    with pytest.raises(FileNotFoundError, match='no .jpg'): R.celeba(e)

def test_image_folder(tmp_path):
    root = write_image_folder(tmp_path/'train')
    (root/'n01443537'/'readme.txt').write_text('not an image')
    (root/'n01443537'/'broken.jpg').write_bytes(b'broken')
    items, classes = R.image_folder(root)
    assert classes == ['n01440764', 'n01443537'] and len(items) == 6 and [k for _, k in items].count(1) == 4
    with pytest.warns(UserWarning, match='skipped 1 of 6'):
        x, keep = R.load_images([p for p, _ in items], size=16)
    assert x.shape == (5, 16, 16, 3) and len(keep) == 5
    with pytest.raises(FileNotFoundError, match='no images'): R.image_folder(root/'n01440764')
    with pytest.raises(FileNotFoundError, match='not a directory'): R.image_folder(tmp_path/'nothing')
