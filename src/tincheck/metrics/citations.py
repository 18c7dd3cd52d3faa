"""Citations used by the metric definitions (one place, so the report lists them once)."""

GUIDE = ("NHS Digital (2021) A guide to IAPT data and publications, updated for the v2.0 "
         "dataset, §6.1-6.8")
ANNUAL_REPORT = ("NHS Digital / NHS England, Psychological Therapies: Annual report on the "
                 "use of IAPT services (rate formulas as published)")
TINCHECK = "tincheck docs/metrics.md (not an NHS measure)"
SCOTT_2018 = ("Scott MJ (2018) Improving access to psychological therapies (IAPT): the need "
              "for radical reform. J Health Psychol 23:1136-1147")
