# Sourced by the launchers: the interpreter to run, as PYTHON.
# $PYTHON if set, else the project's .venv (made by `make setup`), else python3 on PATH,
# so the launchers work from a shell where no virtual environment is activated.
if [ -z "${PYTHON:-}" ]; then
    _repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    if [ -x "$_repo/.venv/bin/python" ]; then
        PYTHON="$_repo/.venv/bin/python"
    else
        PYTHON=python3
    fi
fi
