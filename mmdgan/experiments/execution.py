"""The steps of a comparison as a task graph, run on a Dask cluster.

Some hundred steps (warm-start detectors, GANs, synthetic sets, detector units,
quality scores) of ~60 core-hours, which users will want to spread over several
machines: ``dask.distributed`` gives workers on any number of machines and per-step
failure isolation (the runner hands the steps out itself, in priority order: see
:func:`_run_on`), is pure Python and a few MB, and reaches a cluster through one
scheduler address; Ray offers the same with a much larger install, an object store and
daemons this workload (every step a subprocess reading and writing files) does not use.
Locally: an in-process cluster of ``workers`` threads, one step each, every step a
tool subprocess with its own OpenMP threads. On a cluster the workers see the repository,
data, work and results dirs at the same paths: the unit store on disk stays the source
of truth and a rerun repeats nothing that finished (docs/experiments.md).
"""
import heapq
import uuid
from typing import Callable, Dict, Hashable, List, Optional, Sequence, Tuple, Union

from .plan import DetUnit, Source

Task = Tuple[str, Hashable]

#: Step functions of the local clusters running now, by token: their workers (threads of this
#: process) call ``work`` itself, not a pickled copy; a remote cluster gets it pickled.
_LOCAL_WORK: Dict[str, Callable[[Task], None]] = {}


def fraction_first(units: Sequence[DetUnit], fraction: Optional[float],
                   last_arms: Sequence[str] = ()) -> List[DetUnit]:
    """``units`` with those at ``fraction`` (every fold seed; ``None``: no fraction ahead)
    moved ahead of the rest, and within each group the units of ``last_arms`` after the
    others: an ablation that does not decide the goal waits for the arms that do. Each
    group keeps its given order."""
    last = set(last_arms)
    return sorted(units, key=lambda unit: (fraction is not None and unit.fraction != fraction,
                                           unit.arm in last))


def task_graph(store, todo: Sequence[DetUnit], unscored: Sequence[Source] = ()
               ) -> Dict[Task, tuple]:
    """Every step ``todo`` and the quality scores of ``unscored`` need, mapped to the
    steps they wait for.

    Steps: ``('det', unit)``, ``('warm', real unit)`` (the detector a GAN starts
    from), ``('gan', source)``, ``('synth', (source, num))``, ``('quality', source)``.
    Insertion order is priority: a step comes right before the first unit that needs
    it, so complete, pairable results appear in the plan's order.
    """
    graph: Dict[Task, tuple] = {}
    todo_set = set(todo)
    unscored = list(unscored)
    pending_sources = {u.source for u in todo}
    for source in unscored:
        if source not in pending_sources:
            graph[('quality', source)] = ()

    def gan(source: Source) -> Task:
        """Add the GAN of ``source`` and what it starts from; a finished GAN whose
        checkpoint is still there needs neither."""
        key = ('gan', source)
        if key not in graph:
            needs = []
            init = store.plan.init_source(source)
            if store.gan_checkpoint(source) is None:
                if init is not None:
                    needs.append(gan(init))
                real = source.warm if store.s.warm_start else None
                if real is not None:
                    # The warm run and the real-only seed-0 unit train in the same work
                    # dir: never side by side.
                    graph.setdefault(('warm', real),
                                     (('det', real),) if real in todo_set else ())
                    needs.append(('warm', real))
            graph[key] = tuple(needs)
        return key

    for unit in todo:
        source = unit.source
        needs: tuple = (gan(source),) if source is not None and source.is_gan else ()
        if source is not None:
            synth = ('synth', (source, store.plan.num_syn(unit)))
            graph.setdefault(synth, needs)
            needs = (synth,)
        graph[('det', unit)] = needs
        if source in unscored and ('quality', source) not in graph:
            graph[('quality', source)] = (gan(source),) if source.is_gan else ()
    return graph


def _step(work: Union[str, Callable[[Task], None]], task: Task) -> None:
    """One task of the cluster."""
    (_LOCAL_WORK[work] if isinstance(work, str) else work)(task)


