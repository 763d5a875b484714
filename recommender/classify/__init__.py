"""Denial rows + policy set + catalog -> findings: what denied each call, and what would fix it.

Each row goes through four stages, one module each (see `classifier`):

    read the row (read.py) -> build the request (request.py) -> decide (decide.py, the
    evaluator in recommender/scp/) -> explain (explain.py: category, cause, proposal; gaps.py)
"""

from recommender.classify.classifier import Classifier

__all__ = ["Classifier"]
