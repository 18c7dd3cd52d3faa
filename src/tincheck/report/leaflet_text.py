"""Every sentence of the client leaflet, in plain English (``tincheck leaflet``).

A leaflet is read by someone about to start a treatment, so each sentence is short and
plain: the suite measures every template here, filled with sample values, and requires
a Flesch reading ease of at least 60 (textstat), as it does for every page made. A
word a client may not know is glossed where it is first used; "recovered" is never
used without saying what it means.

Templates are ``str.format`` strings; their fields are filled with numbers and names
(marked up by :mod:`tincheck.report.leaflet`). :data:`SAMPLES` holds a sample value
for every field, for the reading-level test.

References: Flesch R (1948) A new readability yardstick. J Appl Psychol 32:221-233;
NHS England, "Writing for the NHS" content style guide (plain English, short sentences).
"""

from __future__ import annotations

from dataclasses import dataclass

# ------------------------------------------------------------------ treatments


@dataclass(frozen=True)
class Treatment:
    """A treatment as a client would name it: a plain name, what happens, and the names
    a letter from the service may use instead."""

    name: str
    what: tuple[str, ...]
    also: str = ""

    @property
    def in_sentence(self) -> str:
        """The name inside a sentence: 'guided self-help with a book', 'CBT: ...'."""
        first = self.name.split()[0].rstrip(":")
        return self.name if len(first) > 1 and first.isupper() else \
            self.name[0].lower() + self.name[1:]


TREATMENTS: dict[str, Treatment] = {
    "gsh_book": Treatment(
        "Guided self-help with a book",
        ("You work through a book or workbook at home, on your own.",
         "A worker talks with you in short sessions to help you use it."),
        "low-intensity CBT, or guided self-help"),
    "nongsh_book": Treatment(
        "Self-help with a book",
        ("You are given a book or workbook to use on your own.",
         "No one meets you each week to help you with it."),
        "low-intensity CBT, or self-help"),
    "gsh_computer": Treatment(
        "Guided self-help on a computer",
        ("You work through a course online, on a computer, tablet or phone.",
         "A worker checks in with you in short sessions to help you keep going."),
        "computerised CBT, or online CBT"),
    "nongsh_computer": Treatment(
        "Self-help on a computer",
        ("You work through a course online, on your own.",
         "No one meets you each week to help you with it."),
        "computerised CBT, or online CBT"),
    "physical_activity": Treatment(
        "An exercise plan",
        ("You make a plan to be more active, such as walks or sport.",
         "A worker helps you make the plan and keep to it."),
        "structured physical activity"),
    "psychoeducation_group": Treatment(
        "A group course",
        ("You join a group of people who have the same kind of problem.",
         "A worker teaches the group ways to cope. It is more like a class than a "
         "therapy group."),
        "a psychoeducation group, or a workshop"),
    "li_other": Treatment(
        "Short guided help",
        ("A worker gives you a short form of help, in a few sessions.",
         "The records do not say what kind."),
        "low-intensity support"),
    "cbt": Treatment(
        "CBT: a talking therapy",
        ("You meet a therapist, one to one, most weeks.",
         "Together you look at how your thoughts and what you do affect how you feel.",
         "You try out new ways to cope between sessions."),
        "cognitive behavioural therapy, or high-intensity CBT"),
    "ipt": Treatment(
        "A talking therapy about your relationships",
        ("You meet a therapist, one to one, most weeks.",
         "You talk about the people in your life, and how your links with them affect "
         "your mood."),
        "interpersonal therapy, or IPT"),
    "counselling": Treatment(
        "Counselling",
        ("You meet a counsellor, one to one, most weeks.",
         "You talk about how you feel and what is going on in your life.",
         "They help you make sense of it, but they do not tell you what to do."),
        "counselling for depression"),
    "dit": Treatment(
        "A talking therapy about patterns in your life",
        ("You meet a therapist, one to one, most weeks.",
         "You look at patterns in how you get on with people, and how they affect your "
         "mood."),
        "dynamic interpersonal therapy, or DIT"),
    "emdr": Treatment(
        "A therapy for memories of a trauma (EMDR)",
        ("You meet a therapist, one to one.",
         "While you think of a bad event, the therapist asks you to move your eyes from "
         "side to side, or uses taps or sounds.",
         "It aims to make the memory less upsetting."),
        "EMDR, which stands for eye movement desensitisation and reprocessing"),
    "couples": Treatment(
        "Therapy for couples",
        ("You and your partner meet a therapist together.",
         "You work on your relationship, and how it links to low mood."),
        "couples therapy for depression"),
    "mindfulness": Treatment(
        "A mindfulness course",
        ("You learn to notice your thoughts and feelings as they come, without judging "
         "them.",
         "It is often taught in a group."),
        "mindfulness-based cognitive therapy"),
    "applied_relaxation": Treatment(
        "Learning to relax",
        ("You learn quick ways to relax your body.",
         "Then you use them when you feel tense or worried."),
        "applied relaxation"),
    "collaborative_care": Treatment(
        "Shared care with your GP",
        ("A case worker and your GP plan your care with you.",
         "It often has both talking therapy and medicine."),
        "collaborative care"),
    "hi_other": Treatment(
        "Another talking therapy",
        ("You meet a trained therapist for a longer course of sessions.",
         "The records do not say what kind."),
        "high-intensity therapy"),
}

