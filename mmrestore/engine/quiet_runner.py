"""An MMEngine runner with a quiet console (the log file keeps the full output)."""
from mmengine.runner import Runner

from mmrestore.utils.quiet import quiet_console


class QuietRunner(Runner):
    """:class:`~mmengine.runner.Runner` whose console omits the start-up dump.

    Environment, config, hook order and per-parameter optimizer lines go to the log
    file only (:func:`mmrestore.utils.quiet.quiet_console`); iterations, losses, ETA,
    checkpoints, warnings and errors show as usual.
    """

    def build_logger(self, *args, **kwargs):
        return quiet_console(super().build_logger(*args, **kwargs))
