"""The three teacher dashboards as lists of panels: a figure, the table behind it, and a note.

Each builder calls the selectors (the database does the counting), derives the
few ratios a dashboard shows with pandas on those small results, and returns
panels the view renders (or streams one of as CSV). The table beneath a figure
holds the figure's numbers: it is the chart's text alternative.
"""

from analytics.dashboards.generation import generation_quality, sampler_figures
from analytics.dashboards.outcomes import learning_outcomes
from analytics.dashboards.panel import CACHE_SECONDS, Panel, cached, started
from analytics.dashboards.teaching import teaching_quality

__all__ = [
    "CACHE_SECONDS",
    "Panel",
    "cached",
    "generation_quality",
    "learning_outcomes",
    "sampler_figures",
    "started",
    "teaching_quality",
]
