"""The evidence base for a treatment or service: studies, their synthesis and grading.

``studies`` reads a studies file (effect sizes and coded features: design, setting,
outcome, independence, allegiance, declared conflicts of interest); ``grading`` applies
the independence criteria of Tolin et al. (2015); ``synthesis`` runs every analysis of
``tincheck meta`` and returns the result as plain data for the report.
"""

from .studies import Studies, Study, StudyFileError, read_studies

__all__ = ["Studies", "Study", "StudyFileError", "read_studies"]
