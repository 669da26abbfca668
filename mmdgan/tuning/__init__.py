"""Choosing a recipe on data that the reported comparison never scores (issue 32)."""
from .baseline_sweep import (Candidate, DEFAULT_CANDIDATES, SweepSettings, report_sweep,
                             run_sweep)
from .inner_split import InnerSplit, inner_split, write_inner_split

__all__ = ['Candidate', 'DEFAULT_CANDIDATES', 'InnerSplit', 'SweepSettings', 'inner_split',
           'report_sweep', 'run_sweep', 'write_inner_split']
