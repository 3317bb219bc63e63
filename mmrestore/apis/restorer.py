"""Stream-restore a long video (or frame folder) in bounded memory, resumably.

The video is cut into *segments* of ``chunk_frames - 2 * overlap`` frames. A segment is
decoded together with ``overlap`` context frames on each side (at most ``chunk_frames``
decoded frames in memory), restored by :class:`SequenceRunner` in passes of at most
``max_seq_len`` frames, and encoded frame by frame into its own file in a work folder
next to OUTPUT (named by a hash of the input and every setting that changes the
result). A finished segment is renamed into place, so a killed run resumes from the
finished segments. When all are there, they are stream-copied (with the source's
timestamps and audio) into a temporary file that is renamed to OUTPUT.

Under ``torchrun`` every rank restores a contiguous run of segments; rank 0 joins them.
Segment borders do not depend on the number of processes, so the result is the same.
"""
import hashlib
import json
import logging
import os
import os.path as osp
import shutil
import time
from dataclasses import asdict
from datetime import timedelta

import torch

from mmrestore.errors import RestoreError, VideoIOError
from mmrestore.video import (BackgroundWorker, FramePrefetcher, FrameSource, SegmentWriter,
                             dropped_properties, join_segments, output_frame_names,
                             write_frame)
from .denoise_control import (SAMPLE_FRAMES, configure_denoising, describe_noise,
                              is_noise_aware)
from .model_loader import describe_device, load_generator
from .progress import Progress, format_seconds
from .sequence_runner import SequenceRunner
from .settings import RestoreSettings, preflight

logger = logging.getLogger('mmrestore.restore')
FORMAT_VERSION = 1  # bump when segment files change meaning


def dist_env():
    """(rank, world_size, local_rank) from torchrun's environment."""
    env = os.environ
    return (int(env.get('RANK', 0)), int(env.get('WORLD_SIZE', 1)),
            int(env.get('LOCAL_RANK', 0)))


def resolve_device(device, local_rank=0):
    """'auto' -> this rank's GPU if there is one, else CPU."""
    if device == 'auto':
        return torch.device(f'cuda:{local_rank}' if torch.cuda.is_available() else 'cpu')
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise RestoreError(f'unknown --device {device!r} (auto, cpu, cuda, cuda:N)') from None
    if dev.type == 'cuda':
        if not torch.cuda.is_available():
            raise RestoreError(f'--device {device}: CUDA is not available here')
        if dev.index is None:
            dev = torch.device(f'cuda:{local_rank}')
        if dev.index >= torch.cuda.device_count():
            raise RestoreError(f'--device {device}: only {torch.cuda.device_count()} GPU(s)')
    elif dev.type != 'cpu':
        raise RestoreError(f'unsupported --device {device!r}')
    return dev


def plan_segments(num_frames, chunk_frames, overlap):
    """Core ranges ``[(start, stop)]`` of the segments, and their windows with context."""
    core = chunk_frames - 2 * overlap
    segs = [(s, min(s + core, num_frames)) for s in range(0, num_frames, core)]
    windows = [(max(0, a - overlap), min(num_frames, b + overlap)) for a, b in segs]
    return segs, windows


def work_key(input_path, info, s, kind, encoder):
    """Hash of everything that decides the restored frames and their encoding."""

    def file_id(path):
        if path is None or not osp.isfile(path):
            return path
        st = os.stat(path)
        return [osp.abspath(path), st.st_size, st.st_mtime_ns]

    stat = os.stat(input_path if osp.exists(input_path) else info.path)  # a pattern: its folder
    config = s.config
    if config and osp.isfile(config):
        with open(config, 'rb') as f:
            config = hashlib.sha1(f.read()).hexdigest()
    key = dict(version=FORMAT_VERSION, input=[osp.abspath(input_path), stat.st_size,
                                              stat.st_mtime_ns, info.num_frames],
               config=config, cfg_options=s.cfg_options, checkpoint=file_id(s.checkpoint),
               L=s.max_seq_len, Q=s.chunk_frames, K=s.overlap, dtype=s.dtype,
               downscale=s.downscale, fps=s.fps, kind=kind,
               encoder=asdict(encoder) if encoder else None)
    if s.compile:  # compiled kernels round differently
        key['compile'] = True
    if s.strength != 1:
        key['strength'] = s.strength
    if info.is_range:
        key['range'] = [info.range_start, info.num_frames]
    blob = json.dumps(key, sort_keys=True, default=str).encode()
    return hashlib.sha1(blob).hexdigest()[:12]