# Every referral, whatever it was offered: the service as a whole.
SERVICE = Treatment(
    "Help at this service",
    ("The service offers a few kinds of help, from self-help with support to a course of "
     "talking therapy.",
     "Which one you are offered depends on your problem and what suits you."),
    "NHS Talking Therapies, or IAPT")

# Low intensity: short, guided help; high intensity: a course of therapy.
STEP = {
    "low": "This is a short, low-level form of help. People who need more may be moved on "
           "to a talking therapy later.",
    "high": "This is a full course of therapy, with a trained therapist.",
}

PROBLEMS = {
    "depression": "depression",
    "anxiety": "anxiety",
}
PROBLEM_GLOSS = {
    "depression": "Depression here means low mood that has lasted and gets in the way of "
                  "life.",
    "anxiety": "Anxiety here means worry, panic, fears, or stress after a bad event. It "
               "also means thoughts or habits you cannot stop.",
}

MEDIA = {"face_to_face": "face to face", "telephone": "by phone", "video": "by video call",
         "text": "by text, chat or email", "other": "in some other way",
         "unknown": "in a way the records do not say"}
ROLES = {
    "pwp": "a wellbeing worker",
    "hi_therapist": "a trained therapist",
    "counsellor": "a counsellor",
    "other": "another kind of worker",
    "unknown": "a worker the records do not name",
}
ROLE_GLOSS = {
    "pwp": "The NHS calls this worker a PWP, short for psychological wellbeing "
           "practitioner. They are trained to guide self-help. They are not a therapist or "
           "a counsellor.",
}

# ------------------------------------------------------------------ the page

KICKER = "What to expect"
FOR_PROBLEM = "For people with {problem}"
INTRO = ("You have been offered {treatment}. This page says what it is, and what happened "
         "to people who were offered it here before you.")
INTRO_ANY = ("You have been referred to this service. This page says what it offers, and "
             "what happened to people who were referred here before you.")
NUMBERS_FROM = "The numbers come from this service's own records. They are checked by an "\
    "audit that does not work for the service."

WHAT_IT_IS = "What it is"
WHAT_IT_OFFERS = "What the service offers"
# a list: what people were offered, with how many out of 100
OFFERED_INTRO = "What people referred here were offered, out of 100:"
OFFERED_INTRO_PROBLEM = "What people with {problem} referred here were offered, out of 100:"
OFFERED = "{treatment}: {x} in 100"
OFFERED_NONE = "Nothing, as they left before a treatment was booked: {x} in 100"
ALSO_CALLED = "Your letter may call it {also}."
SESSIONS = ("Half the people who started had {median} sessions or fewer. One in four had "
            "{q3} or more.")
MINUTES = "A session took about {minutes} minutes."
MOST_BY = "Most sessions were {medium} ({x} in 100)."
SOME_BY = "Some were {medium} ({x} in 100)."
MIX_BY = "Sessions were {medium} ({x} in 100)."
ALL_BY = "All sessions were {medium}."
WITH_WHOM = "Most sessions were with {role} ({x} in 100)."
ALL_WITH = "All sessions were with {role}."
SOME_WITH = "Some were with {role} ({x} in 100)."
MIX_WITH = "Sessions were with {role} ({x} in 100)."
STEPPED_UP = ("{x} in 100 people who started were later moved on to a talking therapy "
              "with a trained therapist.")
NO_SESSIONS = "We cannot say how the sessions went, as too few people had them."
NO_SESSION_TYPES = ("The records do not say which kind of help each session gave. So we "
                    "cannot say how many sessions people had.")
NO_ROLE = "The records do not say who gave the sessions."
NO_MEDIUM = "The records do not say if sessions were face to face, by phone or online."

OUT_OF_100 = "Out of 100 people referred like you"
LIKE_YOU = ("By people like you we mean the {n} people who were offered this here, and "
            "whose care has ended.")
LIKE_YOU_PROBLEM = ("By people like you we mean the {n} people with {problem} who were "
                    "offered this here, and whose care has ended.")
LIKE_YOU_ANY = "By people like you we mean the {n} people referred here whose care has ended."
LIKE_YOU_ANY_PROBLEM = ("By people like you we mean the {n} people with {problem} referred "
                        "here whose care has ended.")
