"""The shipped default model, as package data: its inference config and weights.

``default_lite.py`` builds the generator that ``default_lite.pth`` fills (a bare state
dict of EMA weights). Both are installed with the package, so
``mmrestore-restore`` and :func:`mmrestore.apis.load_generator` find the default
model without a source checkout. How it was trained: ``configs/default_lite_stage*.py``
and docs/default_model.md (checkout only).
"""
import os.path as osp

_HERE = osp.dirname(osp.abspath(__file__))
DEFAULT_CONFIG = osp.join(_HERE, 'default_lite.py')
DEFAULT_CHECKPOINT = osp.join(_HERE, 'default_lite.pth')

__all__ = ['DEFAULT_CONFIG', 'DEFAULT_CHECKPOINT']
