"The SEC chapter's `paper` code path (VOC 2012 + SBD on disk, DeepLab-LargeFOV, SGD with the step schedule) run end to end by papermill on a tiny fixture tree, on CPU."
import json
import numpy as np
import pytest
from PIL import Image
from wsss_nb.reproduce import find_chapters, run_chapter

try: from fixtures import write_voc_tree          # the shared writers of the real on-disk formats
except ImportError:                               # until they land: the same layout, written here
    def write_voc_tree(root, n_train=6, n_val=4, size=64, seed=0):
        from wsss_nb.vis import VOC_PALETTE
        rng = np.random.default_rng(seed)
        r = root/'VOCdevkit'/'VOC2012'
        for d in ('JPEGImages', 'SegmentationClass', 'SegmentationClassAug', 'ImageSets/Segmentation', 'ImageSets/SegmentationAug'): (r/d).mkdir(parents=True)
        ids = [f'2007_{i:06d}' for i in range(n_train + n_val)]
        for k, i in enumerate(ids):
            m = np.zeros((size, size), np.uint8)
            for c in rng.choice(np.arange(1, 21), 2, replace=False):
                y, x = rng.integers(0, size // 2, 2); m[y:y + size // 3, x:x + size // 3] = c
            img = np.clip(VOC_PALETTE[m].astype(int) + rng.integers(-30, 30, (size, size, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(img).save(r/'JPEGImages'/f'{i}.jpg', quality=95)
            p = Image.fromarray(m, mode='P'); p.putpalette(VOC_PALETTE.ravel().tolist()); p.save(r/'SegmentationClass'/f'{i}.png')
            Image.fromarray(m, mode='L').save(r/'SegmentationClassAug'/f'{i}.png')
        (r/'ImageSets/Segmentation/train.txt').write_text(''.join(f'{i}\n' for i in ids[:n_train]))
        (r/'ImageSets/Segmentation/val.txt').write_text(''.join(f'{i}\n' for i in ids[n_train:]))
        (r/'ImageSets/SegmentationAug/train_aug.txt').write_text(''.join(f'/JPEGImages/{i}.jpg /SegmentationClassAug/{i}.png\n' for i in ids[:n_train]))
        return r

SEC = find_chapters(chapters=['sec'])[0]
TINY = dict(size=32, n_train=6, n_val=3, cls_epochs=1, iters=2, bs=3, device='cpu')   # randomly initialised LargeFOV, 2 SGD iterations per run

def test_paper_preset_runs_on_a_tiny_voc_tree(tmp_path):
    write_voc_tree(tmp_path/'voc', n_train=6, n_val=3, size=48)
    out, runs = tmp_path/'figs', tmp_path/'runs'
    r = run_chapter(SEC, 'paper', out=out, runs=runs, progress=False, from_scratch=True, data_dir=str(tmp_path/'voc'), **TINY)
    assert r['status'] == 'ok', r['error']
    d = out/'sec'
    for t in ('cam_localisation', 'cues', 'crf_selection', 'main', 'pooling', 'ablation', 'loss_terms', 'claims'):
        assert (d/f'{t}.md').is_file() and (d/f'{t}.json').is_file(), t
    main = json.loads((d/'main.json').read_text())
    assert [row['cls'] for row in main['rows']][:3] == ['background', 'aeroplane', 'bicycle'] and len(main['rows']) == 22   # VOC: 20 classes + bg + mean
    assert main['meta']['preset'] == 'paper'
    terms = json.loads((d/'loss_terms.json').read_text())['rows']
    assert {row['run'] for row in terms} == {'SEC (S+E+C, GWRP)', 'GMP', 'GAP', 'S', 'S+E', 'S+C', 'E+C'}
    assert json.loads((d/'RUN.json').read_text())['status'] == 'complete'

def test_paper_preset_refuses_to_start_without_weights(tmp_path):
    r = run_chapter(SEC, 'paper', out=tmp_path/'figs', runs=tmp_path/'runs', progress=False, data_dir=str(tmp_path), **TINY)
    assert r['status'] == 'FAILED' and 'weights_path' in r['error'] and 'from_scratch' in r['error']
