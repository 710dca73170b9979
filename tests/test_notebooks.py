"""The notebooks run top to bottom as a user runs them (started from notebooks/, the way
Jupyter starts them), their figure cells show figures, and they are stored without outputs."""
import re
import time
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
#: a cell that draws: it calls a plot_* function or plt.show()
DRAWS = re.compile(r"\bplot_\w+\(|\bplt\.show\(\)")


def test_there_are_three_notebooks():
    assert [p.stem[:2] for p in NOTEBOOKS] == ["01", "02", "03"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_from_its_folder_and_shows_its_figures(path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    # as a user's Jupyter: whatever the test run set, the kernel chooses its own backend
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    print(f"{path.name}: {time.perf_counter() - start:.1f} s")
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors
    drawing = [c for c in code if DRAWS.search(c.source)]
    assert drawing, "every notebook draws something"
    for c in drawing:
        images = [o for o in c.outputs if "image/png" in o.get("data", {})]
        assert len(images) == 1, (len(images), c.source)   # shown once, not twice
