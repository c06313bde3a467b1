"""Writers of tiny data sets in the real on-disk formats, for tests of the readers and of chapters' `paper` paths.

    from fixtures import write_voc_tree          # tests/ is on sys.path under pytest
    voc = write_voc_tree(tmp_path, n_train=6, n_val=4, size=64, seed=0)   # .../VOCdevkit/VOC2012
    items = voc_items(tmp_path, 'trainaug')

Every writer is deterministic in its arguments and returns the path a reader takes.
"""
from __future__ import annotations
import pickle
from pathlib import Path
import numpy as np
from PIL import Image

__all__ = ['voc_palette', 'save_palette_png', 'save_jpg', 'voc_ids', 'write_voc_tree', 'write_scribblesup',
           'write_cifar10', 'CIFAR10_CLASSES', 'write_celeba', 'write_image_folder', 'write_imagenet_dogs']

VOC_NAMES = ('background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
             'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor')

def voc_palette() -> list[int]:
    "The PASCAL VOC colour map (bit-interleaved) as 768 ints for PIL's `putpalette`"
    pal = []
    for i in range(256):
        r = g = b = 0; c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j); g |= ((c >> 1) & 1) << (7 - j); b |= ((c >> 2) & 1) << (7 - j); c >>= 3
        pal += [r, g, b]
    return pal

def save_palette_png(a:np.ndarray, path:str|Path):
    "Write label map `a` (H,W) as an 8-bit palette PNG with the VOC colours (as VOC's SegmentationClass)"
    im = Image.fromarray(np.asarray(a, np.uint8), mode='P'); im.putpalette(voc_palette()); im.save(path)

def save_jpg(a:np.ndarray, path:str|Path, quality:int=95):
    "Write an (H,W,3) uint8 image as JPEG"
    Image.fromarray(np.asarray(a, np.uint8)).save(path, quality=quality)

def voc_ids(n:int, start:int=0) -> list[str]:
    "VOC-style image ids 'YYYY_NNNNNN', sorted as in the real lists"
    return [f'{2007 + (k % 5)}_{k:06d}' for k in range(start, start + n)]

