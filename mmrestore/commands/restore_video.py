"""Restore a long video (or a folder of frames) at its own resolution, in bounded memory.

The same command as ``mmrestore-restore``, ``python -m mmrestore restore`` and, in a
source checkout, ``python tools/restore_video.py``. Examples:
  mmrestore-restore rush.mov rush_restored.mov --checkpoint final.pth
  mmrestore-restore frames/ restored/ --config my_model.py --checkpoint x.pth
  mmrestore-restore scan/shot_%05d.dpx out/shot_%05d.dpx --start 1010 --end 1050
  mmrestore-restore rush.mov pr.mov --codec prores_ks --encoder-opt profile=4444
  mmrestore-restore rush.mov dnx.mov --codec dnxhd --encoder-opt profile=dnxhr_hqx
  mmrestore-restore rush.mov out.mov --preview 6   # one before/after picture
  mmrestore-restore in.mp4 out.mp4 --downscale 4 --checkpoint rbvsr.pth \\
    --config mmagic::real_basicvsr/realbasicvsr_c64b20-1x30x8_8xb1-lr5e-5-150k_reds.py
  torchrun --nproc-per-node 2 -m mmrestore restore in.mp4 out.mp4 --checkpoint x.pth

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


PROG = 'mmrestore-restore'


def parse_args(argv=None, prog=PROG):
    p = OneLineParser(
        prog=prog, description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('input', metavar='INPUT', help='video file (anything FFmpeg reads), '
                   'image sequence pattern (shot_%%05d.dpx, shot_####.exr) or folder of '
                   'png/jpg/tif/dpx/exr frames (natural sort order)')
    p.add_argument('output', metavar='OUTPUT', help='video file (container from the '
                   'extension: .mp4 .mov .mkv ...), image sequence pattern '
                   '(out/shot_%%05d.dpx: png/tif/dpx/exr, numbered as the input) or folder '
                   '(frames as --image-format, the source\'s bit depth)')
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
    p.add_argument('--pix-fmt', metavar='FMT', help='FFmpeg pixel format of the output, '
                   'one the encoder takes (e.g. yuv422p10le, yuv444p10le; gbrp10le/rgb48le '
                   'for DPX; default: the source\'s bit depth)')
    p.add_argument('--encoder-opt', action='append', default=[], metavar='KEY=VALUE',
                   help='FFmpeg encoder option, repeatable: profile=4444 (prores_ks: '
                   'proxy lt standard hq 4444 4444xq), profile=dnxhr_hq (dnxhd: dnxhr_lb '
                   'dnxhr_sq dnxhr_hq dnxhr_hqx dnxhr_444), compression=zip16 (exr), '
                   'compression_algo=deflate (tiff), tune=grain (libx264) ...')
    p.add_argument('--image-format', choices=['png', 'tiff', 'dpx', 'exr'],
                   help='frame files of a folder OUTPUT (default: png)')
    p.add_argument('--start', metavar='FRAME', help='first frame to restore: a frame number '
                   '(a sequence\'s file number, a video\'s frame index from 0) or a '
                   'timecode HH:MM:SS:FF (default: the first)')
    p.add_argument('--end', metavar='FRAME', help='last frame to restore, included (frame '
                   'number or timecode; default: the last)')
    p.add_argument('--preview', type=int, default=0, metavar='N',
                   help='restore only N frames spread over the clip (or range) into one '
                   'before/after picture (PNG next to OUTPUT) and stop; OUTPUT is not '
                   'written')
    p.add_argument('--preview-out', metavar='PATH', help='where --preview writes its '
                   'picture (default: OUTPUT name + .preview.png)')
    p.add_argument('--downscale', type=int, default=1, metavar='S',
                   help='resize the input by 1/S before the model: for xS super-resolution '
                   'baselines (BasicVSR, RealBasicVSR: 4), output keeps the input size')
    p.add_argument('--fps', type=float, help='frame rate of a frame-folder or sequence '
                   'INPUT (default: the DPX/EXR header\'s, else 25)')
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


def encoder_options(items):
    """``--encoder-opt KEY=VALUE`` items -> dict (the last value of a key wins)."""
    from mmrestore.errors import RestoreError
    options = {}
    for item in items:
        key, sep, value = item.partition('=')
        if not sep or not key.strip() or not value.strip():
            raise RestoreError(f'--encoder-opt {item!r}: expected KEY=VALUE, e.g. '
                               'profile=4444')
        options[key.strip()] = value.strip()
    return options or None


def frame_arg(value):
    """--start/--end: a frame number as int, a timecode as it is."""
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.lstrip('-').isdigit() else value


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


def main(argv=None, prog=PROG):
    """Run the command; callable in-process (logger and warning filters are restored).

    Args:
        argv (list[str] | None): the arguments (default: ``sys.argv[1:]``).
        prog (str): the name errors begin with.

    Returns:
        int: the exit status (0 done, 2 user error, 130 interrupted, 1 a bug).
    """
    args = parse_args(argv, prog)
    log = logging.getLogger('mmrestore.restore')
    video_log = logging.getLogger('mmrestore.video')  # e.g. float frames clipped
    saved = [(lg, lg.handlers[:], lg.propagate, lg.level) for lg in (log, video_log)]
    with warnings.catch_warnings():
        try:
            return _run(args, log, prog)
        finally:
            for lg, handlers, propagate, level in saved:
                lg.handlers[:], lg.propagate = handlers, propagate
                lg.setLevel(level)


def _run(args, log, prog):
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
    video_log = logging.getLogger('mmrestore.video')
    video_log.handlers[:] = [handler]
    video_log.setLevel(logging.WARNING)
    video_log.propagate = False
    return run_main(prog, _restore, args, quiet=rank != 0,
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
        strength=args.strength, strict=args.strict, start=frame_arg(args.start),
        end=frame_arg(args.end), pix_fmt=args.pix_fmt,
        encoder_options=encoder_options(args.encoder_opt), image_format=args.image_format,
        preview=args.preview, preview_out=args.preview_out)
    progress = {'auto': None, 'bar': True, 'log': False}[args.progress]
    if args.report:
        check_report_path(args.report)
    try:
        preflight(args.input, args.output, settings)  # mistakes answered before torch loads
        if settings.preview:
            from mmrestore.apis.preview import render_preview
            summary = dict(status='preview', **render_preview(
                args.input, args.output, settings, progress=progress))
        else:
            # one run per OUTPUT, said before torch loads too (rank 0 holds it for torchrun)
            from mmrestore.apis.output_safety import OutputLock
            with (OutputLock(args.output) if int(os.environ.get('RANK', 0)) == 0
                  else contextlib.nullcontext()):
                from mmrestore.apis.restorer import restore_video
                summary = restore_video(args.input, args.output, settings,
                                        progress=progress)
            summary = None if summary is None else dict(status='done', **summary)
    except MMRestoreError as exc:
        if args.report:
            write_report(args.report, dict(status='error', error=first_line(exc),
                                           input=args.input, output=args.output))
        raise
    if args.report and summary is not None:
        write_report(args.report, summary)


if __name__ == '__main__':
    sys.exit(main())
