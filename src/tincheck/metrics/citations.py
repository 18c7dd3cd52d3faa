"""Citations used by the metric definitions (one place, so the report lists them once)."""

GUIDE = ("NHS Digital (2021) A guide to IAPT data and publications, updated for the v2.0 "
         "dataset, §6.1-6.8")
ANNUAL_REPORT = ("NHS Digital / NHS England, Psychological Therapies: Annual report on the "
                 "use of IAPT services (rate formulas as published)")
TINCHECK = "tincheck docs/metrics.md (not an NHS measure)"
SCOTT_2018 = ("Scott MJ (2018) Improving access to psychological therapies (IAPT): the need "
              "for radical reform. J Health Psychol 23:1136-1147")
SPIEGELHALTER_2005 = ("Spiegelhalter DJ (2005) Funnel plots for comparing institutional "
                      "performance. Stat Med 24:1185-1202")
JOHNS_2019 = ("Johns RG, Barkham M, Kellett S, Saxon D (2019) A systematic review of "
              "therapist effects: a critical narrative update and refinement to review. "
              "Clin Psychol Rev 67:78-93")
SCOTT_2017 = ("Scott MJ (2017): the Competence Engine (diagnosis-specific, stage-specific "
              "and generic competences act together)")
DELGADILLO_2020 = ("Delgadillo J et al. (2020) Therapist personality traits as predictors "
                   "of psychological treatment outcomes. Psychother Res 30:857-870")

