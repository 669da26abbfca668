"""The order in which the cross-validated comparison runs its steps."""
import threading
import time

import pytest

from mmdgan.experiments import CVExperiment, DetUnit, Source, load_experiment
from mmdgan.experiments.execution import fraction_first, run_graph, task_graph
from mmdgan.utils.tool_runner import REPO_ROOT


def _experiment(settings) -> CVExperiment:
    exp = CVExperiment(settings)
    exp.plan.prepare_folds()
    return exp


@pytest.fixture
def experiment(demo_data, tmp_path):
    settings, _ = load_experiment(
        str(REPO_ROOT / 'configs/experiments/cv_demo-quick.py'),
        dict(data_root=str(demo_data), seeds=[0, 1], fractions=[0.5, 1.0],
             work_dir=str(tmp_path / 'work'), results_dir=str(tmp_path / 'results')))
    return _experiment(settings)


def test_steps_follow_their_inputs_fold_by_fold(experiment):
    units = experiment.plan.units()
    graph = task_graph(experiment.store, units)
    order = list(graph)
    position = {task: i for i, task in enumerate(order)}
    for task, needs in graph.items():
        assert all(position[n] < position[task] for n in needs), task
    dgan = DetUnit(0, 'dgan', 1, 1.0, experiment.plan.ratio('dgan'))
    gan = ('gan', Source(0, 'dgan'))
    synth = graph[('det', dgan)][0]
    assert synth[0] == 'synth' and graph[synth] == (gan,)
    # The warm run shares the real-only seed-0 unit's work dir: it waits for it.
    real = DetUnit(0, 'real', 0, 1.0)
    assert graph[gan] == (('warm', real),)
    assert graph[('warm', real)] == (('det', real),)
    # Copy-paste needs no GAN; one synthetic set serves every seed of a fold.
    copy = ('det', DetUnit(0, 'copy-paste', 0, 1.0, experiment.plan.ratio('copy-paste')))
    assert graph[graph[copy][0]] == ()
    assert sum(t[0] == 'synth' and t[1][0] == Source(0, 'dgan') for t in order) == 1
    # Priority: every step of fold 0's main comparison before any of fold 1, and the
    # learning curve after the main comparison.
    last_fold0 = max(i for i, (kind, item) in enumerate(order)
                     if kind == 'det' and item.fold == 0 and item.fraction == 1.0)
    first_fold1 = min(i for i, (kind, item) in enumerate(order)
                      if kind == 'det' and item.fold == 1)
    first_curve = min(i for i, (kind, item) in enumerate(order)
                      if kind == 'det' and item.fraction != 1.0)
    assert last_fold0 < first_fold1 < first_curve
    # Finished units drop out; a warm run without its real unit pending waits for nothing.
    rest = [u for u in units if u != real]
    assert task_graph(experiment.store, rest)[('warm', real)] == ()


def test_run_graph_respects_inputs_and_worker_limit(experiment):
    """Two workers of the local Dask cluster: each step after its inputs, two at a time."""
    graph = task_graph(experiment.store, experiment.plan.units())
    started, finished, lock = [], set(), threading.Lock()
    active = [0, 0]

    def work(task):
        with lock:
            assert all(n in finished for n in graph[task]), task
            started.append(task)
            active[0] += 1
            active[1] = max(active[1], active[0])
        time.sleep(0.02)
        with lock:
            active[0] -= 1
            finished.add(task)

    done = []
    run_graph(graph, work, workers=2, on_done=done.append)
    assert finished == set(graph) == set(done) and len(started) == len(graph)
    assert active[1] == 2


def test_run_graph_runs_on_past_a_failure_and_names_it(experiment):
    graph = {('det', 'a'): (), ('det', 'b'): (('det', 'a'),), ('det', 'c'): (('det', 'b'),),
             ('det', 'd'): (('det', 'c'),), ('det', 'e'): (('det', 'a'),)}
    ran, logged = [], []

    def work(task):
        ran.append(task)
        if task == ('det', 'b'):
            raise RuntimeError('step b failed\nits log tail')

    with pytest.raises(RuntimeError, match='1 step.* failed .*det b.*2 step.* did not run; '
                                           '2 finished. First failure: step b failed'):
        run_graph(graph, work, workers=2, log=logged.append)
    # c and d need b's output and never start; e, independent of b, still runs.
    assert sorted(ran) == [('det', 'a'), ('det', 'b'), ('det', 'e')]
    assert any('FAILED: step b failed' in line for line in logged)
    with pytest.raises(RuntimeError, match='never run'):
        run_graph({('det', 'x'): (('det', 'missing'),)}, work)