SHARE_OFFERED = "Of all the people referred here, {x} in 100 were offered this."
SHARE_OFFERED_PROBLEM = "Of all the people with {problem} referred here, {x} in 100 were "\
    "offered this."
NONE_BOOKED = ("Of all the people referred here, {x} in 100 left before any treatment was "
               "booked. They are not counted on this page.")
NONE_BOOKED_PROBLEM = ("Of all the people with {problem} referred here, {x} in 100 left "
                       "before any treatment was booked. They are not counted on this page.")
HOW_TO_READ = ("Each box below has 100 small people. The dark ones show how many out of "
               "100 it was.")

# One figure: its statement, what it is out of, and what it means.
IN_100 = "{x} in 100"
HOW_MANY = "How many of them {label}?"
GRID = "A grid of 100 small people: {x} are dark and {rest} are pale."
RANGE = "It could be between {low} and {high} in 100."
WITHHELD_SMALL = ("We do not show this number, to keep people's details private. It is "
                  "fewer than 5 people out of {n}.")


@dataclass(frozen=True)
class Figure:
    """The words of one icon grid: ``label`` follows the number ("51 in 100 finished a
    course"), ``out_of`` says who the 100 are, ``means`` explains it; ``out_of_any`` and
    ``means_any`` are said instead on the page about everyone referred."""

    label: str
    out_of: str
    means: tuple[str, ...]
    out_of_any: str = "Out of {n} people referred here."
    means_any: tuple[str, ...] | None = None


FIGURES: dict[str, Figure] = {
    "never_started": Figure(
        "never started",
        "Out of {n} people offered this.",
        ("They had a first session booked, but did not have a single session.",),
        means_any=("They did not have a single treatment session. Some left before a "
                   "treatment was booked. Some were booked, but did not come.",)),
    "finished": Figure(
        "finished a course",
        "Out of {n} people offered this.",
        ("A course here means two sessions or more. This is the rule the NHS uses.",)),
    "recovered": Figure(
        "were well on the forms at the end",
        "Out of {n} people offered this.",
        ("People fill in two short forms about mood and worry. At the start, their scores "
         "were high enough to count as a problem. At the end, both scores were below that "
         "line.",
         "The NHS calls this \"recovery\". It is a score on a form. It does not mean the "
         "problem has gone.",
         "People who did not finish, or did not fill in the forms at the end, count as not "
         "well here.")),
    "deteriorated": Figure(
        "were worse on the forms at the end",
        "Out of {n} people offered this.",
        ("Their scores on a form went up (got worse) by more than chance would explain.",)),
    "lost_diagnosis": Figure(
        "no longer had the problem when an outside expert checked",
        "Out of {n} people offered this who were checked at the start and had the problem "
        "then.",
        ("The expert does not work for the service. They do not know which treatment you "
         "had.",
         "They ask a set list of questions before and after treatment, to check if the "
         "problem is still there.",
         "People who missed the check at the end count as still having the problem."),
        out_of_any="Out of {n} people referred here who were checked at the start and had "
                   "the problem then."),
    "usual_self": Figure(
        "said they were back to their usual self",
        "Out of {n} people offered this who were asked at the end check.",
        ("People were asked how far they were back to their usual self, from 0 to 100. We "
         "count those who said {threshold} or more.",),
        out_of_any="Out of {n} people referred here who were asked at the end check."),
}
NHS_COUNT = ("The NHS counts only people who finished and had high scores at the start. On "
             "that count, {x} in 100 were well at the end.")

NOT_KNOWN_HEADING = "What we do not know"
NO_INTERVIEWS = ("No one here was checked by an outside expert. So we do not know how "
                 "many people no longer had the problem at the end.")
NO_INTERVIEWS_HERE = ("None of the people offered this were checked by an outside expert. "
                      "So we do not know how many no longer had the problem at the end.")
FEW_INTERVIEWS = ("Too few of the people offered this were checked by an outside expert "
                  "for us to say how many no longer had the problem.")
NO_USUAL_SELF = ("We do not know how many felt back to their usual self. Too few people "
                 "were asked.")
NO_USUAL_SELF_RECORDED = ("We do not know how many felt back to their usual self. The "
                          "records do not say what people told the expert about this.")
NO_TREATMENT_TYPES = ("The records do not say which kind of help each person was offered. "
                      "So we cannot say what happened with each kind.")
NO_PROBLEMS = ("The records do not say what problem each person had. So these numbers are "
               "for all problems together.")
HOW_LONG = "These numbers are about the end of treatment. They do not say how long the "\
    "change lasts."
NOT_A_TEST = ("They do not show what would have happened with no treatment, or with a "
              "different one.")
NOT_ALIKE = ("People offered one treatment may not be like people offered another. So do "
             "not compare these pages as if they were a fair test.")
ASK = "If you have questions, ask the service. You can say no to a treatment, or ask for "\
    "another."

