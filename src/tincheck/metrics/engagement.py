"""pathway (engagement): who is never seen, by how they were referred and first contacted.

Over referrals ended in the period. Never seen: no attended contact. The first contact
is the first appointment offered (any attendance, any kind but follow-up), by (date,
row), and its medium (telephone, face to face, video, ...); a referral may have been
offered no appointment at all (an opt-in letter not answered).
"""

from __future__ import annotations

from .citations import TINCHECK
from .pathway import NO_APPOINTMENT, NOT_RECORDED, add_rates
from .registry import proportion, table

for _medium, _text in (("telephone", "by telephone"), ("face_to_face", "face to face")):
    proportion(f"pathway.not_seen_{_medium}_first",
               f"Never seen, when the first appointment offered was {_text}",
               lambda p, m=_medium: p.not_seen & (p.first_medium == m),
               lambda p, m=_medium: p.ended & (p.first_medium == m),
               f"No attended contact ÷ referrals ended whose first appointment offered was "
               f"{_text}.", TINCHECK, base="pathway")
proportion("pathway.no_appointment_offered", "Ended without any appointment",
           lambda p: p.ended & (p.first_medium == NO_APPOINTMENT), lambda p: p.ended,
           "Referrals ended with no appointment of any kind (an opt-in letter not answered, "
           "or an appointment never recorded) ÷ referrals ended.", TINCHECK, base="pathway")


def _not_seen_by(column):
    def build(bases):
        p = bases["pathway"]
        p = p.filter(p.ended)
        return p.group_by(group=p[column]).aggregate(
            referrals=p.count(), not_seen=p.not_seen.cast("int64").sum()).order_by("group")
    return build


def _finish(rows):
    for row in rows:
        add_rates(row, {"not_seen": ("not_seen", "referrals")})
    return sorted(rows, key=lambda r: (r["group"] in (NOT_RECORDED, NO_APPOINTMENT),
                                       -r["referrals"], r["group"]))


table("pathway.not_seen_by_source", "Never seen, by source of referral",
      _not_seen_by("source_of_referral"),
      "Referrals ended in the period by source of referral (self, GP, other; not_recorded): "
      "referrals, and those with no attended contact, with a Wilson 95% interval.", TINCHECK,
      columns=[("group", "source of referral"), ("referrals", "referrals ended"),
               ("not_seen", "never seen"), ("not_seen_rate", "never seen ÷ referrals")],
      finish=_finish, base="pathway")
table("pathway.not_seen_by_first_medium", "Never seen, by the medium of the first appointment",
      _not_seen_by("first_medium"),
      "Referrals ended in the period by the medium of the first appointment offered "
      "(telephone, face to face, video, text, other; not_recorded; no_appointment: none "
      "offered): referrals, and those with no attended contact, with a Wilson 95% "
      "interval. Telephone first against face to face first is an association: services "
      "choose the first medium for reasons that may also predict attendance.", TINCHECK,
      columns=[("group", "medium of the first appointment"), ("referrals", "referrals ended"),
               ("not_seen", "never seen"), ("not_seen_rate", "never seen ÷ referrals")],
      finish=_finish, base="pathway")
