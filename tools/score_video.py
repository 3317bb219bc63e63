"""Source-checkout launcher of ``mmrestore-score`` (:mod:`mmrestore.commands.score_video`).

    python tools/score_video.py --help
"""
import sys

from mmrestore.commands.score_video import main as _main
from mmrestore.commands.score_video import parse_args  # noqa: F401  (tests parse in-process)


def main(argv=None):
    return _main(argv, prog='score_video.py')


if __name__ == '__main__':
    sys.exit(main())
