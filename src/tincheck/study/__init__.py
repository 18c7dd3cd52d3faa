"""Plan and draw an independent outcome study of a service.

- :func:`plan`: the sample size of a study design (precision of one proportion,
  McNemar in the same clients, a benchmark, two services or periods), inflated for
  clients lost before their interview and for clustering within therapists;
- :func:`draw_sample`: a reproducible stratified random sample of the service's own
  referrals, with reserves, an interview schedule and the sample's representativeness;
- :func:`write_study`: sample.csv, schedule.csv, frame.csv and protocol.html.

>>> s = draw_sample(tincheck.example_path(), n=10, strata="problem_group")  # doctest: +SKIP
>>> write_study(s, "study")                                                  # doctest: +SKIP
"""

from .files import write_study
from .frame import STRATA_COLUMNS, StudyError
from .plan import DESIGNS, Plan, plan
from .sample import StudySample, draw_sample
from .schedule import ScheduleRules

__all__ = ["DESIGNS", "Plan", "STRATA_COLUMNS", "ScheduleRules", "StudyError", "StudySample",
           "draw_sample", "plan", "write_study"]
