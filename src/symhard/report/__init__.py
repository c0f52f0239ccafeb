"""The report layer: the only part of symhard that draws (matplotlib) and writes report.md / report.html.

Families, learners and experiments return data (:mod:`symhard.sections`); this package turns it
into files:

* :mod:`symhard.report.render`: :func:`render_figure` draws one :class:`~symhard.sections.Figure`
  to PNG and SVG (matplotlib's object-oriented API; no backend is selected);
* :mod:`symhard.report.experiments`: the experiment section of a results folder, as data;
* :mod:`symhard.report.bench`: the figure of a ``symhard bench`` result, as data;
* :mod:`symhard.report.document`: :func:`collect_sections`, :func:`write_report` and
  :func:`write_experiment_report` (``report.md`` and one self-contained ``report.html``).

Importing this package imports neither matplotlib nor torch; the functions import what they need.
"""

from .document import SectionError, collect_sections, certificate_table, write_experiment_report, write_report
from .render import render_figure

__all__ = ["render_figure", "SectionError", "collect_sections", "certificate_table", "write_report",
           "write_experiment_report"]
