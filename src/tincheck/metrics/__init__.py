"""Metrics: the official NHS figures and the honest ones beside them.

Every metric is registered in :data:`REGISTRY` by its family module (funnel, official,
itt, sensitivity, delivery, pathway, rereferral, value) and computed by :func:`evaluate` from
Ibis expressions over backend-free canonical tables.
"""

from .blocks import Period, Tables
from .evaluate import Evaluation, evaluate
from .registry import REGISTRY, Metric, Result

__all__ = ["REGISTRY", "Evaluation", "Metric", "Period", "Result", "Tables", "evaluate"]
