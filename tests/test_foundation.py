"""The plugin's foundation: registration, configs, offline checkpoints with torch >= 2.6."""
import subprocess
import sys

import pytest
import torch
from conftest import REPO
from mmengine.model import BaseModel
from mmengine.runner import Runner


class _ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(2, 1)

    def forward(self, inputs, labels, mode='tensor'):
        pred = self.linear(torch.stack(inputs))
        if mode == 'loss':
            return {'loss': ((pred.squeeze(1) - torch.stack(labels))**2).mean()}
        return pred


def _runner(work_dir, max_iters, **kw):
    data = [dict(inputs=torch.tensor([float(i), 1.]), labels=torch.tensor(2. * i))
            for i in range(8)]
    return Runner(
        model=_ToyModel(), work_dir=str(work_dir),
        train_dataloader=dict(dataset=data, sampler=dict(type='DefaultSampler', shuffle=True),
                              batch_size=2, collate_fn=dict(type='pseudo_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2,
                                           by_epoch=False)),
        randomness=dict(seed=0), **kw)


def test_runner_checkpoint_loads_back_under_torch_2_6_defaults(tmp_path):
    """A checkpoint written by an MMEngine runner resumes and loads with ``load_from``."""
    import mmrestore.registry  # noqa: F401  (installs the fix)
    _runner(tmp_path / 'a', 2).train()
    ckpt = tmp_path / 'a' / 'iter_2.pth'
    assert ckpt.is_file()
    # the problem being fixed: torch's own default refuses MMEngine's checkpoints
    with pytest.raises(Exception, match='[Ww]eights only load failed'):
        torch.load(ckpt)
    resumed = _runner(tmp_path / 'a', 4, resume=True)
    resumed.train()
    assert resumed.iter == 4 and (tmp_path / 'a' / 'iter_4.pth').is_file()
    loaded = _runner(tmp_path / 'b', 2, load_from=str(ckpt))
    loaded.load_or_resume()
    state = torch.load(ckpt, weights_only=False)['state_dict']
    assert torch.equal(loaded.model.linear.weight, state['linear.weight'])


def test_import_registers_into_mmagic():
    import mmrestore.registry  # noqa: F401
    from mmagic.registry import MODELS
    for name in ('UNetRealBasicVSRNet', 'UNetCleaning', 'LQSkipBasicVSRNet'):
        assert MODELS.get(name) is not None, name


def test_custom_imports_reach_the_plugin_in_a_fresh_process(tmp_path):
    """A config with custom_imports builds our generator in a process that never imported
    mmrestore itself (the editable install puts it on the path, no PYTHONPATH)."""
    cfg = tmp_path / 'cfg.py'
    cfg.write_text("custom_imports = dict(imports=['mmrestore.registry'], allow_failed_imports=False)\n"
                   "model = dict(type='UNetRealBasicVSRNet', mid_channels=8, "
                   "num_propagation_blocks=1, cleaning_channels=4, cleaning_levels=2)\n")
    code = ('import sys\nfrom mmengine.config import Config\nfrom mmagic.registry import MODELS\n'
            f'cfg = Config.fromfile({str(cfg)!r})\nassert "mmrestore" in sys.modules\n'
            'print(type(MODELS.build(cfg.model)).__name__)')
    env = {'PATH': '/usr/bin:/bin', 'HF_HUB_OFFLINE': '1'}
    out = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith('UNetRealBasicVSRNet')


def test_mmcv_has_compiled_ops():
    from mmcv.ops import ModulatedDeformConv2dPack  # noqa: F401
    import mmcv
    assert mmcv.__version__ == '2.1.0'
    from mmcv.utils import ext_loader
    ext_loader.load_ext('_ext', ['modulated_deform_conv_forward'])


def test_requirements_pins_have_reasons():
    """Every pinned line of requirements/*.txt says why (issue: pinned stack)."""
    for path in (REPO / 'requirements').glob('*.txt'):
        for line in path.read_text().splitlines():
            if any(op in line.split('#')[0] for op in ('==', '<', '>')):
                assert '#' in line, f'{path.name}: {line}'