def write_voc_tree(root:str|Path, n_train:int=6, n_val:int=4, size:int=64, seed:int=0) -> Path:
    """PASCAL VOC 2012 + SBD-aug under `root/VOCdevkit/VOC2012` (returned), from benchmark scenes on VOC class ids.

    - `JPEGImages/<id>.jpg` for every image (train, val and `n_train//2` SBD-only images, at least 1);
    - `SegmentationClass/<id>.png`: 8-bit palette PNGs (VOC colours) for train and val, 255 on object borders;
    - `SegmentationClassAug/<id>.png`: 8-bit grayscale PNGs for every image (as the SBD-aug release);
    - `ImageSets/Segmentation/{train,val,trainval}.txt`: one id per line;
    - `ImageSets/SegmentationAug/train_aug.txt`: train + SBD-only ids, val excluded, in DeepLab's format
      `/JPEGImages/<id>.jpg /SegmentationClassAug/<id>.png`.
    The benchmark's classes (person, boat, train, dog, cat, car, bus, horse) keep their names: a benchmark label
    `c` becomes `VOC_CLASSES.index(name)`.
    """
    from wsss_nb.data import make_scenes
    n_sbd = max(1, n_train//2)
    s = make_scenes(n_train + n_val + n_sbd, size=size, seed=(seed, 2012))
    lut = np.arange(256, dtype=np.uint8)
    for c, name in enumerate(s.class_names, 1): lut[c] = VOC_NAMES.index(name)
    r = Path(root)/'VOCdevkit'/'VOC2012'
    for d in ('JPEGImages', 'SegmentationClass', 'SegmentationClassAug', 'ImageSets/Segmentation', 'ImageSets/SegmentationAug'):
        (r/d).mkdir(parents=True, exist_ok=True)
    ids = voc_ids(len(s))
    train, val, sbd = ids[:n_train], ids[n_train:n_train + n_val], ids[n_train + n_val:]
    for k, i in enumerate(ids):
        save_jpg(s.images[k], r/'JPEGImages'/f'{i}.jpg')
        m = lut[s.masks[k]]
        Image.fromarray(m, mode='L').save(r/'SegmentationClassAug'/f'{i}.png')
        if i not in sbd: save_palette_png(m, r/'SegmentationClass'/f'{i}.png')
    for name, lst in (('train', train), ('val', val), ('trainval', sorted(train + val))):
        (r/'ImageSets'/'Segmentation'/f'{name}.txt').write_text(''.join(f'{i}\n' for i in lst))
    (r/'ImageSets'/'SegmentationAug'/'train_aug.txt').write_text(
        ''.join(f'/JPEGImages/{i}.jpg /SegmentationClassAug/{i}.png\n' for i in sorted(train + sbd)))
    return r

def write_scribblesup(root:str|Path, voc:str|Path, length:float=1.0) -> Path:
    "ScribbleSup scribbles as PNGs (class id on scribbles, 255 elsewhere) in `root/pascal_2012_scribble/` for every SBD-aug mask of the VOC tree `voc`; returns `root`"
    from wsss_nb.annotations import scribbles
    d = Path(root)/'pascal_2012_scribble'; d.mkdir(parents=True, exist_ok=True)
    for p in sorted((Path(voc)/'SegmentationClassAug').glob('*.png')):
        save_palette_png(scribbles(np.asarray(Image.open(p)), length), d/p.name)
    return Path(root)

CIFAR10_CLASSES = ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck')

def write_cifar10(root:str|Path, n_per_batch:int=3, seed:int=0) -> Path:
    "CIFAR-10 python batches (`data_batch_1..5`, `test_batch`: pickled dicts with b'data' (n,3072) uint8 planes R,G,B and b'labels'), `batches.meta`; returns `root/cifar-10-batches-py`"
    r = Path(root)/'cifar-10-batches-py'; r.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for n in [f'data_batch_{i}' for i in range(1, 6)] + ['test_batch']:
        x = rng.integers(0, 256, (n_per_batch, 3072), dtype=np.uint8); y = [int(v) for v in rng.integers(0, 10, n_per_batch)]
        with open(r/n, 'wb') as f:
            pickle.dump({b'batch_label': n.encode(), b'data': x, b'labels': y, b'filenames': [f'{n}_{k}.png'.encode() for k in range(n_per_batch)]}, f)
    with open(r/'batches.meta', 'wb') as f: pickle.dump({b'label_names': [c.encode() for c in CIFAR10_CLASSES], b'num_vis': 3072}, f)
    return r

def write_celeba(root:str|Path, n:int=20, seed:int=0) -> Path:
    "Aligned CelebA: `root/img_align_celeba/000001.jpg ...` of 218x178 px (smooth random images); returns `root`"
    d = Path(root)/'img_align_celeba'; d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:218, :178]
    for i in range(1, n + 1):
        a = rng.uniform(0, 255, 3)[None, None] + 60*np.sin(yy[..., None]/rng.uniform(5, 20, 3) + xx[..., None]/rng.uniform(5, 20, 3))
        save_jpg(np.clip(a, 0, 255).astype(np.uint8), d/f'{i:06d}.jpg')
    return Path(root)

def write_image_folder(root:str|Path, classes:dict|None=None, size:tuple=(20, 30), seed:int=0) -> Path:
    "ImageNet-style `root/<wnid>/<wnid>_<k>.JPEG` with `classes` {wnid: n images} (default 2 and 3); returns `root`"
    classes = classes or {'n01440764': 2, 'n01443537': 3}
    rng = np.random.default_rng(seed)
    for c, k in classes.items():
        (Path(root)/c).mkdir(parents=True, exist_ok=True)
        for j in range(k): save_jpg(rng.integers(0, 256, (*size, 3), dtype=np.uint8), Path(root)/c/f'{c}_{j}.JPEG')
    return Path(root)

IMAGENET_DOGS = ('n02085620', 'n02099601', 'n02113978')        # Chihuahua, golden retriever, Mexican hairless (ImageNet-1k dogs)
IMAGENET_OTHERS = ('n01440764', 'n03000134', 'n04552348')       # tench, chainlink fence, warplane

def write_imagenet_dogs(root:str|Path, n_per_class:int=4, size:tuple=(40, 48), seed:int=0) -> Path:
    "ImageNet-style `root/<wnid>/<wnid>_<k>.JPEG` with three dog wnids and three other wnids, `n_per_class` JPEGs each; returns `root`"
    return write_image_folder(root, {w: n_per_class for w in IMAGENET_DOGS + IMAGENET_OTHERS}, size=size, seed=seed)
