"""Running the repository's tools as recorded subprocess steps.

Every step of a comparison runs ``tools/train.py``, ``tools/synthesize.py``
or a scoring tool in a subprocess with a fixed number of OpenMP threads; its
exact command is recorded (repository-relative, :func:`portable`) and its
output goes to a log file that a failure names. Training always passes
``--resume``, so an interrupted step restarts from its last checkpoint.
"""
import os
import runpy
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, List, Optional, Union

from mmengine.config import Config
from mmengine.logging import MMLogger

from mmdgan.utils.cli import has_inner_whitespace
from mmdgan.utils.config import load_config

REPO_ROOT = Path(__file__).resolve().parents[2]


def portable(text: str) -> str:
    """``text`` with this checkout's root and interpreter left out, for a committed record.

    Paths inside the repository become relative to it (every tool runs from
    there) and the interpreter becomes ``python``; paths elsewhere stay absolute.
    """
    return text.replace(f'{sys.executable} ', 'python ').replace(f'{REPO_ROOT}/', '')


def resolve(path: Union[str, Path]) -> Path:
    """A recorded path, relative to the repository unless absolute."""
    return Path(path) if Path(path).is_absolute() else REPO_ROOT / path


def cfg_options(options: Dict[str, object]) -> List[str]:
    """``--cfg-options`` arguments for a tool run in a subprocess.

    Raises:
        ValueError: a value has whitespace that mmengine's parsing would
            delete (a path with a space would silently name another path).
    """
    if not options:
        return []
    args = ['--cfg-options']
    for key, value in options.items():
        text = str(value)
        if has_inner_whitespace(text):
            raise ValueError(f'cfg option {key}: the value {text!r} has whitespace, which '
                             "mmengine's key=value parsing deletes; use a path without spaces")
        args.append(f'{key}={text.replace(" ", "")}')
    return args


def schedule_options(config: str, iters: int) -> Dict[str, object]:
    """Stretch the config's schedule to ``iters`` iterations.

    Every iteration-valued field of every parameter scheduler (``begin``,
    ``end``, ``milestones``, ``T_max``) is scaled by ``iters / max_iters``,
    so warm-ups, steps and cosine periods keep their share of the run,
    whatever the scheduler types.
    """
    cfg = load_cfg(config)
    scale = iters / int(cfg.train_cfg.max_iters)
    schedulers = cfg.param_scheduler
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    options: Dict[str, object] = {'train_cfg.max_iters': iters,
                                  'train_cfg.val_interval': iters}
    for i, scheduler in enumerate(schedulers):
        for key in ('begin', 'end', 'T_max'):
            if key in scheduler:
                options[f'param_scheduler.{i}.{key}'] = max(
                    1 if key != 'begin' else 0, round(scheduler[key] * scale))
        if 'milestones' in scheduler:
            options[f'param_scheduler.{i}.milestones'] = [
                max(1, round(m * scale)) for m in scheduler['milestones']]
    return options


def load_cfg(config: str) -> Config:
    """A config file given relative to the repository or as a path."""
    return load_config(config if Path(config).is_file() else str(REPO_ROOT / config))


def config_iters(config: str) -> int:
    """``train_cfg.max_iters`` of a config file."""
    return int(load_cfg(config).train_cfg.max_iters)


def last_checkpoint(work_dir: Path) -> Optional[Path]:
    """The checkpoint mmengine recorded as the latest in ``work_dir``."""
    marker = work_dir / 'last_checkpoint'
    if not marker.is_file():
        return None
    path = Path(marker.read_text().strip())
    path = path if path.is_absolute() else REPO_ROOT / path
    return path if path.is_file() else None


def _iteration(checkpoint: Path) -> int:
    """The iteration of an ``iter_N.pth`` file name; -1 for any other name."""
    stem = checkpoint.stem
    return int(stem[5:]) if stem.startswith('iter_') and stem[5:].isdigit() else -1


def repair_resume_marker(work_dir: Path) -> Optional[str]:
    """Point ``last_checkpoint`` at a complete checkpoint, before resuming.

    mmengine resumes from whatever ``last_checkpoint`` names without checking
    the file. Its CheckpointHook deletes the oldest kept checkpoint *before*
    writing the next one, so with ``max_keep_ckpts=1`` (the runners' setting)
    a run killed while saving leaves a marker naming a deleted file, and the
    newest ``iter_N.pth`` may be the one cut short by the kill. The marker is
    moved to the newest checkpoint that is complete
    (:func:`mmdgan.fileio.checkpoint_problem`), or removed so that training
    starts over; a broken file is left where it is (the next save replaces it).

    Returns:
        What was done, for the log; None when the marker was fine or absent.
    """
    from mmdgan.fileio import checkpoint_problem, newest_sound_checkpoint, write_text_atomic

    marker = work_dir / 'last_checkpoint'
    if not marker.is_file():
        return None
    named = marker.read_text().strip()
    path = Path(named) if Path(named).is_absolute() else REPO_ROOT / named
    problem = checkpoint_problem(path)
    if problem is None:
        return None
    sound = newest_sound_checkpoint(work_dir, skip=[path])
    if sound is not None:
        write_text_atomic(str(sound.resolve()), marker)
        return f'{marker}: {named} is {problem}; resuming from {sound.name}'
    marker.unlink()
    return (f'{marker}: {named} is {problem} and no other complete checkpoint is left; '
            'starting over')


