from .checkpoint import load_checkpoint_file, patch_mmengine_torch_load

__all__ = ['load_checkpoint_file', 'patch_mmengine_torch_load']
