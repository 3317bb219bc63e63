"""The command lines, installed as console commands (``setup.py``'s entry points).

- ``mmrestore-restore`` = ``python -m mmrestore restore``: :mod:`.restore_video`
- ``mmrestore-score`` = ``python -m mmrestore score``: :mod:`.score_video`
- ``mmrestore-prepare-dataset`` = ``python -m mmrestore prepare-dataset``:
  :mod:`.prepare_dataset`

``tools/restore_video.py``, ``tools/score_video.py`` and ``tools/prepare_dataset.py`` of
a source checkout call the same ``main``. Each module imports only the standard library
and :mod:`mmrestore.cli` up front, so argument errors come back before torch or mmagic
load; ``main(argv)`` returns the exit status and can be called in-process.
"""
# subcommand of `python -m mmrestore` -> (module, console command)
COMMANDS = {
    'restore': ('restore_video', 'mmrestore-restore'),
    'score': ('score_video', 'mmrestore-score'),
    'prepare-dataset': ('prepare_dataset', 'mmrestore-prepare-dataset'),
}