def test_late_arms_run_after_everything_else(experiment):
    import dataclasses

    unroll_config = ('configs/dgan_retinanet-effnet-lite0_local-crop_unroll-only_1xb4-2k_'
                     'mini-mias.py')
    settings = dataclasses.replace(
        experiment.s, arms=[*experiment.s.arms, 'dgan-unroll'], late_arms=['dgan-unroll'],
        gan_configs={**experiment.s.gan_configs, 'dgan-unroll': unroll_config},
        costs={**experiment.s.costs, 'gan_step_unroll-only': 5.0})
    late = _experiment(settings)
    units, before = late.plan.units(), experiment.plan.units()
    # The other units, in the order they had without the late arm, then the late arm's.
    assert units[:len(before)] == before
    tail = units[len(before):]
    assert tail and {u.arm for u in tail} == {'dgan-unroll'} and len(tail) == 2 * 2
    order = [item for kind, item in task_graph(late.store, units) if kind == 'det']
    assert all(u.arm == 'dgan-unroll' for u in order[-len(tail):])
    assert late.store.source_fingerprint(Source(0, 'dgan-unroll'))['config'] == unroll_config
    with pytest.raises(ValueError, match=r"late_arms \['dgan-unroll'\] are not arms"):
        dataclasses.replace(experiment.s, late_arms=['dgan-unroll'])


def test_learning_curve_controls_follow_their_fraction(experiment):
    import dataclasses

    settings = dataclasses.replace(experiment.s, fractions=(0.25, 0.5, 1.0), sweep_ratios=(2.0,),
                                   extra_gan_seeds=1)
    curve = _experiment(settings)
    control = _experiment(dataclasses.replace(settings, lc_control_arms=['copy-paste']))
    without, units = curve.plan.units(), control.plan.units()
    # The control adds its fractional units and moves nothing else.
    assert [u for u in units if u.arm != 'copy-paste' or u.fraction == 1.0] == without
    added = [u for u in units if u not in without]
    assert {(u.arm, u.fraction) for u in added} == {('copy-paste', 0.25), ('copy-paste', 0.5)}
    assert len(added) == 2 * 2 * 2  # fractions x folds x seeds
    # Each fraction's control comes right after that fraction's curve, before the next
    # fraction; the sweep and the GAN variance (fraction 1, after the curve) come last.
    fractional = [(u.fraction, u.arm not in settings.lc_arms) for u in units if u.fraction < 1.0]
    assert fractional == sorted(fractional)
    curve_end = max(i for i, u in enumerate(units) if u.fraction < 1.0)
    assert units[curve_end] == added[-1]
    extras = units[curve_end + 1:]
    assert {u.ratio for u in extras} >= {2.0} and {u.gan_seed for u in extras} >= {1}
    # Their copy-paste sets sample boxes from the fraction's own lesion films.
    synth = [item[0] for kind, item in task_graph(control.store, units) if kind == 'synth']
    assert Source(0, 'copy-paste', 0, 0.5) in synth and Source(1, 'copy-paste', 0, 0.5) in synth
    with pytest.raises(ValueError, match=r"lc_control_arms \['dgan'\] must be arms"):
        dataclasses.replace(experiment.s, lc_control_arms=['dgan'])
    with pytest.raises(ValueError, match=r"lc_control_arms \['dgan-unroll'\] must be arms"):
        dataclasses.replace(experiment.s, lc_control_arms=['dgan-unroll'])


def test_steps_matched_control(experiment):
    import dataclasses

    settings = dataclasses.replace(experiment.s, arms=[*experiment.s.arms, 'real-steps'],
                                   lc_control_arms=['real-steps'])
    matched = _experiment(settings)
    plan = matched.plan
    for fraction in (0.5, 1.0):
        steps = DetUnit(0, 'real-steps', 0, fraction)
        dgan = DetUnit(0, 'dgan', 0, fraction, plan.ratio('dgan'))
        real = DetUnit(0, 'real', 0, fraction)
        # An augmented arm's iterations on real films alone: twice the real epochs at 1:1.
        assert plan.iters(steps) == plan.iters(dgan) > plan.iters(real)
        assert plan.num_syn(steps) == 0 and steps.source is None
        assert plan.det_config(steps) == settings.det_config
        assert matched.store.unit_fingerprint(steps)['iters'] == plan.iters(dgan)
        assert steps.name(settings.syn_per_real) == 'real-steps_fold0_seed0' + (
            '_frac0.5' if fraction == 0.5 else '')
    assert {(u.arm, u.fraction) for u in plan.units() if u.arm == 'real-steps'} == {
        ('real-steps', 0.5), ('real-steps', 1.0)}


