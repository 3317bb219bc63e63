from .checkpoint import (allow_partial_weights, load_checkpoint_file,
                         patch_mmengine_strict_loading, patch_mmengine_torch_load)

__all__ = [
    'allow_partial_weights', 'load_checkpoint_file', 'patch_mmengine_strict_loading',
    'patch_mmengine_torch_load'
]
