"""Packaging beyond what pyproject.toml can say: the example scenarios ship inside the package.

The repository keeps its examples in ``scenarios/`` at the top (the README's commands name that
path); an installed package finds them as ``billing_model/scenarios/`` with
:mod:`importlib.resources` (``billing_model.workbook.SCENARIOS_DIR``). The package-dir mapping
below puts that one folder into the wheel, so there is no second copy to drift
(``tests/test_package.py`` builds the wheel and checks that every file of it is there).
pyproject.toml cannot add a mapped folder to the packages it finds, hence this file; the rest
of the configuration is in pyproject.toml. ``udfs/`` is not installed: its module imports
``billing_model.udfs``.
"""

from setuptools import find_namespace_packages, find_packages, setup

#: the example scenarios and the sample session data they read, by file type
EXAMPLE_FILES = ["*.toml", "*.csv", "*.json", "*.parquet"]
EXAMPLES = ["billing_model.scenarios",
            *(f"billing_model.scenarios.{sub}" for sub in find_namespace_packages("scenarios"))]

setup(
    packages=[*find_packages(include=["billing_model", "billing_model.*"]), *EXAMPLES],
    package_dir={"billing_model.scenarios": "scenarios"},
    package_data={"billing_model": ["py.typed"], **{name: EXAMPLE_FILES for name in EXAMPLES}},
)
