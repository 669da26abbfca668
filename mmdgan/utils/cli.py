"""What the command-line tools share: runner arguments, one-line errors, SIGTERM handling."""
import argparse
import os
import re
import signal
import sys
import threading
from typing import Callable, Dict, List, Optional

from mmengine.config import DictAction


def has_inner_whitespace(value: str) -> bool:
    """Whether mmengine's key=value parsing would change ``value`` by deleting its spaces.

    Spaces around list punctuation (``[1, 2]``) change nothing; any other
    whitespace (``/path/a b/``) would silently become another value.
    """
    return bool(re.search(r'\s', re.sub(r'\s*([,\[\]()])\s*', r'\1', value).strip()))


class CfgOptionsAction(DictAction):
    """mmengine's ``DictAction`` that refuses what it would silently change.

    ``DictAction`` deletes every space of a value (``data_root=/path/a b/``
    becomes ``/path/ab/``, another folder), so a value with whitespace inside
    a word is a usage error naming it rather than a different setting.
    Spaces around list punctuation (``[1, 2]``) change nothing and pass.
    """

    def __call__(self, parser, namespace, values, option_string=None):
        for kv in values:
            key, _, value = kv.partition('=')
            if has_inner_whitespace(value):
                parser.error(f'{option_string} {key}: the value {value!r} has whitespace, '
                             'which mmengine\'s key=value parsing deletes; put the setting '
                             'in a config file (or use a path without spaces)')
        super().__call__(parser, namespace, values, option_string)


def add_runner_args(parser: argparse.ArgumentParser, cfg_options_help: str) -> None:
    """Add ``--cfg-options``, ``--launcher`` and ``--local_rank`` as mmdet does, and ``--debug``."""
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help=cfg_options_help)
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


def add_converter_args(parser: argparse.ArgumentParser,
                       default_size: Optional[int] = None) -> None:
    """Add the ``--out``, ``--overwrite``, ``--seed`` and ``--size`` options of every converter."""
    parser.add_argument('--out', required=True, help='output dataset folder')
    add_debug_arg(parser)
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an existing --out (only if it is a dataset folder)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the split')
    parser.add_argument('--size', type=int, default=default_size or 0,
                        help='resize images and boxes to SIZE x SIZE (0 keeps them)')


def add_synthetic_sets_args(parser: argparse.ArgumentParser, real_help: str,
                            nargs: str = '+') -> None:
    """``REAL NAME=PATH ...``, ``--clean-root`` and ``--debug``: the tools that compare
    synthetic sets (parse with :func:`parse_synthetic_sets`)."""
    parser.add_argument('real', help=real_help)
    parser.add_argument('synthetic', nargs=nargs, metavar='NAME=PATH',
                        help='synthetic dataset train.json files (tools/synthesize.py output)')
    parser.add_argument('--clean-root', help='folder the recorded clean sources are relative to')
    add_debug_arg(parser)


def parse_synthetic_sets(parser: argparse.ArgumentParser,
                         argv: Optional[List[str]]) -> argparse.Namespace:
    """Parse ``argv``; ``args.sets`` holds the ``NAME=PATH`` sets as ``{name: path}``."""
    args = parser.parse_args(argv)
    args.sets = named_paths(parser, args.synthetic)
    return args


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


def _interrupt_in(exc: BaseException) -> Optional[BaseException]:
    """The ``KeyboardInterrupt`` that ``exc`` is, or was raised while handling.

    Library code with a bare ``except`` turns an interrupt into another error:
    mmengine's ``Config.pretty_text`` (run for every checkpoint) re-raises
    anything as ``SyntaxError('Failed to format the config file ...')`` with
    the whole config in its message. The interrupt is still its context.
    """
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return exc
        seen.add(id(exc))
        exc = exc.__context__
    return None


def run_tool(main: Callable[[Optional[List[str]]], object],
             argv: Optional[List[str]] = None) -> int:
    """Run a tool's ``main(argv)`` as a command: expected errors as one line.

    A run stopped by the loss guard or the finite-weights check
    (``FloatingPointError``) is reported in one line too: its message is the
    diagnosis, and a traceback would suggest a bug.

    Returns:
        The exit status: ``main``'s own if it returns an int, else 0; 1 for
        an input error or a stop on non-finite values; 130 when interrupted
        (Ctrl-C or SIGTERM, after the tool's own clean-up ran).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    sigterm_as_interrupt()
    try:
        status = main(argv)
    except KeyboardInterrupt:
        print('interrupted', file=sys.stderr)
        return 130
    except (*EXPECTED_ERRORS, FloatingPointError) as e:
        if '--debug' in argv:
            raise
        if _interrupt_in(e) is not None:
            print('interrupted', file=sys.stderr)
            return 130
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        prefix = 'stopped' if isinstance(e, FloatingPointError) else 'error'
        print(f'{prefix}: {message}', file=sys.stderr)
        return 1
    except Exception as e:
        if _interrupt_in(e) is None or '--debug' in argv:
            raise
        print('interrupted', file=sys.stderr)
        return 130
    return status if isinstance(status, int) else 0
