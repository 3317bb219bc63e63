from .cpu_distributed import init_cpu_distributed
from .preflight import check_files, drop_init_weights, missing_files

__all__ = ['init_cpu_distributed', 'check_files', 'drop_init_weights', 'missing_files']
