from .cpu_distributed import init_cpu_distributed
from .preflight import check_files, drop_init_weights, missing_files
from .quiet_runner import QuietRunner

__all__ = [
    'init_cpu_distributed', 'check_files', 'drop_init_weights', 'missing_files',
    'QuietRunner'
]
