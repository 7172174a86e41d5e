# %% [markdown]
# # recaudit in a notebook
#
# The audit of the shipped example, from the polars DataFrames a notebook already holds.
# Run it as a script (`python examples/notebook.py`, as the test suite does) or cell by cell
# (`# %%` cells: VS Code, Jupytext). Install with `pip install ./python`.

# %%
from pathlib import Path
import tempfile

import polars as pl
import recaudit

data = Path(__file__).resolve().parent.parent / "datasets" / "example"
recs = pl.read_csv(data / "recs.csv")
users = pl.read_csv(data / "users.csv")
items = pl.read_csv(data / "items.csv")
truth = pl.read_csv(data / "truth.csv")

# %% The audit: the same Rust code, settings and numbers as `recaudit audit`.
audit = recaudit.audit(recs, users, items, truth, k=10, slices=["gender", "age_band"], seed=42)
audit  # in a notebook, this cell shows the verdict and the top findings

# %% The verdict and the ranked findings.
print("verdict:", audit.verdict)
for finding in audit.findings(3):
    print(" -", finding["sentence"])

# %% One row per metric × slice column × group.
metrics = audit.metrics()
print(
    metrics.filter(pl.col("metric") == "ndcg", pl.col("slice") == "gender")
    .select("group", "value", "ci_low", "ci_high", "ratio", "significant")
)

# %% The whole report (HTML, charts, tables, audit.json), as `recaudit audit --out` writes it.
with tempfile.TemporaryDirectory() as out:
    written = audit.write(out)
    print("wrote", ", ".join(Path(p).name for p in written))
