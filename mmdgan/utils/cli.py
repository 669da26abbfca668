"""What the command-line tools share: runner arguments, one-line errors, SIGTERM handling."""
import argparse
import os
import signal
import sys
import threading
from typing import Callable, Dict, List, Optional

from mmengine.config import DictAction


def add_runner_args(parser: argparse.ArgumentParser, cfg_options_help: str) -> None:
    """Add ``--cfg-options``, ``--launcher`` and ``--local_rank`` as mmdet does, and ``--debug``."""
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help=cfg_options_help)
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_debug_arg(parser)


def export_local_rank(args: argparse.Namespace) -> argparse.Namespace:
    """Make ``--local_rank`` visible to torch.distributed, unless a launcher set it."""
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


#: Errors of bad input that the tools report in one line (``--debug``: traceback).
EXPECTED_ERRORS = (FileNotFoundError, FileExistsError, NotADirectoryError, ValueError, KeyError)


def positive_int(text: str) -> int:
    """argparse ``type`` for counts: an int >= 1 (argparse names the option on error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'must be an integer, got {text!r}') from None
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be >= 1, got {value}')
    return value


def add_synthetic_sets_args(parser: argparse.ArgumentParser, real_help: str,
                            nargs: str = '+') -> None:
    """``REAL NAME=PATH ...`` and ``--clean-root``: the tools that compare synthetic sets."""
    parser.add_argument('real', help=real_help)
    parser.add_argument('synthetic', nargs=nargs, metavar='NAME=PATH',
                        help='synthetic dataset train.json files (tools/synthesize.py output)')
    parser.add_argument('--clean-root', help='folder the recorded clean sources are relative to')


def named_paths(parser: argparse.ArgumentParser, items: List[str]) -> Dict[str, str]:
    """``NAME=PATH`` arguments as a dict, in order; anything else is a usage error."""
    for item in items:
        if '=' not in item:
            parser.error(f'synthetic sets are NAME=PATH, got {item!r}')
    return dict(item.split('=', 1) for item in items)


def add_debug_arg(parser: argparse.ArgumentParser) -> None:
    """Add ``--debug``: show the full traceback of an expected error."""
    parser.add_argument('--debug', action='store_true',
                        help='print the full traceback of input errors, not one line')


def sigterm_as_interrupt() -> None:
    """Make SIGTERM raise ``KeyboardInterrupt``, so a killed tool cleans up like on Ctrl-C.

    Only a process's main thread may install handlers; a tool run in a worker
    thread (the experiment runners' in-process mode) leaves signals to the
    process that owns them.
    """
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum, frame):
        raise KeyboardInterrupt(f'signal {signum}')

    signal.signal(signal.SIGTERM, handler)


def run_tool(main: Callable[[Optional[List[str]]], object],
             argv: Optional[List[str]] = None) -> int:
    """Run a tool's ``main(argv)`` as a command: expected errors as one line.

    Returns:
        The exit status: ``main``'s own if it returns an int, else 0; 1 for
        an input error; 130 when interrupted (Ctrl-C or SIGTERM, after the
        tool's own clean-up ran).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    sigterm_as_interrupt()
    try:
        status = main(argv)
    except KeyboardInterrupt:
        print('interrupted', file=sys.stderr)
        return 130
    except EXPECTED_ERRORS as e:
        if '--debug' in argv:
            raise
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f'error: {message}', file=sys.stderr)
        return 1
    return status if isinstance(status, int) else 0