def run_graph(graph: Dict[Task, tuple], work: Callable[[Task], None], workers: int = 2,
              scheduler: Optional[str] = None, log: Callable[[str], None] = print,
              on_done: Optional[Callable[[Task], object]] = None) -> None:
    """Run the steps of ``graph``, each as soon as the steps it needs have finished.

    A failed step does not idle the cluster for the rest of a long run: the
    steps that need its output are dropped, every other step still runs (each
    is resumable, so a rerun after the fix repeats nothing), and then one error
    names every failure.

    Args:
        graph: Step -> steps it needs (:func:`task_graph`); insertion order is priority.
        work: Runs one step (pickled to the workers of a remote cluster).
        workers: Threads of the local cluster, one step each.
        scheduler: A Dask scheduler's address (``tcp://host:8786``); ``None``: local.
        log, on_done: Take each failure's line / each finished step, on this process.
    """
    from dask.distributed import Client, LocalCluster

    if not graph:
        return  # nothing left to run: no cluster to start
    missing = {d for needs in graph.values() for d in needs if d not in graph}
    if missing:
        raise RuntimeError(f'steps wait for steps that never run: {sorted(map(str, missing))[:3]}')
    cluster, token = None, None
    if not scheduler:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=False,
                               dashboard_address=None)
        token = uuid.uuid4().hex
        _LOCAL_WORK[token] = work
    try:
        _run_on(Client(scheduler or cluster), graph, token or work, log, on_done)
    finally:
        _LOCAL_WORK.pop(token, None)
        if cluster is not None:
            cluster.close()


def _run_on(client, graph: Dict[Task, tuple], work: Union[str, Callable[[Task], None]],
            log: Callable[[str], None], on_done: Optional[Callable[[Task], object]]) -> None:
    """Hand the cluster's free threads the highest-priority ready steps, one step per
    thread, and wait for every step.

    The dispatch is ours, not Dask's: given the whole graph, Dask queues a second step on a
    busy one-thread worker, so a worker that ends a GAN starts the next GAN queued there
    before the finished GAN's synthetic set and detector unit (higher priority) can reach
    it, and they wait a whole GAN. Here a step is submitted only into a free thread, when
    every step it needs has finished; the thread count is read again at each hand-out, so
    workers that join a remote cluster late get steps.
    """
    from dask.distributed import as_completed

    rank = {task: i for i, task in enumerate(graph)}
    waiting = {task: set(needs) for task, needs in graph.items()}
    dependents: Dict[Task, List[Task]] = {task: [] for task in graph}
    for task, needs in graph.items():
        for need in needs:
            dependents[need].append(task)
    ready = [(rank[task], task) for task, needs in waiting.items() if not needs]
    heapq.heapify(ready)
    running: Dict[str, Task] = {}
    errors: Dict[Task, BaseException] = {}
    done: List[Task] = []
    with client:
        pending = as_completed()

        def hand_out() -> None:
            slots = max(1, sum(client.nthreads().values()))
            while ready and len(running) < slots:
                i, task = heapq.heappop(ready)
                future = client.submit(_step, work, task, key=f'{task[0]}-{i}', pure=False)
                running[future.key] = task
                pending.add(future)

        hand_out()
        for future in pending:
            task = running.pop(future.key)
            if future.status == 'finished':
                done.append(task)
                if on_done is not None:
                    on_done(task)
                for after in dependents[task]:
                    waiting[after].discard(task)
                    if not waiting[after]:
                        heapq.heappush(ready, (rank[after], after))
            else:
                errors[task] = future.exception()
                first_line = (str(errors[task]).splitlines() or [repr(errors[task])])[0]
                log(f'[{task[0]} {task[1]}] FAILED: {first_line}')
            hand_out()
    if errors:
        failed = sorted(errors, key=rank.__getitem__)
        first = errors[failed[0]]
        raise RuntimeError(
            f'{len(failed)} step(s) failed ({", ".join(f"{k} {i}" for k, i in failed)}); '
            f'{len(graph) - len(failed) - len(done)} step(s) needing them did not run; '
            f'{len(done)} finished. First failure: {first}') from first
