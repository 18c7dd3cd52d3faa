"""Every sentence template of the client leaflet reads at Flesch reading ease 60 or more.

Peer: textstat's ``flesch_reading_ease`` (Flesch 1948: 206.835 − 1.015 × words per
sentence − 84.6 × syllables per word; syllables from the CMU pronouncing dictionary).
Each template is filled with sample values, and again with every name the leaflet may
put in each of its fields (every treatment, problem, medium, role and figure label).
Headings, names and list entries are measured as part of the pages made
(test_leaflet.py), not alone: a phrase of three words has no meaningful reading level.
"""

from __future__ import annotations

import string

import pytest
import textstat

from tincheck import codes
from tincheck.report import leaflet_text

MIN_FLESCH = 60
TEMPLATES = leaflet_text.templates()


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_sentence_template_is_plain_english(name):
    for filled in leaflet_text.filled(TEMPLATES[name]):
        assert textstat.flesch_reading_ease(filled) >= MIN_FLESCH, filled


def test_the_check_can_fail():
    # the official name of a treatment, alone, is far from plain English
    assert textstat.flesch_reading_ease(
        "Dynamic interpersonal therapy for depressive disorders.") < MIN_FLESCH
    assert textstat.flesch_reading_ease("You meet a therapist, one to one.") >= MIN_FLESCH


def test_every_template_field_has_a_sample():
    fields = {field for template in (*TEMPLATES.values(),
                                     *(getattr(leaflet_text, h) for h in leaflet_text.HEADINGS))
              for _, field, _, _ in string.Formatter().parse(template) if field}
    assert fields <= set(leaflet_text.SAMPLES), fields - set(leaflet_text.SAMPLES)


def test_every_treatment_a_service_can_offer_has_plain_words():
    offerable = {c.value for c in codes.THERAPY_TYPE if c.group in ("low", "high")}
    assert set(leaflet_text.TREATMENTS) == offerable
    assert set(leaflet_text.MEDIA) >= set(codes.values("medium"))
    assert set(leaflet_text.ROLES) >= set(codes.values("role"))


def test_recovery_is_explained_where_it_is_named():
    recovered = leaflet_text.FIGURES["recovered"]
    means = " ".join(recovered.means)
    assert '"recovery"' in means and "It does not mean the problem has gone." in means
    assert "below that line" in means  # what it is: below the caseness line at the end
    uses = [name for name, template in TEMPLATES.items()
            if "recover" in template.lower() and not name.startswith("FIGURES.recovered")]
    assert uses == []


def test_jargon_is_glossed():
    assert "psychological wellbeing practitioner" in leaflet_text.ROLE_GLOSS["pwp"]
    assert "trained to guide self-help" in leaflet_text.ROLE_GLOSS["pwp"]
    expert = " ".join(leaflet_text.FIGURES["lost_diagnosis"].means)
    assert "does not work for the service" in expert and "do not know which treatment" \
        in expert
    for code, treatment in leaflet_text.TREATMENTS.items():
        # a letter's name for the treatment is given beside a plain description
        assert treatment.also and len(treatment.what) >= 2, code
