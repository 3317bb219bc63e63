"""A quiet console: known third-party chatter silenced, the full start-up dump kept in
the log file.

``import mmrestore`` calls :func:`silence_third_party_warnings` before it imports MMagic
(whose imports of diffusers and ``torch.jit.script`` users emit deprecation warnings
meant for those libraries' maintainers). Only the listed categories and modules are
silenced; our own warnings and any other library's still show.

:func:`quiet_console` drops MMEngine's start-up records (environment, config dump,
hook order, one ``paramwise_options`` line per parameter, deprecation notices of
MMEngine's own file I/O) from a logger's console handlers only, so a short training run
shows iterations, losses, ETA and checkpoints while the log file keeps everything.
"""
import logging
import warnings

# (category, module whose code emits it, message start): import-time deprecations of
# third-party code, not actionable by our users
THIRD_PARTY_WARNINGS = (
    (FutureWarning, r'diffusers\.', ''),
    (FutureWarning, r'torch\.jit\._script', r'`torch\.jit\.script` is deprecated'),
    (DeprecationWarning, r'mmagic\.', ''),
    (DeprecationWarning, r'(mmengine\.|importlib)', r'pkg_resources is deprecated'),
    (UserWarning, r'(mmengine\.|importlib)', r'pkg_resources is deprecated'),
)

# Start of the MMEngine/MMagic console records that only repeat what the log file holds
CONSOLE_CHATTER = (
    '\n------------------------------------------------------------\nSystem environment',
    'Config:\n',
    'Hooks will be executed in the following order',
    'paramwise_options -- ',
    'Distributed training is not used, all SyncBatchNorm',
    '"FileClient" will be deprecated in future',
    '"HardDiskBackend" is the alias of "LocalBackend"',
)
_META = 'is not a meta file, simply parsed as meta information'  # dataset metainfo


def silence_third_party_warnings():
    """Ignore the warnings of :data:`THIRD_PARTY_WARNINGS` (idempotent)."""
    for category, module, message in THIRD_PARTY_WARNINGS:
        warnings.filterwarnings('ignore', message=message, category=category,
                                module=module)


class ConsoleChatterFilter(logging.Filter):
    """Drop the records of :data:`CONSOLE_CHATTER` (for console handlers)."""

    def filter(self, record):
        msg = str(record.msg)
        return not (msg.startswith(CONSOLE_CHATTER) or msg.endswith(_META))


def quiet_console(logger):
    """Add :class:`ConsoleChatterFilter` to the console handlers of ``logger``.

    File handlers are left alone: the log file keeps the full output.

    Returns:
        logging.Logger: ``logger``.
    """
    for handler in logger.handlers:
        if isinstance(handler, logging.FileHandler) or \
                not isinstance(handler, logging.StreamHandler):
            continue
        if not any(isinstance(f, ConsoleChatterFilter) for f in handler.filters):
            handler.addFilter(ConsoleChatterFilter())
    return logger
