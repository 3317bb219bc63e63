"""Make a training set of frame folders (MMagic BasicFramesDataset) from one's videos.

    mmrestore-prepare-dataset VIDEO_OR_DIR... --out data/NAME [--min-frames 100]
        [--scale S] [--sub-size N [--sub-step M]] [--cut-threshold T]

Clips are split at hard scene cuts (no training sequence spans one) and scenes shorter
than --min-frames are skipped. Train on it with data_root='data/NAME' and
data_prefix=dict(img='', gt='') (see configs/2lev_1res_wS_finetune.py). Also ``python -m mmrestore prepare-dataset``
and, in a source checkout, ``python tools/prepare_dataset.py``.
"""
import sys
import warnings

from mmrestore.cli import OneLineParser, run_main


PROG = 'mmrestore-prepare-dataset'


def parse_args(argv=None, prog=PROG):
    parser = OneLineParser(prog=prog,
                           description='Turn videos into BasicFramesDataset frame folders')
    parser.add_argument('inputs', nargs='+', metavar='VIDEO_OR_DIR',
                        help='video files, or folders of videos or of frames')
    parser.add_argument('--out', required=True, help='output folder, e.g. data/NAME')
    parser.add_argument('--min-frames', type=int, default=100,
                        help='skip scenes shorter than this (default: 100)')
    parser.add_argument('--scale', type=float,
                        help='resize frames by this factor, e.g. 0.5 for 4K -> HD')
    parser.add_argument('--sub-size', type=int,
                        help='cut frames into sub-images of this size (fast loading; '
                        'must be >= the training crop, 256)')
    parser.add_argument('--sub-step', type=int,
                        help='step between sub-images (default: --sub-size)')
    parser.add_argument('--cut-threshold', type=float, default=30.,
                        help='scene-cut score threshold, 0-255 (default: 30)')
    return parser.parse_args(argv)


def main(argv=None, prog=PROG):
    """Run the command (``argv`` default: ``sys.argv[1:]``); returns the exit status."""
    args = parse_args(argv, prog)
    return run_main(prog, prepare, args)


def prepare(args):
    from mmrestore.errors import DataError
    with warnings.catch_warnings():  # deprecation noise of mmagic's dependencies
        warnings.simplefilter('ignore', FutureWarning)
        from mmrestore.datasets.prepare_frames import prepare_frames
    try:
        result = prepare_frames(args.inputs, args.out, args.min_frames, args.scale,
                                args.sub_size, args.sub_step, args.cut_threshold)
    except OSError as err:  # e.g. no space left: said in one line, like bad input
        raise DataError(f'{err.filename or args.out}: {err.strerror or err}') from None
    seqs = result['sequences']
    print(f'{len(seqs)} sequences ({sum(seqs.values())} frames) in {args.out}; '
          f'{len(result["skipped"])} scenes skipped')


if __name__ == '__main__':
    sys.exit(main())
