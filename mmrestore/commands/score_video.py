"""Score a restored video against its source without ground truth.

    mmrestore-score INPUT RESTORED [--frames N] [--json OUT.json]
        [--figure OUT.png] [--ma-model model.mat]

Prints MSE to input, NIQE, Ma and PI (PIRM protocol; Ma and PI need the Ma model file,
from --ma-model or $MMRESTORE_MA_MODEL) and the temporal warping error, for the input and
the restored video, averaged over N evenly spaced frames. --figure writes a before/after
picture (frames side by side plus zoomed crops of the most detailed regions).
Also ``python -m mmrestore score`` and, in a source checkout, ``python tools/score_video.py``.
"""
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path

from mmrestore.cli import OneLineParser, atomic_write, run_main


PROG = 'mmrestore-score'


def parse_args(argv=None, prog=PROG):
    p = OneLineParser(prog=prog, description=__doc__.split('\n\n')[0])
    p.add_argument('input', help='source video (what the model received)')
    p.add_argument('restored', help='restored video, same frame size')
    p.add_argument('--frames', type=int, default=10, help='frames scored (default 10)')
    p.add_argument('--json', help='write all scores to this JSON file')
    p.add_argument('--figure', help='write a before/after comparison picture (.png/.jpg)')
    p.add_argument('--ma-model', help="Ma's model.mat (default $MMRESTORE_MA_MODEL)")
    p.add_argument('--crop-border', type=int, default=4, help='pixels shaved (default 4)')
    args = p.parse_args(argv)
    if args.frames < 1:
        p.error('--frames must be at least 1')
    if args.figure and Path(args.figure).suffix.lower() not in ('.png', '.jpg', '.jpeg'):
        p.error('--figure must end in .png, .jpg or .jpeg')
    for path in (args.input, args.restored):
        if not Path(path).is_file():
            p.error(f'no such file: {path}')
    for flag, path in (('--json', args.json), ('--figure', args.figure)):
        if path and not _writable_dir(Path(path).resolve().parent):
            p.error(f'{flag} {path}: its folder does not exist or is not writable')
    return args


def _writable_dir(folder):
    try:  # a real write: os.access() says yes to root on read-only mounts
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def main(argv=None, prog=PROG):
    """Run the command (``argv`` default: ``sys.argv[1:]``); returns the exit status."""
    args = parse_args(argv, prog)
    return run_main(prog, _score, args)


def _score(args):
    warnings.simplefilter('ignore', FutureWarning)  # third-party import noise (diffusers)
    warnings.simplefilter('ignore', UserWarning)
    from mmrestore.errors import MMRestoreError
    from mmrestore.evaluation.metrics import video_scores as vs
    from mmrestore.evaluation.metrics.ma import MA_MODEL_ENV
    from mmrestore.video import encode_image
    from mmrestore.visualization import comparison_figure
    model = args.ma_model or os.environ.get(MA_MODEL_ENV) or None
    try:
        result = vs.score_videos(args.input, args.restored, args.frames, model,
                                 args.crop_border)
    except (FileNotFoundError, ValueError) as err:  # the Ma model file
        raise MMRestoreError(str(err)) from None
    figure = None
    if args.figure:
        k = len(result['frames']) // 2
        middle = result['frames'][k]
        src, res = vs.figure_frames(args.input, args.restored, middle)
        scores = [vs.frame_scores(result, side, k) for side in ('input', 'restored')]
        figure = comparison_figure([src, res], ['input', f'restored (frame {middle})'],
                                   scores)
        figure = encode_image(figure, Path(args.figure).suffix.lower())

    print(vs.format_table(result))
    if args.json:
        atomic_write(args.json, (json.dumps(result, indent=1) + '\n').encode())
    if figure is not None:
        atomic_write(args.figure, figure)
    return 0


if __name__ == '__main__':
    sys.exit(main())