class VideoRestorer:
    """Restore one INPUT into one OUTPUT with a model loaded once.

    Args:
        input_path (str): video file or frame folder.
        output (str): video file (container from the extension) or folder (PNG frames,
            16-bit when the source has more than 8 bits).
        settings (RestoreSettings): options.
        progress (bool | callable, optional): force (True) or suppress (False) the
            bar, or a callable ``progress(done, total, fps)`` called after every frame.
            Default: bar on a terminal, log lines otherwise.
    """

    def __init__(self, input_path, output, settings=None, progress=None):
        self.s = settings or RestoreSettings()
        self.rank, self.world, self.local_rank = dist_env()
        self.input = input_path
        self.kind, self.output, self.info, self.encoder = preflight(input_path, output,
                                                                    self.s)
        self.device = resolve_device(self.s.device, self.local_rank)
        if self.s.dtype == 'fp16' and self.device.type != 'cuda':
            raise RestoreError('--dtype fp16 needs a CUDA device (use bf16 or fp32 on CPU)')
        self.segments, self.windows = plan_segments(self.info.num_frames,
                                                    self.s.chunk_frames, self.s.overlap)
        key = work_key(input_path, self.info, self.s, self.kind, self.encoder)
        parent, name = osp.split(self.output)
        self.work_dir = osp.join(parent, f'.{name}.restore-{key}')
        self.progress_mode = progress
        self.model = self.model_info = self.noise = None

    # ----------------------------------------------------------------- planning
    def segment_path(self, i):
        return osp.join(self.work_dir, f'seg_{i:05d}' + ('.mkv' if self.kind == 'video' else ''))

    def is_done(self, i):
        return osp.exists(self.segment_path(i))

    def my_segments(self):
        """Contiguous run of segment indices of this rank."""
        n = len(self.segments)
        return list(range(self.rank * n // self.world, (self.rank + 1) * n // self.world))

    def load_model(self):
        self.model, self.model_info = load_generator(self.s.config, self.s.checkpoint,
                                                     self.device, self.s.cfg_options)
        if not is_noise_aware(self.model):
            if self.s.strength != 1:
                raise RestoreError(f'--strength applies to a noise-aware model (one with a '
                                   f'denoise_head, as the default model); '
                                   f'{self.model_info["name"]} has none')
            return
        # one blind noise profile for the whole clip: every segment, pass and process
        # sees the same noise map
        source = FrameSource(self.info, strict=self.s.strict)
        try:
            frames = source.sample(SAMPLE_FRAMES)
        except VideoIOError as exc:
            raise VideoIOError(f'cannot read frames to estimate the noise: {exc}') from None
        finally:
            source.close()
        self.noise = configure_denoising(self.model, frames, self.s.strength)

    def plan_lines(self):
        s, info = self.s, self.info
        done = sum(self.is_done(i) for i in range(len(self.segments)))
        out = (f'video {self.output} ({self.encoder.describe()}'
               f'{", audio copied" if info.audio_streams else ""})' if self.kind == 'video'
               else f'{"frames" if self.encoder.pattern else "folder"} {self.output} '
               f'({self.encoder.describe()})')
        lines = [
            f'input : {info.describe()}',
            f'model : {self.model_info["message"]}',
            *([f'noise : {describe_noise(self.noise)}'] if self.noise else []),
            f'device: {describe_device(self.device)}, {s.dtype}'
            + (f', {self.world} processes' if self.world > 1 else ''),
            f'plan  : {len(self.segments)} segment(s) of <= {s.chunk_frames - 2 * s.overlap} '
            f'frames (Q={s.chunk_frames} decoded frames in memory), passes of L='
            f'{s.max_seq_len} frames with K={s.overlap} context frames each side'
            + (f', input downscaled 1/{s.downscale}' if s.downscale > 1 else ''),
            f'output: {out}',
            f'work  : {self.work_dir}'
            + (f' (resuming: {done}/{len(self.segments)} segments done)' if done else ''),
        ]
        if info.other_streams:
            lines.append(f'note  : {info.other_streams} subtitle/data/extra video stream(s) '
                         'of the input are not copied')
        if self.kind == 'folder' and info.audio_streams:
            lines.append('note  : a frame folder has no audio; the audio is not copied')
        parent, name = osp.split(self.output)
        stale = [n for n in os.listdir(parent) if n.startswith(f'.{name}.restore-')
                 and osp.join(parent, n) != self.work_dir]
        if stale:
            lines.append(f'note  : work folder(s) of earlier runs with other settings: '
                         f'{", ".join(stale)} (delete them to free disk space)')
        return lines

    # ------------------------------------------------------------------ running
    def run(self):
        """Restore, join and rename into OUTPUT.

        Returns:
            dict: on rank 0 (None elsewhere), the run's summary (JSON-ready): ``input``,
            ``output``, ``source`` (frames, size, rate, bit depth ...), ``settings``,
            ``model`` (config, weights, message), ``noise`` (the estimated profile of a
            noise-aware model), ``encoder``, ``frames``, ``restored`` (this run; the
            rest was resumed), ``seconds``, ``fps``, the runner's counters and
            ``warnings`` (every warning logged during the run).
        """
        collector = _WarningCollector()
        loggers = (logger, logging.getLogger('mmrestore.video'))  # e.g. float clipping
        for log in loggers:
            log.addHandler(collector)
        try:
            summary = self._run()
        finally:
            for log in loggers:
                log.removeHandler(collector)
        if summary is not None:
            summary['warnings'] = collector.messages
        return summary

    def _run(self):
        t0 = time.monotonic()
        dist = self.world > 1
        if dist:
            import torch.distributed as tdist
            if not tdist.is_initialized():
                tdist.init_process_group('gloo', timeout=timedelta(days=7))
        self.load_model()  # first: a bad --config/--checkpoint leaves nothing behind
        os.makedirs(self.work_dir, exist_ok=True)
        mine = self.my_segments()
        todo = [i for i in mine if not self.is_done(i)]
        todo_all = [i for i in range(len(self.segments)) if not self.is_done(i)]
        if dist:
            tdist.barrier()  # every rank saw the finished segments before work starts
        if self.rank == 0:
            for line in self.plan_lines():
                logger.info(line)
            for what in dropped_properties(self.info):
                logger.warning(f'dropped: {what}')
            if self.model_info['random_weights']:
                logger.warning('RANDOM WEIGHTS: no --checkpoint for this model; the output '
                               'shows an untrained network, not a restoration')
        total = sum(b - a for a, b in (self.segments[i] for i in mine))
        done = total - sum(b - a for a, b in (self.segments[i] for i in todo))
        progress = Progress(total, done, enabled=self.rank == 0, tty=self.progress_mode)
        runner = SequenceRunner(self.model, self.device, self.s.max_seq_len, self.s.overlap,
                                self.s.dtype, self.s.downscale, reuse=self.s.reuse,
                                compile=self.s.compile)
        source = FrameSource(self.info, strict=self.s.strict)
        prefetcher = writer = None
        if self.s.background_io:
            # decoded frames: a pass in use (<= L) + the queue (Q - L) <= Q
            prefetcher = FramePrefetcher(source, [self.windows[i] for i in todo],
                                         self.s.chunk_frames - self.s.max_seq_len)
            writer = BackgroundWorker(depth=self.s.max_seq_len)
        try:
            for i in todo:
                self._restore_segment(i, prefetcher or source, runner, progress, writer)
            if writer is not None:
                writer.finish()
                writer = None
        finally:
            if writer is not None:
                writer.cancel()
            if prefetcher is not None:
                prefetcher.close()
            source.close()
            progress.close()
        if source.concealed:
            shown = ', '.join(map(str, source.concealed[:10]))
            more = f' and {len(source.concealed) - 10} more' if len(source.concealed) > 10 else ''
            logger.warning(f'damaged input: frame(s) {shown}{more} could not be decoded and '
                           'repeat the frame before them (timing kept; --strict aborts '
                           'instead)')
        if dist:
            tdist.barrier()
        summary = None
        if self.rank == 0:
            missing = [i for i in range(len(self.segments)) if not self.is_done(i)]
            if missing:
                raise RestoreError(f'segments {missing[:5]} are missing in {self.work_dir}')
            self._join()
            elapsed = time.monotonic() - t0
            restored = sum(b - a for a, b in (self.segments[i] for i in todo_all))
            summary = dict(
                input=osp.abspath(self.input), output=self.output,
                source=dict(kind='frame folder' if self.info.is_folder else 'video',
                            frames=self.info.num_frames, width=self.info.width,
                            height=self.info.height, fps=str(self.info.fps),
                            bit_depth=self.info.bit_depth, pix_fmt=self.info.pix_fmt,
                            audio_streams=self.info.audio_streams,
                            timecode=self.info.timecode,
                            first_frame=self.info.numbers[0],
                            last_frame=self.info.numbers[-1]),
                settings=asdict(self.s), model=dict(self.model_info),
                noise=self.noise, encoder=asdict(self.encoder) if self.encoder else None,
                device=str(self.device), frames=self.info.num_frames, restored=restored,
                seconds=elapsed, fps=restored / max(elapsed, 1e-9), **runner.stats)
            resumed = (f' ({self.info.num_frames - restored} resumed from earlier work)'
                       if restored < self.info.num_frames else '')
            logger.info('done: %d frames%s in %s (%.1f s), %.2f frames/s -> %s',
                        self.info.num_frames, resumed, format_seconds(elapsed), elapsed,
                        summary['fps'], self.output)
        if dist:
            tdist.barrier()
            tdist.destroy_process_group()
        return summary

    def _restore_segment(self, i, source, runner, progress, worker=None):
        """Restore segment ``i`` into its file; with ``worker``, writing runs there."""
        (a, b), (wa, wb) = self.segments[i], self.windows[i]
        frames = source.window(wa, wb)
        final = self.segment_path(i)
        part = final + '.part' + ('.mkv' if self.kind == 'video' else '')
        call = worker.submit if worker is not None else (lambda fn, *args: fn(*args))
        _remove(part)
        if self.kind == 'video':
            writer = SegmentWriter(part, self.info, self.encoder)
            write = writer.write
        else:
            os.makedirs(part)
            names = iter(osp.join(part, f'{j:08d}{self.encoder.ext}') for j in range(a, b))
            write = lambda rgb: write_frame(next(names), rgb, self.encoder)  # noqa: E731
        # reuse within the segment only: a segment's frames never depend on the segment
        # before it, so a resumed run writes what an uninterrupted one does
        for rgb in runner.run(frames, a - wa, b - wa):
            call(write, rgb)
            progress.update()
        if self.kind == 'video':
            call(writer.close)
        call(os.replace, part, final)

    def _join(self):
        """Segments -> temporary OUTPUT in the work folder -> rename; drop the work."""
        ext = osp.splitext(self.output)[1] if self.kind == 'video' else ''
        tmp = osp.join(self.work_dir, 'output.part' + ext)
        _remove(tmp)
        segs = [self.segment_path(i) for i in range(len(self.segments))]
        pattern = self.kind != 'video' and self.encoder.pattern
        if self.kind == 'video':
            join_segments(segs, tmp, self.info, encoder=self.encoder)
        else:
            # a pattern OUTPUT shares its folder with other files: its frames are moved
            # in one by one; a folder OUTPUT is filled here and renamed into place
            target = osp.dirname(self.output) if pattern else tmp
            os.makedirs(target, exist_ok=True)
            names = self._frame_names()
            for seg in segs:
                for f in sorted(os.listdir(seg)):
                    os.replace(osp.join(seg, f), osp.join(target, names[int(f[:8])]))
        old = None
        if not pattern:
            if osp.isdir(self.output):
                old = osp.join(self.work_dir, 'previous-output')
                os.replace(self.output, old)
            os.replace(tmp, self.output)
        if not self.s.keep_work:
            shutil.rmtree(self.work_dir, ignore_errors=True)
        elif old:
            shutil.rmtree(old, ignore_errors=True)

    def _frame_names(self):
        """Output file names (see :func:`~mmrestore.video.output_frame_names`)."""
        return output_frame_names(self.info, self.encoder)


class _WarningCollector(logging.Handler):
    """Keeps the text of the warnings logged during a run (for its summary)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def restore_video(input_path, output, settings=None, progress=None):
    """Restore INPUT into OUTPUT (see :class:`VideoRestorer`); returns the summary.

    ``progress``: None (a bar on a terminal, else log lines), True (a bar, a widget in
    a notebook), False (log lines) or a callable ``progress(done, total, fps)``.
    """
    return VideoRestorer(input_path, output, settings, progress).run()


def _remove(path):
    if osp.isdir(path):
        shutil.rmtree(path)
    elif osp.exists(path):
        os.remove(path)
