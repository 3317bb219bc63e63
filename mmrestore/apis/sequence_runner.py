"""Run a sequence generator over a window of frames in short overlapping passes."""
import logging
from contextlib import nullcontext

import numpy as np
import torch
import torch.nn.functional as F

from mmrestore.errors import ModelInputError
from mmrestore.models.streaming import StreamingGenerator

DTYPES = {'fp32': torch.float32, 'fp16': torch.float16, 'bf16': torch.bfloat16}
logger = logging.getLogger('mmrestore.restore')


class SequenceRunner:
    """Restore frames with passes of at most ``max_seq_len`` frames on the device.

    Each pass restores a run of *core* frames and also feeds up to ``overlap`` context
    frames on each side, which are run but not returned, so frames at pass borders keep
    both propagation directions (thesis 4.1.4 cut propagation at sub-sequence borders).

    Safety (thesis 4.1.4's BasicVSR explosion): a pass whose output holds NaN/Inf is
    recomputed with half the length, down to single frames; a frame that is still not
    finite is replaced by its input frame. CUDA out-of-memory halves ``max_seq_len`` for
    the rest of the run and retries. No non-finite value is ever returned.

    Args:
        model (nn.Module): generator, ``(n, t, 3, h, w)`` in [0, 1] -> ``(n, t, 3, H, W)``.
        device (torch.device): where passes run (the model must be there).
        max_seq_len (int): L, frames per pass including context. Default: 30.
        overlap (int): K, context frames on each side of a pass. Default: 4.
        dtype (str): 'fp32', or 'fp16'/'bf16' autocast. Default: 'fp32'.
        downscale (int): resize inputs by 1/S first (bilinear, as cv2.INTER_LINEAR in the
            thesis) for x``S`` super-resolution models; outputs must then have the
            input's size (else they are resized bicubically to it). Default: 1.
        reuse (bool): fast path for a :class:`StreamingGenerator` (the thesis
            generator): the work of the previous pass (cleaned frames, SPyNet flows) is
            reused by the next one over their overlap, within one :meth:`run`. Same
            output up to float rounding of differently batched convolutions (at most 1
            code value seen on 16-bit outputs). Other models run plainly. Default: False.
        compile (bool): ``torch.compile`` the heavy sub-networks (CUDA only; ignored
            with a warning elsewhere; see :func:`compile_model`). Default: False.
    """

    def __init__(self, model, device, max_seq_len=30, overlap=4, dtype='fp32', downscale=1,
                 reuse=False, compile=False):
        if max_seq_len < 1 or overlap < 0 or downscale < 1:
            raise ValueError('need max_seq_len >= 1, overlap >= 0, downscale >= 1')
        if max_seq_len <= 2 * overlap:
            raise ValueError(f'max_seq_len ({max_seq_len}) must exceed 2 x overlap '
                             f'({overlap})')
        self.model, self.device = model, torch.device(device)
        self.max_seq_len, self.overlap = max_seq_len, overlap
        self.dtype, self.downscale = dtype, downscale
        self.stats = dict(passes=0, nonfinite_retries=0, fallback_frames=0, oom_retries=0)
        self.channels_last = self.device.type == 'cuda' and dtype != 'fp32'
        if self.channels_last:  # NHWC tensor-core kernels for half-precision convs
            model.to(memory_format=torch.channels_last)
        if compile:
            if self.device.type == 'cuda':
                compile_model(model)
            else:
                logger.warning('torch.compile is used on CUDA only; running eagerly')
        self.reuse = reuse and isinstance(model, StreamingGenerator)
        self.cache = {}  # the model's reuse cache (StreamingGenerator.forward_cached)

    def run(self, frames, lo=0, hi=None):
        """Yield restored frames ``lo .. hi-1`` of ``frames`` one by one.

        Args:
            frames (Sequence[np.ndarray]): RGB ``(h, w, 3)`` uint8/uint16 frames of a
                window (a list, or a lazy sequence with ``release(i)``, called once
                frames before ``i`` are no longer needed); those outside ``[lo, hi)``
                serve as context only.
            lo, hi (int): the core range to restore. Default: all frames.

        Yields:
            np.ndarray: restored ``(h, w, 3)`` frames of the input's dtype, in order.
            They do not depend on earlier calls: nothing is reused across them.
        """
        hi = len(frames) if hi is None else hi
        self.cache.clear()
        pos = lo
        while pos < hi:
            length = self.max_seq_len
            k = min(self.overlap, (length - 1) // 2)
            end = min(pos + length - 2 * k, hi)
            if hasattr(frames, 'release'):
                frames.release(pos - self.overlap)
            try:
                with torch.inference_mode():
                    outputs = self._guarded(frames, pos, end, length)
            except torch.OutOfMemoryError:
                if length == 1:
                    raise
                self.max_seq_len = max(1, length // 2)
                self.stats['oom_retries'] += 1
                torch.cuda.empty_cache()
                logger.warning('out of device memory with %d frames per pass; retrying '
                               'with --max-seq-len %d', length, self.max_seq_len)
                continue
            yield from outputs
            pos = end

    def _guarded(self, frames, lo, hi, length, reuse=True):
        """Outputs of core ``[lo, hi)`` with passes of ``length``; halve on non-finite."""
        k = min(self.overlap, (length - 1) // 2)
        a, b = max(0, lo - k), min(len(frames), hi + k)
        part = frames[a:b]
        keys = list(range(a, b)) if reuse else None
        out = self._forward(part, keys)
        core = out[lo - a:hi - a]
        if torch.isfinite(core).all():
            return self._to_numpy(core, part[0].dtype)
        self.cache.clear()  # may hold the non-finite values: recompute without reuse
        if length == 1:
            self.stats['fallback_frames'] += 1
            logger.warning('output not finite even for a single frame: the input frame '
                           'is written unchanged')
            return [frames[lo]]
        shorter = max(1, length // 2)
        self.stats['nonfinite_retries'] += 1
        logger.warning('NaN/Inf in a %d-frame pass: recomputing it with %d-frame passes',
                       b - a, shorter)
        results, pos = [], lo
        while pos < hi:
            kk = min(self.overlap, (shorter - 1) // 2)
            end = min(pos + shorter - 2 * kk, hi)
            results.extend(self._guarded(frames, pos, end, shorter, reuse=False))
            pos = end
        return results

    def _forward(self, frames, keys=None):
        """One pass: list of (h, w, 3) arrays -> (t, 3, H, W) float32 on the device.

        ``keys`` (frame indices in the window) enable the reuse of earlier work.
        """
        self.stats['passes'] += 1
        scale = 255. if frames[0].dtype == np.uint8 else 65535.
        h, w = frames[0].shape[:2]
        # frame by frame to the device: no (t, h, w, 3) copy of a 4K pass in host memory
        x = torch.empty((len(frames), 3, h, w), dtype=torch.float32, device=self.device)
        for i, frame in enumerate(frames):
            x[i] = torch.from_numpy(frame).to(self.device).permute(2, 0, 1).float()
        x.div_(scale)
        if self.downscale > 1:
            size = (max(1, round(h / self.downscale)), max(1, round(w / self.downscale)))
            x = F.interpolate(x, size=size, mode='bilinear', align_corners=False)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        autocast = (torch.autocast(self.device.type, dtype=DTYPES[self.dtype])
                    if self.dtype != 'fp32' else nullcontext())
        with autocast:
            try:
                if self.reuse and keys is not None:
                    self.model.prune_cache(self.cache, keys[0])
                    out = self.model.forward_cached(x.unsqueeze(0), keys, self.cache)
                else:
                    out = self.model(x.unsqueeze(0))
            except AssertionError as exc:  # e.g. BasicVSR's "at least 64 pixels"
                raise ModelInputError(f'the model refused {x.shape[-1]}x{x.shape[-2]} '
                                      f'frames: {exc}') from None
        if isinstance(out, (tuple, list)):
            out = out[0]
        out = out[0].float()
        if out.shape[-2:] != (h, w):
            if self.downscale == 1:
                raise ModelInputError(
                    f'the model maps {w}x{h} frames to {out.shape[-1]}x{out.shape[-2]}; '
                    f'for an x{out.shape[-1] // w} super-resolution model use --downscale '
                    f'{max(1, out.shape[-1] // w)}')
            out = F.interpolate(out, size=(h, w), mode='bicubic', align_corners=False)
        return out

    @staticmethod
    def _to_numpy(out, dtype):
        """(t, 3, h, w) float in [0, 1] -> list of (h, w, 3) arrays of ``dtype``."""
        scale = 255. if dtype == np.uint8 else 65535.
        q = out.clamp_(0, 1).mul_(scale).round_().permute(0, 2, 3, 1)
        try:
            q = q.to(torch.uint8 if dtype == np.uint8 else torch.uint16).cpu().numpy()
        except (RuntimeError, TypeError):  # a device without uint16 casts
            q = q.to(torch.int32).cpu().numpy().astype(dtype)
        return list(q)


def compile_model(model, backend='inductor'):
    """``torch.compile`` a generator in place (``nn.Module.compile`` keeps parameter
    names): the parts a :class:`StreamingGenerator` names, with fixed shapes; other
    models whole.

    Args:
        model (nn.Module): e.g. ``UNetRealBasicVSRNet`` or ``RealBasicVSRNet``.
        backend (str): ``torch.compile`` backend. Default: 'inductor'.

    Returns:
        list[str]: names of the compiled modules ('' for the whole model).
    """
    if not isinstance(model, StreamingGenerator):
        model.compile(backend=backend)
        return ['']
    parts = model.compile_parts()
    for _, module in parts:
        module.compile(backend=backend, dynamic=False)
    return [name for name, _ in parts]
