"""Restore a long video (or a folder of frames) at its own resolution, in bounded memory.

Examples:
  python tools/restore_video.py rush.mov rush_restored.mov --checkpoint final.pth
  python tools/restore_video.py frames/ restored/ --config my_model.py --checkpoint x.pth
  python tools/restore_video.py in.mp4 out.mp4 --downscale 4 --checkpoint rbvsr.pth \\
      --config mmagic::real_basicvsr/realbasicvsr_c64b20-1x30x8_8xb1-lr5e-5-150k_reds.py
  torchrun --nproc-per-node 2 tools/restore_video.py in.mp4 out.mp4 --checkpoint x.pth

A killed run resumes when the same command is run again (finished segments are kept in
a work folder next to OUTPUT). OUTPUT appears only once complete, and --overwrite replaces
it only then (a frame folder only when this tool wrote it). One run per OUTPUT at a time.
"""
import argparse
import contextlib
import logging
import os
import sys
import warnings

from mmrestore.cli import OneLineParser, check_report_path, first_line, run_main, write_report
from mmrestore.errors import MMRestoreError


def parse_args(argv=None):
    p = OneLineParser(
        prog='restore_video.py', description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('input', metavar='INPUT', help='video file (anything FFmpeg reads) or '
                   'folder of png/jpg/tif frames (natural sort order)')
    p.add_argument('output', metavar='OUTPUT', help='video file (container from the '
                   'extension: .mp4 .mov .mkv ...) or folder (PNG frames, 16-bit when the '
                   'source has more than 8 bits)')
    p.add_argument('--config', help='model config: an MMagic training config (its '
                   'model.generator is used), a generator config, or mmagic::path/to.py '
                   '(default: the shipped default model, mmrestore/model_zoo/default_lite.py)')
    p.add_argument('--checkpoint', help='weights: MMagic runner checkpoint (generator_ema '
                   'preferred) or bare state dict (default: mmrestore/model_zoo/default_lite.pth '
                   'when no --config/--cfg-options is given, else random weights)')
    p.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                   help='override config entries, e.g. model.generator.mid_channels=16')
    p.add_argument('--device', default='auto', help='auto, cpu, cuda or cuda:N '
                   '(default: auto = GPU of this rank if any)')
    p.add_argument('--max-seq-len', '-L', type=int, default=30, metavar='L',
                   help='frames per forward pass on the device, context included '
                   '(default: 30; halved automatically on CUDA out-of-memory)')
    p.add_argument('--chunk-frames', '-Q', type=int, default=100, metavar='Q',
                   help='decoded frames held in memory, context included (default: 100)')
    p.add_argument('--overlap', '-K', type=int, default=4, metavar='K',
                   help='context frames run but not written on each side of a pass '
                   '(default: 4)')
    p.add_argument('--dtype', default='fp32', choices=['fp32', 'fp16', 'bf16'],
                   help='compute precision (fp16/bf16 via autocast; default: fp32)')
    p.add_argument('--codec', help='video encoder (default: libx264 for 8-bit sources, '
                   'libx265 for 10-bit and deeper)')
    p.add_argument('--crf', type=int, help='constant rate factor (default: 16, visually '
                   'lossless)')
    p.add_argument('--preset', help='x264/x265 preset (default: medium)')
    p.add_argument('--downscale', type=int, default=1, metavar='S',
                   help='resize the input by 1/S before the model: for xS super-resolution '
                   'baselines (BasicVSR, RealBasicVSR: 4), output keeps the input size')
    p.add_argument('--fps', type=float, help='frame rate of a frame-folder INPUT '
                   '(default: 25)')
    p.add_argument('--strength', type=float, default=1., metavar='S',
                   help='denoising strength of a noise-aware model (the default model): '
                   '0 = input unchanged, 1 = default, above 1 = stronger (monotonic)')
    p.add_argument('--compile', action='store_true',
                   help='torch.compile the generator (CUDA only; ignored with a warning elsewhere)')
    p.add_argument('--strict', action='store_true', help='abort on damaged input (default: '
                   'frames that cannot be decoded repeat the previous one, with a warning)')
    p.add_argument('--overwrite', action='store_true', help='replace an existing OUTPUT')
    p.add_argument('--keep-work', action='store_true', help='keep the work folder of '
                   'segments after success')
    p.add_argument('--report', metavar='JSON', help='write a machine-readable summary of the '
                   'run here (settings, model and weights, estimated noise, frames, fps, '
                   'warnings, timings; on failure: the error)')
    p.add_argument('--progress', choices=['auto', 'bar', 'log'], default='auto',
                   help='progress display (default: bar on a terminal, log lines else)')
    return p.parse_args(argv)


