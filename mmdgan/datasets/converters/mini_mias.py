"""mini-MIAS mammograms -> the unpaired COCO folder contract.

``Info.txt`` rows: reference, tissue (F/G/D), class, then for abnormal films
the severity (B/M) and optionally x, y, radius of a circle enclosing the
abnormality, in pixels of the original 1024x1024 film with the origin at the
bottom-left. NORM films become X, films with at least one box become Y, films
whose abnormalities carry no coordinates go to neither (and are counted).
Films ``2k-1`` and ``2k`` are one patient.
"""
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from .common import BoxStats, SourceImage, export_dataset, format_counts

#: Abnormality classes of Info.txt (``--classes all`` uses one category each).
ABNORMALITIES = ('CALC', 'CIRC', 'SPIC', 'MISC', 'ARCH', 'ASYM')
TISSUES = ('F', 'G', 'D')
SEVERITIES = ('B', 'M')
ORIGINAL_SIZE = 1024
_ROW = re.compile(r'^mdb\d{3}\b')


@dataclass
class MiasRow:
    """One parsed row of Info.txt; ``circle`` is ``(x, y, r)`` or ``None``."""

    ref: str
    line: int
    abnormality: str
    circle: Optional[Tuple[float, float, float]]


def _parse_row(fields: List[str], path: Path, line: int) -> MiasRow:
    ref, where = fields[0], f'{path}:{line}'
    if len(fields) < 3 or fields[1] not in TISSUES:
        raise ValueError(f'{where}: malformed row {" ".join(fields)!r}: expected '
                         f'"mdbNNN TISSUE CLASS ..." with TISSUE in {TISSUES}')
    cls, rest = fields[2], fields[3:]
    if cls == 'NORM':
        if rest:
            raise ValueError(f'{where}: NORM row {ref} has extra fields {rest}')
        return MiasRow(ref, line, cls, None)
    if cls not in ABNORMALITIES:
        raise ValueError(f'{where}: unknown abnormality class {cls!r} '
                         f'(expected NORM or one of {ABNORMALITIES})')
    if not rest or rest[0] not in SEVERITIES:
        raise ValueError(f'{where}: {ref} {cls} row lacks a severity in {SEVERITIES}')
    coords = rest[1:]
    # Widely spread calcifications: no coordinates, optionally "*NOTE 3*".
    if not coords or ' '.join(coords).upper().startswith('*NOTE'):
        return MiasRow(ref, line, cls, None)
    if len(coords) != 3:
        raise ValueError(f'{where}: {ref} expected x y radius, got {coords}')
    try:
        x, y, r = (float(v) for v in coords)
    except ValueError:
        raise ValueError(f'{where}: {ref} x y radius are not numbers: {coords}') from None
    if r <= 0:
        raise ValueError(f'{where}: {ref} radius must be positive, got {r:g}')
    return MiasRow(ref, line, cls, (x, y, r))


def parse_info(info_file: os.PathLike) -> Dict[str, List[MiasRow]]:
    """Parse ``Info.txt``; header and footer text are ignored.

    Returns:
        ``{ref: [rows]}`` in file order.

    Raises:
        FileNotFoundError: If the file is missing.
        ValueError: On a malformed row (message names file and line).
    """
    info_file = Path(info_file)
    if not info_file.is_file():
        raise FileNotFoundError(f'mini-MIAS truth file not found: {info_file}')
    films: Dict[str, List[MiasRow]] = {}
    with open(info_file, encoding='latin-1') as f:
        for lineno, text in enumerate(f, start=1):
            if not _ROW.match(text.strip()):
                continue
            row = _parse_row(text.split(), info_file, lineno)
            films.setdefault(row.ref, []).append(row)
    if not films:
        raise ValueError(f'{info_file}: no film rows (mdbNNN ...) found')
    for ref, rows in films.items():
        kinds = {r.abnormality == 'NORM' for r in rows}
        if len(kinds) > 1 or (rows[0].abnormality == 'NORM' and len(rows) > 1):
            raise ValueError(f'{info_file}:{rows[-1].line}: film {ref} is listed as NORM '
                             f'and again in another row')
    return films


def circle_to_box(x: float, y: float, r: float,
                  frame: int = ORIGINAL_SIZE) -> Tuple[float, float, float, float]:
    """Circle (bottom-left origin) -> xyxy box (top-left origin) in the same frame."""
    row = frame - y
    return x - r, row - r, x + r, row + r


def convert_mini_mias(src: os.PathLike, out_dir: os.PathLike, seed: int = 0,
                      classes: str = 'lesion', size: Optional[int] = None,
                      ratios=(0.6, 0.2, 0.2), overwrite: bool = False) -> Tuple[dict, BoxStats]:
    """Convert a mini-MIAS folder (``Info.txt`` + ``images/mdbNNN.png``).

    Args:
        src: mini-MIAS folder.
        out_dir: Output dataset folder.
        seed: Seed of the patient split.
        classes: ``'lesion'`` (one class) or ``'all'`` (one per abnormality).
        size: Resize images (and boxes) to ``size x size``; ``None`` keeps them.
        ratios: Train/val/test fractions of patients.
        overwrite: Replace an existing ``out_dir`` if it is a dataset folder.

    Returns:
        Counts per json file and the box statistics.
    """
    if classes not in ('lesion', 'all'):
        raise ValueError(f"classes must be 'lesion' or 'all', got {classes!r}")
    src = Path(src)
    films = parse_info(src / 'Info.txt')
    categories = ['lesion'] if classes == 'lesion' else list(ABNORMALITIES)
    stats = BoxStats()
    items = []
    for ref, rows in sorted(films.items()):
        boxes = []
        for row in rows:
            if row.abnormality == 'NORM':
                continue
            if row.circle is None:
                stats.skip('abnormality without coordinates')
                continue
            cat = 1 if classes == 'lesion' else ABNORMALITIES.index(row.abnormality) + 1
            boxes.append((*circle_to_box(*row.circle), cat))
        is_norm = rows[0].abnormality == 'NORM'
        if not is_norm and not boxes:
            stats.skip('film with only coordinate-less abnormalities')
            continue
        image = src / 'images' / f'{ref}.png'
        if not image.is_file():
            raise FileNotFoundError(f'{src / "Info.txt"}:{rows[0].line}: image of {ref} '
                                    f'not found: {image}')
        patient = (int(ref[3:]) + 1) // 2
        items.append(SourceImage(image, f'images/{ref}.png', patient, not is_norm, boxes,
                                 ref_size=ORIGINAL_SIZE))
    counts = export_dataset(out_dir, items, categories, stats, seed=seed, size=size,
                            ratios=ratios, overwrite=overwrite)
    return counts, stats


__all__ = ['convert_mini_mias', 'parse_info', 'circle_to_box', 'format_counts']
