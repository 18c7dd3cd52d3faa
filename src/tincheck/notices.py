"""Notices that several outputs carry word for word: pages, the terminal, data folders.

Text only, and no renderer: the generator, the command line and every report use
them without depending on one another.
"""

SYNTHETIC_NOTICE = ("Synthetic data: made by tincheck synth, no real person is in it, and "
                    "its figures describe a model, not a service.")

ANY_ASSESSOR_WARNING = ("Interviews by ANY assessor were counted (--assessors any): loss of "
                        "diagnosis here is not judged only by independent, blind assessors.")
