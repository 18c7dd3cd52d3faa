"""The app's forms: sign-in, the interview (with its disorder modules), a correction,
and the coordinator's small forms. Validation of study rules lives in services."""

from __future__ import annotations

import datetime as _dt

from django import forms

from .models import DISORDERS, INSTRUMENTS, MODES, STATUSES, UNBLINDED_HOW
from .services import InterviewData


class LoginForm(forms.Form):
    username = forms.CharField(label="User name", max_length=40,
                               widget=forms.TextInput(attrs={"autocomplete": "username",
                                                             "autocapitalize": "none"}))
    password = forms.CharField(label="Password", max_length=200, strip=False,
                               widget=forms.PasswordInput(
                                   attrs={"autocomplete": "current-password"}))


def _radio(choices, label):
    return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, label=label,
                             required=True, error_messages={
                                 "required": f"Choose one: {label.lower()}."})


class InterviewForm(forms.Form):
    """One interview: how it was done, then a status for every disorder module."""

    instrument = forms.ChoiceField(label="Interview used",
                                   choices=(("", "choose…"),) + INSTRUMENTS,
                                   error_messages={"required": "Choose the interview used."})
    instrument_version = forms.CharField(label="Version of the interview (optional)",
                                         max_length=40, required=False)
    # a date input always sends ISO dates; DD/MM/YYYY is accepted where typed as text
    date = forms.DateField(label="Date of the interview",
                           input_formats=["%Y-%m-%d", "%d/%m/%Y"],
                           widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
                           error_messages={"required": "Give the date of the interview.",
                                           "invalid": "Give the date as YYYY-MM-DD."})
    outside_window = forms.BooleanField(
        label="The date is outside the window: record it anyway", required=False)
    mode = _radio(MODES, "How it was done")
    duration_minutes = forms.IntegerField(label="Duration (minutes)", min_value=1,
                                          max_value=600)
    retrospective = _radio((("current", "current"),
                            ("retrospective", "lifetime / past episode (retrospective)")),
                           "Rating period")
    usual_self_pct = forms.IntegerField(
        label="How far are you back to your usual self? (0-100; leave empty if not asked)",
        min_value=0, max_value=100, required=False)
    unblinded = _radio((("no", "no"), ("yes", "yes")),
                       "Before rating, did you learn the treatment this person received "
                       "or their questionnaire scores")
    unblinded_how = forms.ChoiceField(label="If yes, how", required=False,
                                      choices=(("", "—"),) + UNBLINDED_HOW)
    note = forms.CharField(label="Note (optional; no names or other identifying details)",
                           max_length=1000, required=False, widget=forms.Textarea(
                               attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, label in DISORDERS:
            self.fields[f"status_{code}"] = _radio(STATUSES, label[:1].upper() + label[1:])

    def modules(self):
        """The bound status fields, one per disorder module, in code-list order."""
        return [(code, self[f"status_{code}"]) for code, _ in DISORDERS]

    def data_object(self) -> InterviewData:
        c = self.cleaned_data
        return InterviewData(
            instrument=c["instrument"], date=c["date"], mode=c["mode"],
            duration_minutes=c["duration_minutes"],
            retrospective=c["retrospective"] == "retrospective",
            unblinded=c["unblinded"] == "yes",
            statuses={code: c[f"status_{code}"] for code, _ in DISORDERS},
            instrument_version=c["instrument_version"].strip(),
            usual_self_pct=c["usual_self_pct"], unblinded_how=c["unblinded_how"],
            note=c["note"].strip(), outside_window=c["outside_window"])

    @staticmethod
    def initial_from(content: dict) -> dict:
        """Form values of a stored interview (a correction starts from the current one)."""
        initial = {k: content[k] for k in ("instrument", "instrument_version", "mode",
                                           "duration_minutes", "usual_self_pct",
                                           "unblinded_how", "note")}
        initial["date"] = _dt.date.fromisoformat(content["date"])
        initial["retrospective"] = "retrospective" if content["retrospective"] else "current"
        initial["unblinded"] = "yes" if content["unblinded"] else "no"
        for code, status in content["statuses"].items():
            initial[f"status_{code}"] = status
        return initial


class CorrectionForm(InterviewForm):
    reason = forms.CharField(label="Reason for the correction", max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": "Give the reason for the "
                                             "correction."})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["reason"])


class AssignForm(forms.Form):
    assessor = forms.ChoiceField(label="Assessor")

    def __init__(self, *args, assessors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessor"].choices = [("", "choose…")] + [
            (name, f"{name} ({code})") for name, code in assessors]