def cfg_options(items):
    from mmrestore.errors import RestoreError
    bad = [item for item in items if '=' not in item or item.startswith('=')]
    if bad:
        raise RestoreError(f'--cfg-options {bad[0]!r}: expected KEY=VALUE, e.g. '
                           'model.generator.mid_channels=16')
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--o', nargs='+', action=DictAction)
    return parser.parse_args(['--o', *items]).o if items else None


def main(argv=None):
    """Run the CLI; callable in-process (logger and warning filters are restored)."""
    args = parse_args(argv)
    log = logging.getLogger('mmrestore.restore')
    saved = log.handlers[:], log.propagate, log.level
    with warnings.catch_warnings():
        try:
            return _run(args, log)
        finally:
            log.handlers[:], log.propagate = saved[0], saved[1]
            log.setLevel(saved[2])


def _run(args, log):
    rank = int(os.environ.get('RANK', 0))
    warnings.filterwarnings('ignore')  # third-party import chatter; our warnings log
    log.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter('%(levelname)s: %(message)s'))
    handler.setLevel(logging.WARNING)
    out = logging.StreamHandler(sys.stdout)
    out.setFormatter(logging.Formatter('%(message)s'))
    out.addFilter(lambda r: r.levelno < logging.WARNING)
    log.addHandler(handler)
    log.addHandler(out)
    log.setLevel(logging.INFO if rank == 0 else logging.WARNING)
    log.propagate = False
    return run_main('restore_video', _restore, args, quiet=rank != 0,
                    interrupted='run the same command again to resume')


def _restore(args):
    from mmrestore.apis.settings import RestoreSettings, preflight
    from mmrestore.errors import ModelLoadError
    for what, path in (('--checkpoint', args.checkpoint), ('--config', args.config)):
        if path and not path.startswith('mmagic::') and not os.path.isfile(path):
            raise ModelLoadError(f'{what} not found: {path}')
    settings = RestoreSettings(
        config=args.config, checkpoint=args.checkpoint,
        cfg_options=cfg_options(args.cfg_options), device=args.device,
        max_seq_len=args.max_seq_len, chunk_frames=args.chunk_frames,
        overlap=args.overlap, dtype=args.dtype, codec=args.codec, crf=args.crf,
        preset=args.preset, downscale=args.downscale, fps=args.fps,
        overwrite=args.overwrite, keep_work=args.keep_work, compile=args.compile,
        strength=args.strength, strict=args.strict)
    progress = {'auto': None, 'bar': True, 'log': False}[args.progress]
    if args.report:
        check_report_path(args.report)
    try:
        preflight(args.input, args.output, settings)  # mistakes answered before torch loads
        # one run per OUTPUT, said before torch loads too (rank 0 holds it for torchrun)
        from mmrestore.apis.output_safety import OutputLock
        with (OutputLock(args.output) if int(os.environ.get('RANK', 0)) == 0
              else contextlib.nullcontext()):
            from mmrestore.apis.restorer import restore_video
            summary = restore_video(args.input, args.output, settings, progress=progress)
    except MMRestoreError as exc:
        if args.report:
            write_report(args.report, dict(status='error', error=first_line(exc),
                                           input=args.input, output=args.output))
        raise
    if args.report and summary is not None:
        write_report(args.report, dict(status='done', **summary))


if __name__ == '__main__':
    sys.exit(main())
