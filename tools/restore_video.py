"""Source-checkout launcher of ``mmrestore-restore`` (:mod:`mmrestore.commands.restore_video`).

    python tools/restore_video.py --help
"""
import sys

from mmrestore.commands.restore_video import main as _main
from mmrestore.commands.restore_video import parse_args  # noqa: F401  (tests parse in-process)


def main(argv=None):
    return _main(argv, prog='restore_video.py')


if __name__ == '__main__':
    sys.exit(main())
