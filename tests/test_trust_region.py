"The trust-region chapter's `paper` code path (ScribbleSup scribbles over VOC 2012 + SBD on disk, DeepLab-LargeFOV, SGD with the poly schedule, stage A in a process pool) run end to end by papermill on a tiny fixture tree, on CPU."
import json, pytest
from wsss_nb.reproduce import find_chapters, run_chapter

from fixtures import write_voc_tree, write_scribblesup      # the shared writers of the real on-disk formats (tests/fixtures.py)

TR = find_chapters(chapters=['trust_region'])[0]
TINY = dict(size=32, n_train=4, n_hold=2, n_val=3, lengths=[0, 1], pre_epochs=1, epochs=2, every=1, bs=2, device='cpu')   # random LargeFOV, 2 epochs per run

def tiny_tree(root):
    voc = write_voc_tree(root, n_train=6, n_val=3, size=48)
    write_scribblesup(root, voc)
    return root

def test_paper_preset_runs_on_a_tiny_voc_scribble_tree(tmp_path):
    data = tiny_tree(tmp_path/'data')
    out = tmp_path/'figs'
    r = run_chapter(TR, 'paper', out=out, runs=tmp_path/'runs', progress=False, from_scratch=True, data_dir=str(data), **TINY)
    assert r['status'] == 'ok', r['error']
    d = out/'trust_region'
    for t in ('selection', 'table1', 'runs', 'loss_terms', 'trimap', 'robust_vs_plain', 'timing', 'claims'):
        assert (d/f'{t}.md').is_file() and (d/f'{t}.json').is_file(), t
    t1 = json.loads((d/'table1.json').read_text())
    assert t1['meta']['preset'] == 'paper'
    assert [row['method'] for row in t1['rows']][1:] == ['PCE-GD', 'Dense-GD', 'Grid-GD', 'Grid-TR', 'full supervision']
    assert {'ℓ=0', 'ℓ=1'} <= set(t1['rows'][0])
    runs = json.loads((d/'runs.json').read_text())['rows']
    assert any(row['method'] == 'Grid-TR' and row['stage_a_seconds'] > 0 for row in runs)      # stage A ran
    assert json.loads((d/'RUN.json').read_text())['status'] == 'complete'

def test_paper_preset_refuses_to_start_without_weights(tmp_path):
    r = run_chapter(TR, 'paper', out=tmp_path/'figs', runs=tmp_path/'runs', progress=False, data_dir=str(tmp_path), **TINY)
    assert r['status'] == 'FAILED' and 'weights_path' in r['error'] and 'from_scratch' in r['error']

@pytest.mark.parametrize('case', ['missing data_dir', 'no scribbles'])
def test_bad_input_fails_naming_the_path(tmp_path, case):
    data = tmp_path/'data'
    if case == 'no scribbles': write_voc_tree(data, n_train=6, n_val=3, size=48)
    r = run_chapter(TR, 'paper', out=tmp_path/'figs', runs=tmp_path/'runs', progress=False, from_scratch=True, data_dir=str(data), **TINY)
    assert r['status'] == 'FAILED' and str(data) in r['error'], r['error']
    assert r['seconds'] < 60, r['seconds']