SOURCE_HEADING = "Where the numbers come from"
SOURCE = "Records of {services}: care that ended between {start} and {end}."
SOURCE_TO = "Records of {services}: all care that ended up to {end}."
SOURCE_FROM = "Records of {services}: all care that ended from {start} to {end}."
MADE_ON = "These numbers were made on {date} by tincheck {version}, an outside audit."
ROUNDING = ("Numbers of people are rounded to the nearest 5. Numbers below 5 are not "
            "shown, to keep people's details private.")
MIN_PEOPLE = ("We do not show a number that may come from fewer than {min_people} people "
              "(counts are rounded, so we allow for that).")
RANGE_MEANS = ("Each range shows how sure we can be. If many more people like these were "
               "helped here, the number would most likely be in that range.")
ROUNDED = "Numbers out of 100 are rounded to the nearest whole number."
NO_PDF = ("No PDF was made: no Chromium browser was found to print the pages. Print them "
          "from a web browser instead.")

INDEX_TITLE = "What to expect: one page for each treatment"
INDEX_INTRO = ("Each page tells people who are offered a treatment what it is, and what "
               "happened to people offered it here before them.")
INDEX_NOT_WRITTEN = "No page was made for these, as fewer than {min_people} people were "\
    "offered them:"
INDEX_NONE = "No page could be made: no treatment was offered to {min_people} people or more."
INDEX_NOT_COMPUTED = ("No page could be made: the audit could not work out what happened "
                      "to people, because {why}.")

# A sample value for every field, for the reading-level test.
SAMPLES = {
    "treatment": "guided self-help with a book", "problem": "depression",
    "services": "service S1", "also": "low-intensity CBT, or guided self-help",
    "median": "4", "q3": "7", "minutes": "35", "medium": "by phone",
    "x": "43", "rest": "57", "label": "finished a course", "low": "40", "high": "46",
    "n": "1,235", "role": ROLES["pwp"],
    "min_people": "30", "threshold": "90", "start": "1 April 2023",
    "end": "31 March 2024", "date": "5 January 2026", "version": "0.1.0",
    "why": "the ended_date column of referrals.csv is empty",
}


# Headings, names and list entries: a few words, not sentences. The reading level of a
# phrase this short means little, so they are measured as part of each page made, not
# alone (ALSO_CALLED, a list of official names, is measured in each treatment's
# paragraph).
HEADINGS = ("ALSO_CALLED", "KICKER", "FOR_PROBLEM", "WHAT_IT_IS", "WHAT_IT_OFFERS",
            "OFFERED_INTRO", "OFFERED_INTRO_PROBLEM", "OFFERED", "OFFERED_NONE",
            "OUT_OF_100", "NOT_KNOWN_HEADING", "SOURCE_HEADING", "INDEX_TITLE", "IN_100")
# The values a field takes, beyond its sample: every name the leaflet may put in it.
VARIANTS = {
    "label": tuple(f.label for f in FIGURES.values()),
    "treatment": tuple(t.in_sentence for t in TREATMENTS.values()),
    "problem": tuple(PROBLEMS.values()),
    "medium": tuple(MEDIA.values()),
    "role": tuple(ROLES.values()),
}


def templates() -> dict[str, str]:
    """Every sentence template of the leaflet, by name (headings excluded): the
    module's templates, each figure's words, and each treatment's paragraph (what
    happens, and the names a letter may use)."""
    out = {name: value for name, value in globals().items()
           if name.isupper() and isinstance(value, str) and name not in HEADINGS}
    for key, figure in FIGURES.items():
        out[f"FIGURES.{key}.label"] = IN_100 + " " + figure.label + "."
        out[f"FIGURES.{key}.out_of"] = figure.out_of
        out[f"FIGURES.{key}.out_of_any"] = figure.out_of_any
        for i, text in enumerate((*figure.means, *(figure.means_any or ()))):
            out[f"FIGURES.{key}.means.{i}"] = text
    for code, treatment in (*TREATMENTS.items(), ("SERVICE", SERVICE)):
        out[f"TREATMENTS.{code}"] = " ".join(
            (*treatment.what, ALSO_CALLED.format(also=treatment.also)))
    for group, dictionary in (("STEP", STEP), ("PROBLEM_GLOSS", PROBLEM_GLOSS),
                              ("ROLE_GLOSS", ROLE_GLOSS)):
        for key, text in dictionary.items():
            out[f"{group}.{key}"] = text
    return out


def filled(template: str) -> list[str]:
    """``template`` filled with :data:`SAMPLES`, and once more for every variant of
    each field it has (every treatment name, problem, medium and role)."""
    texts = [template.format(**SAMPLES)]
    for field, values in VARIANTS.items():
        if "{" + field + "}" in template:
            texts += [template.format(**{**SAMPLES, field: value}) for value in values]
    return texts
