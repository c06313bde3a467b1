"The shipped pretrained CPU body (wsss_nb/weights/): its card, loading it into the CPU presets' networks, errors, and a tiny pretraining run."
import hashlib, json, shutil
import pytest
import torch
from wsss_nb.models import make_fcn, CAMNet
from wsss_nb.pretrain import pretrained_weights, pretrain, check_card, weights_dir, body_state_dict

NET_KW = dict(width=16, dilations=(1,))          # the CPU presets' body

def test_card_matches_the_shipped_file():
    p = pretrained_weights()
    card = json.loads(p.with_suffix('.json').read_text())
    assert hashlib.sha256(p.read_bytes()).hexdigest() == card['sha256']
    assert p.stat().st_size == card['bytes'] <= 5 * 2**20
    assert card['data']['train']['seed'] == [1000] and card['data']['hold']['seed'] == [1001] and card['data']['train']['n_classes'] == 16
    assert 0.5 < card['held_out']['tag_accuracy'] <= 1

@pytest.mark.parametrize('K', [9, 21])           # SEC's 1+K maps, a classifier's K
def test_weights_load_into_the_cpu_body_with_every_tensor_copied(K):
    p = pretrained_weights()
    sd = torch.load(p, map_location='cpu', weights_only=True)
    net = make_fcn('small', K, weights_path=p, **NET_KW)
    own = net.state_dict()
    assert set(sd) == {k for k in own if not k.startswith('head')}
    for k, v in sd.items(): assert torch.equal(own[k], v), k
    assert sorted(net.loaded_keys) == sorted(sd)
    # and through the CAM classifier wrapper, as `classifier_learner` builds it
    cam = CAMNet(make_fcn('small', K, weights_path=p, **NET_KW))
    for k, v in sd.items(): assert torch.equal(cam.fcn.state_dict()[k], v), k

def test_wrong_arch_or_shape_gives_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='width=8'): pretrained_weights(width=8)
    with pytest.raises(FileNotFoundError, match='dilations'): pretrained_weights(dilations=(1, 2))
    with pytest.raises(ValueError, match='arch'): pretrained_weights('resnet50')
    # a tampered file no longer matches its card
    d = tmp_path/'w'; d.mkdir()
    src = pretrained_weights()
    shutil.copy(src, d/src.name); shutil.copy(src.with_suffix('.json'), d/src.with_suffix('.json').name)
    check_card(d/src.name)
    b = src.read_bytes(); (d/src.name).write_bytes(b[:-1] + bytes([b[-1] ^ 1]))      # one bit flipped
    with pytest.raises(ValueError, match='sha256'): check_card(d/src.name)
    (d/src.name).unlink()
    with pytest.raises(FileNotFoundError, match=str(d/src.name)): check_card(d/src.name)
    # a body of another width: models.load_weights refuses the tensors whose shapes differ, naming them
    with pytest.raises(ValueError, match='do not fit'): make_fcn('small', 5, weights_path=src, width=8, dilations=(1,))

def test_a_tiny_pretraining_run_writes_a_loadable_file(tmp_path):
    card = pretrain(tmp_path, n_train=32, n_hold=16, epochs=1, bs=16)
    p = tmp_path/card['file']
    assert p.is_file() and (tmp_path/f"{card['name']}.json").is_file()
    assert check_card(p)['sha256'] == card['sha256'] == hashlib.sha256(p.read_bytes()).hexdigest()
    net = make_fcn('small', 3, weights_path=p, **NET_KW)
    sd = torch.load(p, weights_only=True)
    assert all(torch.equal(net.state_dict()[k], v) for k, v in sd.items())
    assert set(sd) == set(body_state_dict(net))
