"""Stream-restore a long video (or frame folder) in bounded memory, resumably.

The video is cut into *segments* of ``chunk_frames - 2 * overlap`` frames. A segment is
decoded together with ``overlap`` context frames on each side (at most ``chunk_frames``
decoded frames in memory), restored by :class:`SequenceRunner` in passes of at most
``max_seq_len`` frames, and encoded frame by frame into its own file in a work folder
next to OUTPUT (named by a hash of the input and every setting that changes the
result). A finished segment is flushed to the disk and renamed into place, so a killed
run resumes from the finished segments; a resume checks each one it reuses (frame count,
every PNG complete) and restores again what fails. When all are there, they are
stream-copied (with the source's timestamps and audio) into a temporary file, or their
PNGs hard-linked into a temporary folder, that is renamed to OUTPUT; the segments stay
whole until OUTPUT is complete, so a run killed while joining joins again.

One run per OUTPUT: :class:`~.output_safety.OutputLock`. ``--overwrite`` replaces OUTPUT
only once the new result is complete, and a frame folder only when it is a previous
output of this tool (its marker file lists what it holds). A full disk or another write
fault is one line naming the file and the space needed; the finished segments are kept.

Under ``torchrun`` every rank restores a contiguous run of segments; rank 0 joins them.
Segment borders do not depend on the number of processes, so the result is the same.
"""
import errno
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

from mmrestore.errors import MMRestoreError, RestoreError, VideoIOError
from mmrestore.video import (BackgroundWorker, FramePrefetcher, FrameSource, SegmentWriter,
                             dropped_properties, encode_frame, join_segments, keeps_alpha,
                             kept_properties, output_frame_names, probe_source)
from .denoise_control import (SAMPLE_FRAMES, configure_denoising, describe_noise,
                              is_noise_aware)
from .model_loader import describe_device, load_generator
from .output_safety import (OutputLock, foreign_files, format_bytes, free_space,
                            fsync_path, frame_complete, remove_previous_output, tree_size,
                            write_error, write_file, write_marker)
from .progress import Progress, format_seconds
from .sequence_runner import SequenceRunner
from .settings import RestoreSettings, check_paths, preflight

