"The SEC chapter's `paper` code path (VOC 2012 + SBD on disk, DeepLab-LargeFOV, SGD with the step schedule) run end to end by papermill on a tiny fixture tree, on CPU."
import json
from wsss_nb.reproduce import find_chapters, run_chapter

from fixtures import write_voc_tree          # the shared writers of the real on-disk formats (tests/fixtures.py)

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

import pytest, torch

@pytest.mark.parametrize('case', ['missing data_dir', 'unknown device', 'weights of other shapes'])
def test_bad_input_fails_within_a_minute_naming_it(tmp_path, case):
    "Reliability item 12: a chapter stops before any training, with an error that names what is wrong"
    kw = dict(TINY, data_dir=str(tmp_path/'voc'), from_scratch=True)
    if case != 'missing data_dir': write_voc_tree(tmp_path/'voc', n_train=6, n_val=3, size=48)
    if case == 'unknown device': kw['device'] = 'tpu'
    if case == 'weights of other shapes':
        torch.save({'features.0.weight': torch.zeros(8, 3, 3, 3)}, tmp_path/'vgg.pt')      # VGG16's first conv has 64 filters
        kw.update(weights_path=str(tmp_path/'vgg.pt'), from_scratch=False)
    r = run_chapter(SEC, 'paper', out=tmp_path/'figs', runs=tmp_path/'runs', progress=False, **kw)
    want = {'missing data_dir': str(tmp_path/'voc'), 'unknown device': 'device', 'weights of other shapes': 'do not fit'}[case]
    assert r['status'] == 'FAILED' and want in r['error'], r['error']
    assert r['seconds'] < 60, r['seconds']
