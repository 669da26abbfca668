"""Carry committed unit fingerprints over a config-schema change, proving nothing else changed.

    python tools/experiments/migrate_fingerprints.py results/mini-mias-cv results/demo-cv-quick \\
        --old-rev 41f1115 [--check]

A GAN unit's fingerprint (mmdgan/experiments/store.py) holds ``config_digest``, the digest
of its GAN config's resolved content, so that a GAN trained under other settings is never
reused. Grouping DetectorGAN's arguments into validated dicts (issue 35,
mmdgan/models/detector_gan_cfg.py) changed that content for every GAN config, and nothing
the GANs compute. For every ``config_digest`` under ``RESULTS_DIR/units`` this tool

1. resolves the config as it was at ``--old-rev`` and requires its digest to be the
   stored one (the unit was made with that config);
2. requires ``upgrade_flat_cfg`` of that config's model (and of any DetectorGAN dict its
   ``_base_`` files name) to equal the current config's, and every other section to be
   equal (only the schema changed);
3. writes the current config's digest into the fingerprint and appends
   ``{config, from, to, rev}`` to the unit's ``fingerprint_migrations``, so the digest the
   unit was made under stays on record.

A digest that already is the current one is left alone (running it twice changes
nothing); any other mismatch is refused in one line naming the unit file and the config.
"""
import argparse
import json
import subprocess
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional

from mmdgan.experiments.store import digest
from mmdgan.fileio import write_json_atomic
from mmdgan.models.detector_gan_cfg import upgrade_flat_cfg
from mmdgan.utils.tool_runner import REPO_ROOT, load_cfg

CfgLoader = Callable[[str], dict]


def config_nodes(fingerprint: dict) -> Iterator[dict]:
    """Every dict of a fingerprint (nested sources and ``init_from`` included) that names
    a config and its digest."""
    if 'config' in fingerprint and 'config_digest' in fingerprint:
        yield fingerprint
    for value in fingerprint.values():
        if isinstance(value, dict):
            yield from config_nodes(value)


def checked_digest(config: str, stored: str, old: CfgLoader, new: CfgLoader) -> str:
    """The current digest of ``config`` once its stored digest is proven to be the same
    settings under the old schema.

    Raises:
        ValueError: The stored digest is not the old config's, or the old config, upgraded,
            is not the current one.
    """
    current = new(config)
    if digest(current) == stored:
        return stored
    before = old(config)
    if digest(before) != stored:
        raise ValueError(f'{config}: the stored digest {stored} is neither the current config '
                         f'({digest(current)}) nor the old one ({digest(before)})')
    # The model and any DetectorGAN dict a _base_ file names (e.g. its ``detector_gan``).
    upgraded = {k: upgrade_flat_cfg(v) if k == 'model' or (
        isinstance(v, dict) and v.get('type') == 'DetectorGAN') else v
        for k, v in before.items()}
    if upgraded != current:
        keys = sorted(k for k in set(upgraded) | set(current)
                      if upgraded.get(k) != current.get(k))
        raise ValueError(f'{config}: the current config differs from the old one beyond the '
                         f'schema, in {keys}')
    return digest(current)


def migrate_units(results_dir: Path, old: CfgLoader, new: CfgLoader, rev: str,
                  dry_run: bool = False) -> List[Path]:
    """Rewrite the config digests of every unit file under ``results_dir/units``.

    Returns:
        The unit files that changed (or would, with ``dry_run``).
    """
    files = sorted((results_dir / 'units').rglob('*.json'))
    if not files:
        raise ValueError(f'{results_dir}/units holds no unit file')
    digests: Dict[tuple, str] = {}
    changed = []
    for path in files:
        unit = json.loads(path.read_text())
        moves = []
        for node in config_nodes(unit.get('fingerprint') or {}):
            key = (node['config'], node['config_digest'])
            try:
                if key not in digests:
                    digests[key] = checked_digest(*key, old, new)
            except ValueError as err:
                raise ValueError(f'{path}: {err}') from None
            if digests[key] != node['config_digest']:
                moves.append(dict(config=node['config'], rev=rev,
                                  to=digests[key], **{'from': node['config_digest']}))
                node['config_digest'] = digests[key]
        if moves:
            # One record per config and unit, however often the fingerprint nests it.
            unique = [dict(m) for m in {tuple(sorted(m.items())): m for m in moves}.values()]
            unit['fingerprint_migrations'] = unit.get('fingerprint_migrations', []) + unique
            changed.append(path)
            if not dry_run:
                write_json_atomic(unit, path)
    return changed


def configs_at(rev: str, out: Path) -> Path:
    """Extract ``configs/`` as it was at ``rev`` into ``out``; returns ``out``."""
    tar = subprocess.run(['git', 'archive', rev, 'configs'], cwd=REPO_ROOT, check=True,
                         capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(tar)) as archive:
        archive.extractall(out, filter='data')
    return out


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('results_dirs', nargs='+', help='results folders holding units/')
    parser.add_argument('--old-rev', required=True, help='revision of the stored digests')
    parser.add_argument('--check', action='store_true', help='verify only, write nothing')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> Dict[str, int]:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        old_root = configs_at(args.old_rev, Path(tmp))

        def old(config: str) -> dict:
            return load_cfg(str(old_root / config)).to_dict()

        def new(config: str) -> dict:
            return load_cfg(config).to_dict()

        counts = {}
        for results_dir in args.results_dirs:
            changed = migrate_units(Path(results_dir), old, new, args.old_rev, args.check)
            counts[results_dir] = len(changed)
            print(f'{results_dir}: {len(changed)} unit files '
                  f'{"would change" if args.check else "migrated"}')
    return counts


if __name__ == '__main__':
    main()
