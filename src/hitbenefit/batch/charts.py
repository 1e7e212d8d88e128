"""The batch reports' charts: the shared inline-SVG chart code (hitbenefit.charts)."""

from hitbenefit.charts import hbar, page, table, vbar

__all__ = ["hbar", "page", "table", "vbar"]
