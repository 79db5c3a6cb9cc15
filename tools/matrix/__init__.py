"""The variant matrix: every valid combination of copier.yml's primary axes, each proven by its
own checks.

- enumeration: the variants, computed from copier.yml through Copier's own questionnaire;
- subsets: `full`, `ci` (covering pairs), `default`, selection by answers, sharding;
- environment: the variables each variant run gets, and the servers it needs;
- runner: render + `uv sync` + ruff + mypy + pytest for one variant (`run_variant`), in parallel;
- report: table, JSON and Markdown results;
- cli: `python -m tools.matrix` (`nox -s matrix`).
"""
