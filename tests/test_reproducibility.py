"Same seed, same numbers: on one machine a training run is bit-for-bit repeatable (issue #11, 'same seed, same numbers')."
import subprocess, sys, textwrap
import torch
from wsss_nb.core import set_seed
from wsss_nb.data import benchmark, normalize
from wsss_nb.loaders import array_dls
from wsss_nb.cam import classifier_learner

def _train_smoke_classifier(seed):
    "The smoke classifier of the CAM chapters: 64 scenes, 1 epoch, shuffled and augmented batches"
    s = benchmark('train', n=64, size=64)
    set_seed(seed)
    x, y = normalize(s.images), torch.as_tensor(s.labels).float()
    dls = array_dls((x, y), (x[:16], y[:16]), bs=16, augment=True)
    learn = classifier_learner(dls, y.shape[1], 'small', width=8, dilations=(1,))
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, 3e-3)
    return {k: v.clone() for k, v in learn.model.state_dict().items()}

def test_classifier_weights_bit_for_bit(data_env):
    a, b = _train_smoke_classifier(0), _train_smoke_classifier(0)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), [k for k in a if not torch.equal(a[k], b[k])][:5]
    c = _train_smoke_classifier(1)
    assert not all(torch.equal(a[k], c[k]) for k in a)           # and the seed matters

def test_fresh_processes_agree(data_env, tmp_path):
    "Two fresh interpreters (nothing shared but the cache on disk) give the same weights: no unseeded or timing-dependent state"
    code = textwrap.dedent(f"""
        import sys, torch, hashlib; sys.path.insert(0, {str(tmp_path.parent)!r})
        sys.path.insert(0, {str(__import__('pathlib').Path(__file__).parent)!r})
        from test_reproducibility import _train_smoke_classifier
        sd = _train_smoke_classifier(0)
        print(hashlib.sha256(b''.join(v.numpy().tobytes() for v in sd.values())).hexdigest())""")
    run = lambda: subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300).stdout.strip().splitlines()[-1]
    assert run() == run()
