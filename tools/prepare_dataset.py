"""Source-checkout launcher of ``mmrestore-prepare-dataset``
(:mod:`mmrestore.commands.prepare_dataset`).

    python tools/prepare_dataset.py --help
"""
import sys

from mmrestore.commands.prepare_dataset import main as _main
from mmrestore.commands.prepare_dataset import parse_args  # noqa: F401  (tests parse in-process)


def main(argv=None):
    return _main(argv, prog='prepare_dataset.py')


if __name__ == '__main__':
    sys.exit(main())