def test_two_stage_gans_start_from_their_stage_one_gan(experiment):
    """``gan_init_from``: each DetectorGAN starts from the stage-1 GAN of its fold and
    fraction, trained once and shared; stage 1 has no in-loop detector to warm-start."""
    import dataclasses

    stage1 = 'configs/dgan_stage1_local-crop_1xb2-600it_demo.py'
    settings = dataclasses.replace(
        experiment.s, arms=['real', 'dgan', 'dgan-nounroll'],
        gan_configs={**experiment.s.gan_configs, 'gan-stage1': stage1},
        gan_init_from={'dgan': 'gan-stage1', 'dgan-nounroll': 'gan-stage1'},
        costs={**experiment.s.costs, 'gan_step_stage1': 0.1})
    two_stage = _experiment(settings)
    graph = task_graph(two_stage.store, two_stage.plan.units())
    first = ('gan', Source(0, 'gan-stage1'))
    assert graph[first] == ()
    real = DetUnit(0, 'real', 0, 1.0)
    for arm in ('dgan', 'dgan-nounroll'):
        assert graph[('gan', Source(0, arm))] == (first, ('warm', real))
    order = list(graph)
    assert order.index(first) < order.index(('gan', Source(0, 'dgan')))
    # The stage-2 GAN's fingerprint carries its stage-1 GAN's; the plan prices stage 1 once
    # per fold and fraction (2 folds x 2 fractions), though no arm trains on its images.
    fingerprint = two_stage.store.source_fingerprint(Source(0, 'dgan'))
    assert fingerprint['init_from'] == two_stage.store.source_fingerprint(Source(0, 'gan-stage1'))
    cost = two_stage.plan.cost(two_stage.plan.units())
    assert cost['gan_units'] == cost_without_stage1(experiment, settings) + 2 * 2
    # A stage-1 config builds no val loop: its runs get no val options (mmengine refuses
    # keys under a None val_dataloader), the stage-2 runs do.
    assert not [k for k in two_stage.gan_options(Source(0, 'gan-stage1')) if k.startswith('val_')]
    assert 'val_evaluator.ann_file' in two_stage.gan_options(Source(0, 'dgan'))
    with pytest.raises(ValueError, match='gan_init_from'):
        dataclasses.replace(settings, gan_init_from={'dgan': 'real'})
    with pytest.raises(ValueError, match=r"costs lacks the step seconds \['gan_step_stage1'\]"):
        dataclasses.replace(settings, costs=experiment.s.costs)


def test_extra_fold_seeds_at_some_fractions_and_an_arm_of_one_fraction(experiment):
    """``extra_fold_fractions``: further fold splits repeat only those fractions; an arm
    named for one fraction (``lc_arms_by_fraction``) runs there and nowhere else."""
    import dataclasses

    settings = dataclasses.replace(
        experiment.s, arms=['real', 'copy-paste', 'dgan'], extra_fold_seeds=[3],
        extra_fold_fractions=[0.5], lc_arms_by_fraction={'0.5': ['real', 'dgan', 'dgan-nounroll']})
    units = _experiment(settings).plan.units()
    assert {(u.fraction, u.fold_seed) for u in units} == {(1.0, None), (0.5, None), (0.5, 3)}
    assert {u.fraction for u in units if u.arm == 'dgan-nounroll'} == {0.5}
    assert sum(u.fold_seed == 3 for u in units) == 2 * 2 * 3  # folds x seeds x arms at 50 %
    with pytest.raises(ValueError, match=r'extra_fold_fractions \[0.3\] are not fractions'):
        dataclasses.replace(settings, extra_fold_fractions=[0.3])
    gan_configs = {a: c for a, c in settings.gan_configs.items() if a != 'dgan-nounroll'}
    with pytest.raises(ValueError, match=r"lacks the GAN config of arm\(s\) \['dgan-nounroll'\]"):
        dataclasses.replace(settings, gan_configs=gan_configs)


