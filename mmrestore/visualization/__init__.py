"""Pictures for people: before/after comparisons (demo, score_video)."""
from .comparison import comparison_figure, detailed_windows

__all__ = ['comparison_figure', 'detailed_windows']