def _forget_visualizers() -> None:
    """Drop mmengine's visualizer instances, as a new process would start without them.

    Configs name their visualizer (``name='visualizer'``) and mmengine hands an
    existing instance of that name back, so every later run in this process
    would write into the first run's work dir, and fail once that is deleted.
    """
    from mmengine.visualization import Visualizer

    stack = [Visualizer]
    while stack:
        cls = stack.pop()
        cls._instance_dict.clear()
        stack.extend(cls.__subclasses__())


class ToolRunner:
    """Runs tools with ``threads`` OpenMP threads, logging every command.

    Args:
        threads: OpenMP / MKL threads of every tool process.
        python: Interpreter running the tools.
        log: Where progress lines go (default: the current ``MMLogger``).
        in_process: Run each tool's ``__main__`` in this process instead (no
            interpreter start-up and imports per step: the CI-sized tests use
            it). No isolation and no thread setting, so only one step at a time.
    """

    def __init__(self, threads: int = 1, python: str = sys.executable,
                 log: Optional[Callable[[str], None]] = None, in_process: bool = False) -> None:
        self.threads = threads
        self.python = python
        self.in_process = in_process
        self._log = log or MMLogger.get_current_instance().info

    def log(self, msg: str) -> None:
        self._log(msg)

    def __getstate__(self) -> dict:
        # Steps are pickled to the workers of a cluster; a worker logs to its own logger.
        return {k: v for k, v in self.__dict__.items() if k != '_log'}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _log=MMLogger.get_current_instance().info)

    def _run(self, cmd: List[str], log_file: Path, commands: List[str]) -> None:
        """Run one tool; its output goes to ``log_file``; a failure names it."""
        commands.append(portable(shlex.join(cmd)))
        log_file.parent.mkdir(parents=True, exist_ok=True)
        self.log(f'  $ {commands[-1]}')
        if self.in_process:
            self._run_here(cmd, log_file)
            return
        threads = str(self.threads)
        env = dict(os.environ, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
        with open(log_file, 'w') as f:
            proc = subprocess.run(cmd, cwd=REPO_ROOT, stdout=f, stderr=subprocess.STDOUT,
                                  env=env)
        if proc.returncode != 0:
            tail = ''.join(log_file.read_text().splitlines(keepends=True)[-25:])
            raise RuntimeError(f'step failed (exit {proc.returncode}), log: {log_file}\n{tail}')

    @staticmethod
    def _run_here(cmd: List[str], log_file: Path) -> None:
        """Run ``python TOOL ARGS...`` as ``__main__`` of this process, from the repository."""
        log_file.write_text(f'{shlex.join(cmd)}\nran in process: its output went to stdout\n')
        argv, cwd = sys.argv, os.getcwd()
        sys.argv = cmd[1:]
        _forget_visualizers()
        try:
            os.chdir(REPO_ROOT)
            runpy.run_path(cmd[1], run_name='__main__')
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise RuntimeError(f'step failed (exit {exc.code}): {shlex.join(cmd)}') from None
        except Exception as exc:
            raise RuntimeError(f'step failed ({exc!r}): {shlex.join(cmd)}') from exc
        finally:
            sys.argv = argv
            os.chdir(cwd)

    def _tool(self, name: str) -> List[str]:
        return [self.python, str(REPO_ROOT / 'tools' / name)]

    def _train(self, config: str, work_dir: Path, iters: int,
               options: Dict[str, object], commands: List[str]) -> Path:
        """Train (or resume) until the final checkpoint exists; returns it."""
        ckpt = last_checkpoint(work_dir)
        if ckpt is not None and ckpt.name == f'iter_{iters}.pth':
            return ckpt
        repaired = repair_resume_marker(work_dir)
        if repaired:
            self.log(f'  ! {repaired}')
        cmd = [*self._tool('train.py'), config, '--work-dir', str(work_dir), '--resume',
               *cfg_options(options)]
        self._run(cmd, work_dir / 'train.log', commands)
        ckpt = last_checkpoint(work_dir)
        if ckpt is None or ckpt.name != f'iter_{iters}.pth':
            raise RuntimeError(f'training finished without iter_{iters}.pth in {work_dir}')
        return ckpt
