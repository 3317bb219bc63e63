"""``python -m mmrestore COMMAND ...``: the console commands without their launchers.

    python -m mmrestore restore INPUT OUTPUT [options]    (= mmrestore-restore)
    python -m mmrestore score INPUT RESTORED [options]    (= mmrestore-score)
    python -m mmrestore prepare-dataset VIDEO... --out DIR (= mmrestore-prepare-dataset)
    python -m mmrestore --version
"""
import importlib
import sys


def main(argv=None):
    from mmrestore.commands import COMMANDS
    from mmrestore.version import __version__
    argv = sys.argv[1:] if argv is None else list(argv)
    usage = ('usage: python -m mmrestore {' + ','.join(COMMANDS) + '} ... '
             '(python -m mmrestore COMMAND --help for its options)')
    if not argv or argv[0] in ('-h', '--help'):
        print(__doc__.strip() if argv else usage)
        return 0 if argv else 2
    if argv[0] == '--version':
        print(f'mmrestore {__version__}')
        return 0
    if argv[0] not in COMMANDS:
        print(f'python -m mmrestore: error: unknown command {argv[0]!r} (choose from '
              f'{", ".join(COMMANDS)})', file=sys.stderr)
        return 2
    module, _ = COMMANDS[argv[0]]
    command = importlib.import_module(f'mmrestore.commands.{module}')
    return command.main(argv[1:], prog=f'python -m mmrestore {argv[0]}')


if __name__ == '__main__':
    sys.exit(main())