logger = logging.getLogger('mmrestore.restore')
FORMAT_VERSION = 2  # bump when segment files change meaning (2: alpha, pixel aspect)


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
        self._done = None  # segments found finished and whole (see verify_segments)
        self._open_writers = set()  # segment files being written
        self._parts = set()  # half-written paths of this process (removed on a fault)
        self._part_path, self._part_frames = None, 0  # the segment being written

    # ----------------------------------------------------------------- planning
    def segment_path(self, i):
        return osp.join(self.work_dir, f'seg_{i:05d}' + ('.mkv' if self.kind == 'video' else ''))

    def is_done(self, i):
        """Segment ``i`` is finished and whole (as checked at the start of the run)."""
        if self._done is None:
            return not self.check_segment(i)
        return i in self._done

    def check_segment(self, i):
        """'' when segment ``i`` is finished and whole, else what is wrong ('missing').

        A video segment must demux to its number of frames at the source's size (a
        truncated file loses its last frames); a frame segment must hold each of its
        PNGs complete (signature and end chunk).
        """
        path = self.segment_path(i)
        a, b = self.segments[i]
        if not osp.lexists(path):
            return 'missing'
        if self.kind == 'video':
            try:
                info = probe_source(path)
            except VideoIOError:
                return 'unreadable'
            if info.num_frames != b - a:
                return f'incomplete ({info.num_frames} of {b - a} frames)'
            if (info.width, info.height) != (self.info.width, self.info.height):
                return f'of another frame size ({info.width}x{info.height})'
            return ''
        if not osp.isdir(path):
            return 'not a folder'
        ext = self.encoder.ext
        bad = [j for j in range(a, b) if not frame_complete(osp.join(path, f'{j:08d}{ext}'))]
        if bad:
            return (f'incomplete ({len(bad)} of {b - a} frames missing or cut short, '
                    f'first {bad[0]:08d}{ext})')
        return ''

    def verify_segments(self, indices=None, warn=True):
        """The finished, whole segments among ``indices`` (default: all); a warning for
        each one that is there but damaged (it is restored again)."""
        done = set()
        for i in range(len(self.segments)) if indices is None else indices:
            why = self.check_segment(i)
            if not why:
                done.add(i)
            elif why != 'missing' and warn:
                a, b = self.segments[i]
                logger.warning('segment %d (frames %d-%d) in %s is %s: restoring it again',
                               i, a, b - 1, self.work_dir, why)
        return done

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
        kept = ''.join(f', {k}' for k in kept_properties(info, self.encoder, self.output))
        out = (f'video {self.output} ({self.encoder.describe()}'
               f'{", audio copied" if info.audio_streams else ""}{kept})'
               if self.kind == 'video'
               else f'{"frames" if self.encoder.pattern else "folder"} {self.output} '
               f'({self.encoder.describe()}{kept})')
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

        OUTPUT is locked (:class:`~.output_safety.OutputLock`, by rank 0 under
        torchrun) from the start to the end of the run.

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
            summary = self._run_locked()
        finally:
            for log in loggers:
                log.removeHandler(collector)
        if summary is not None:
            summary['warnings'] = collector.messages
        return summary

    def _run_locked(self):
        dist = self.world > 1
        if dist:
            import torch.distributed as tdist
            if not tdist.is_initialized():
                tdist.init_process_group('gloo', timeout=timedelta(days=7))
        lock = OutputLock(self.output) if self.rank == 0 else None
        failure = None
        if lock is not None:
            try:
                lock.acquire()
                # again under the lock: another run may have written OUTPUT since
                check_paths(self.input, self.output, self.kind, self.s.overwrite)
            except MMRestoreError as exc:
                lock.release()
                failure = exc
        if dist:  # every rank stops when rank 0 cannot have OUTPUT
            box = [str(failure) if failure is not None else None]
            tdist.broadcast_object_list(box, src=0)
            if box[0] is not None and failure is None:
                failure = RestoreError(box[0])
        if failure is not None:
            raise failure
        try:
            return self._run(dist)
        finally:
            if lock is not None:
                lock.release()

    def _run(self, dist):
        t0 = time.monotonic()
        if dist:
            import torch.distributed as tdist
        self.load_model()  # first: a bad --config/--checkpoint leaves nothing behind
        try:
            os.makedirs(self.work_dir, exist_ok=True)
        except OSError as exc:
            raise self._write_error(exc) from None
        # reuse only what is whole: a damaged segment is restored again
        self._done = self.verify_segments(warn=self.rank == 0)
        mine = self.my_segments()
        todo = [i for i in mine if i not in self._done]
        todo_all = [i for i in range(len(self.segments)) if i not in self._done]
        if dist:
            tdist.barrier()  # every rank saw the finished segments before work starts
        measured = True
        if self.rank == 0:
            for line in self.plan_lines():
                logger.info(line)
            for what in dropped_properties(self.info, self.encoder, self.output):
                logger.warning(f'dropped: {what}')
            if self.model_info['random_weights']:
                logger.warning('RANDOM WEIGHTS: no --checkpoint for this model; the output '
                               'shows an untrained network, not a restoration')
            measured = self._warn_space()
        total = sum(b - a for a, b in (self.segments[i] for i in mine))
        done = total - sum(b - a for a, b in (self.segments[i] for i in todo))
        progress = Progress(total, done, enabled=self.rank == 0, tty=self.progress_mode)
        runner = SequenceRunner(self.model, self.device, self.s.max_seq_len, self.s.overlap,
                                self.s.dtype, self.s.downscale, reuse=self.s.reuse,
                                compile=self.s.compile)
        # alpha planes are decoded only when the output keeps them
        source = FrameSource(self.info, strict=self.s.strict,
                             alpha=keeps_alpha(self.info, self.encoder))
        prefetcher = writer = None
        if self.s.background_io:
            # decoded frames: a pass in use (<= L) + the queue (Q - L) <= Q
            prefetcher = FramePrefetcher(source, [self.windows[i] for i in todo],
                                         self.s.chunk_frames - self.s.max_seq_len)
            writer = BackgroundWorker(depth=self.s.max_seq_len)
        try:
            try:
                for i in todo:
                    if not measured:  # once a segment is finished: a measured estimate
                        measured = self._warn_space()
                    self._restore_segment(i, prefetcher or source, runner, progress, writer)
                if writer is not None:
                    writer.finish()
                    writer = None
            finally:
                if writer is not None:
                    writer.cancel()
                self._abort_writers()
                if prefetcher is not None:
                    prefetcher.close()
                source.close()
                progress.close()
        except OSError as exc:  # disk full, file too large, a failing disk ...
            raise self._write_error(exc) from None
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
            restored_now = self.verify_segments(todo_all, warn=False)
            missing = [i for i in range(len(self.segments))
                       if i not in restored_now and (i in todo_all
                                                     or not osp.exists(self.segment_path(i)))]
            if missing:
                raise RestoreError(f'segments {missing[:5]} are missing or incomplete in '
                                   f'{self.work_dir}')
            try:
                self._join()
            except OSError as exc:
                raise self._write_error(exc) from None
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
        _remove(final)  # there but damaged (see verify_segments): restored again
        self._parts.add(part)
        if self.kind == 'video':
            writer = SegmentWriter(part, self.info, self.encoder)
            self._open_writers.add(writer)

            def write(rgb, alpha):
                writer.write(rgb, alpha=alpha)
                self._part_frames += 1

            def finish():
                writer.close()
                self._open_writers.discard(writer)
                fsync_path(part)  # a renamed segment is on the disk, power cut or not
                os.replace(part, final)
                self._parts.discard(part)
        else:
            os.makedirs(part)
            names = iter(osp.join(part, f'{j:08d}{self.encoder.ext}') for j in range(a, b))

            def write(rgb, alpha):  # encoded in memory: a write error is an OSError
                write_file(next(names), encode_frame(rgb, self.encoder, alpha=alpha),
                           sync=True)
                self._part_frames += 1

            def finish():
                os.replace(part, final)
                self._parts.discard(part)

        call(self._start_part, part)
        # reuse within the segment only: a segment's frames never depend on the segment
        # before it, so a resumed run writes what an uninterrupted one does. The alpha
        # plane of window frame k (None unless kept) is taken here, in this thread,
        # while the runner still holds the frame.
        for k, rgb in enumerate(runner.run(frames, a - wa, b - wa), a - wa):
            call(write, rgb, frames.alpha(k))
            progress.update()
        call(finish)

    def _start_part(self, part):
        """In the writing thread: frames of ``part`` are written from now on."""
        self._part_path, self._part_frames = part, 0

    def _abort_writers(self):
        """Close segment files left open by an error (no half-flushed FFmpeg noise)."""
        for writer in list(self._open_writers):
            try:
                writer.abort()
            except Exception:  # noqa: BLE001  (the error that stopped it is raised)
                pass
        self._open_writers.clear()

    def _join(self):
        """Segments -> temporary OUTPUT in the work folder -> OUTPUT; drop the work.

        Frames are hard-linked (copied where links fail), not moved: the segments stay
        whole until OUTPUT is in place, so a run killed while joining joins again.
        """
        ext = osp.splitext(self.output)[1] if self.kind == 'video' else ''
        tmp = osp.join(self.work_dir, 'output.part' + ext)
        _remove(tmp)
        self._parts.add(tmp)
        segs = [self.segment_path(i) for i in range(len(self.segments))]
        pattern = self.kind != 'video' and self.encoder.pattern
        if self.kind == 'video':
            self._check_join_space(segs)
            join_segments(segs, tmp, self.info, encoder=self.encoder)
            fsync_path(tmp)
        else:
            # a pattern OUTPUT shares its folder with other files: its frames are moved
            # in one by one; a folder OUTPUT is filled here and renamed into place
            target = osp.dirname(self.output) if pattern else tmp
            os.makedirs(target, exist_ok=True)
            names = self._frame_names()
            ext = self.encoder.ext
            for seg, (a, b) in zip(segs, self.segments):
                for j in range(a, b):
                    # a pattern OUTPUT: each frame is linked beside the other files (a
                    # rerun after a kill links the rest); a folder: filled, then renamed
                    dst = osp.join(target, names[j])
                    if pattern and osp.lexists(dst):
                        os.remove(dst)
                    _link(osp.join(seg, f'{j:08d}{ext}'), dst)
            if not pattern:
                write_marker(tmp, names, self.input)
        if not pattern:
            self._replace_output(tmp)
        self._parts.discard(tmp)
        if not self.s.keep_work:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    def _replace_output(self, tmp):
        """Move the complete result ``tmp`` to OUTPUT. A previous frame-folder OUTPUT is
        moved aside first and then only the files it lists are deleted."""
        out = self.output
        parent, name = osp.split(out)
        appeared = (f'OUTPUT {out} appeared during the restore; the result is complete '
                    f'in {self.work_dir}: move it away (or use --overwrite) and run the '
                    'same command again')
        if self.kind == 'video':
            if osp.lexists(out) and not self.s.overwrite:
                raise RestoreError(appeared)
            os.replace(tmp, out)
            _fsync_dir(parent)
            return
        for old in os.listdir(parent):  # moved aside by a run killed at this point
            if old.startswith(f'.{name}.previous-'):
                remove_previous_output(osp.join(parent, old))
        aside = None
        if osp.lexists(out):
            if osp.isdir(out) and not os.listdir(out):
                os.rmdir(out)
            elif not self.s.overwrite:
                raise RestoreError(appeared)
            else:
                reason = foreign_files(out) if osp.isdir(out) else 'it is a file'
                if reason:
                    raise RestoreError(f'--overwrite will not replace {out}: {reason}; the '
                                       f'result is complete in {self.work_dir}: move it '
                                       'away and run the same command again')
                aside = osp.join(parent, f'.{name}.previous-{os.getpid()}')
                os.replace(out, aside)
        os.replace(tmp, out)
        _fsync_dir(parent)
        if aside is not None and not remove_previous_output(aside):
            logger.warning('kept %s (the previous OUTPUT): not all of it could be '
                           'removed (files restore_video did not write, or permissions)',
                           aside)

    # ------------------------------------------------------------- disk space, faults
    def _space_needed(self):
        """(bytes still to write until OUTPUT is complete, measured or guessed).

        Measured from the finished segments (or the one being written); the join of a
        video writes one more copy of them. Guessed before any frame is written.
        """
        frames = size = 0
        for i, (a, b) in enumerate(self.segments):
            path = self.segment_path(i)
            if osp.exists(path):
                frames += b - a
                size += tree_size(path)
        measured = True
        if frames:
            per_frame = size / frames
        elif self._part_frames and self._part_path:
            per_frame = tree_size(self._part_path) / self._part_frames
        else:
            measured = False
            info = self.info
            raw = info.width * info.height * 3 * (2 if info.bit_depth > 8 else 1)
            if self.kind == 'folder':  # PNG: about 60 % of the raw samples
                per_frame = 0.6 * raw
            elif info.is_folder:  # visually lossless video: about 10 % of raw
                per_frame = 0.1 * raw
            else:  # about the input's rate
                per_frame = osp.getsize(info.path) / info.num_frames
        need = per_frame * (self.info.num_frames - frames)
        if self.kind == 'video':
            need += per_frame * self.info.num_frames
        return int(need * 1.05) + (64 << 10), measured

    def _warn_space(self):
        """Warn when the free space is short of what the rest needs; True once the
        estimate is measured (no further checks then)."""
        need, measured = self._space_needed()
        free = free_space(self.work_dir)
        if free is not None and free < (need if measured else need / 2):
            logger.warning('disk space: finishing %s needs about %s more in %s%s, %s free; '
                           'the run stops when the disk is full (finished segments are '
                           'kept for a rerun)', self.output, format_bytes(need),
                           osp.dirname(self.output),
                           '' if measured else ' (guessed from the input)',
                           format_bytes(free))
            return True
        return measured

    def _check_join_space(self, segs):
        """Refuse at once a join that cannot fit: the output is a copy of the segments."""
        size = sum(tree_size(p) for p in segs)
        free = free_space(self.work_dir)
        if free is not None and free < size:
            raise write_error(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), self.output,
                              size, free, self._kept(), osp.dirname(self.output))

    def _kept(self):
        done = sum(osp.exists(self.segment_path(i)) for i in range(len(self.segments)))
        return f'{done} of {len(self.segments)} segments are kept in {self.work_dir}'

    def _write_error(self, exc):
        """One line for an ``OSError`` while restoring: the file, the space needed and
        free; half-written files are removed (they are redone) to free their space."""
        path = exc.filename
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        path = path or self.work_dir
        src = osp.realpath(self.input)
        real = osp.realpath(path)
        if real == src or real.startswith(osp.join(src, '')):
            return VideoIOError(f'cannot read {path}: {exc.strerror or exc}')
        if real.startswith(osp.join(osp.realpath(self.work_dir), 'output.part')):
            path = self.output  # the join
        need, _ = self._space_needed()
        for part in list(self._parts):
            try:
                _remove(part)
            except OSError:
                pass
        self._parts.clear()
        where = osp.dirname(self.output)
        return write_error(exc, path, need, free_space(where), self._kept(), where)

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
    if osp.isdir(path) and not osp.islink(path):
        shutil.rmtree(path)
    elif osp.lexists(path):
        os.remove(path)


# where a file system has no hard links: FAT/exFAT (EPERM), some shares (ENOTSUP)
_NO_LINK = {errno.EPERM, errno.EMLINK, errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP}


def _link(src, dst):
    """Hard-link a finished frame into the joined folder (a copy where links fail)."""
    try:
        os.link(src, dst)
    except OSError as exc:
        if exc.errno not in _NO_LINK:
            raise
        shutil.copyfile(src, dst)


def _fsync_dir(path):
    """Flush a folder's entries (a rename) to the disk, where the file system can."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