def test_first_fraction_runs_ahead_on_every_fold_seed(experiment, demo_data, tmp_path):
    """``execution.first_fraction``: that fraction's units on every fold seed, and the
    GANs and synthetic sets they need, come before any other unit, each group in plan
    order; a fraction the experiment lacks is refused."""
    import dataclasses

    settings = dataclasses.replace(experiment.s, extra_fold_seeds=[3],
                                   extra_fold_fractions=[0.5])
    exp = _experiment(settings)
    units = exp.plan.units()
    first = fraction_first(units, 0.5)
    at_half = [u for u in units if u.fraction == 0.5]
    assert first[:len(at_half)] == at_half and {u.fold_seed for u in at_half} == {None, 3}
    assert first[len(at_half):] == [u for u in units if u.fraction != 0.5]
    graph = list(task_graph(exp.store, first))
    last_half = max(i for i, (kind, item) in enumerate(graph)
                    if kind == 'det' and item.fraction == 0.5)
    assert all(item.fraction == 0.5 for kind, item in graph[:last_half] if kind == 'det')
    assert all(item.fraction == 0.5 for kind, item in graph[:last_half]
               if kind == 'gan')
    with pytest.raises(ValueError, match=r'execution.first_fraction 0.3 is not one of'):
        load_experiment(str(REPO_ROOT / 'configs/experiments/cv_demo-quick.py'),
                        dict(data_root=str(demo_data), fractions=[0.5, 1.0],
                             execution=dict(first_fraction=0.3)))


def test_last_arms_wait_within_their_fraction_group(experiment, demo_data):
    """``execution.last_arms``: an ablation's units run after the other units of their
    group (the first fraction, then the rest), not after the whole plan; an arm the
    experiment lacks is refused."""
    units = experiment.plan.units()
    ablation = 'dgan-nounroll'
    assert {u.arm for u in units} > {ablation} and {u.fraction for u in units} == {0.5, 1.0}
    order = fraction_first(units, 0.5, [ablation])
    groups = [[u for u in units if u.fraction == 0.5 and u.arm != ablation],
              [u for u in units if u.fraction == 0.5 and u.arm == ablation],
              [u for u in units if u.fraction != 0.5 and u.arm != ablation],
              [u for u in units if u.fraction != 0.5 and u.arm == ablation]]
    assert order == [u for group in groups for u in group]
    assert fraction_first(units, None, [ablation]) == [
        *(u for u in units if u.arm != ablation), *(u for u in units if u.arm == ablation)]
    graph = [item for kind, item in task_graph(experiment.store, order) if kind == 'det']
    assert graph == order
    with pytest.raises(ValueError, match=r"execution.last_arms \['dgan-x'\] are not arms"):
        load_experiment(str(REPO_ROOT / 'configs/experiments/cv_demo-quick.py'),
                        dict(data_root=str(demo_data), execution=dict(last_arms=['dgan-x'])))


def cost_without_stage1(experiment, settings) -> int:
    import dataclasses
    plain = _experiment(dataclasses.replace(settings, gan_init_from={}))
    return plain.plan.cost(plain.plan.units())['gan_units']


def _touch(root, task):
    (root / f'{task[1]}.done').write_text(task[0])


def test_run_graph_on_a_scheduler_address(experiment, tmp_path):
    """A cluster gets the step function pickled: the experiment pickles (its logger stays
    behind) and the steps run through the scheduler's address."""
    import functools
    import pickle

    import cloudpickle
    from dask.distributed import LocalCluster

    clone = pickle.loads(cloudpickle.dumps(experiment))
    assert clone.plan.units() == experiment.plan.units() and callable(clone._log)
    graph = {('det', 'a'): (), ('det', 'b'): (('det', 'a'),)}
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        run_graph(graph, functools.partial(_touch, tmp_path), scheduler=cluster.scheduler_address)
    assert sorted(p.name for p in tmp_path.glob('*.done')) == ['a.done', 'b.done']


def test_a_finished_gan_hands_its_worker_to_the_steps_that_need_it():
    """One worker: when a GAN ends, its synthetic set and detector unit (higher priority)
    run before the next GAN, which must not already sit on the worker (Dask's default
    worker saturation of 1.1 queued it there, and a detector unit waited a whole GAN)."""
    graph = {('gan', 'a'): (), ('synth', 'a'): (('gan', 'a'),),
             ('det', 'a'): (('synth', 'a'),), ('gan', 'b'): (), ('gan', 'c'): ()}
    ran = []

    def work(task):
        time.sleep(0.05)
        ran.append(task)

    run_graph(graph, work, workers=1)
    assert ran == list(graph)
