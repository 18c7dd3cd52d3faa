"""The parameter file: defaults, overrides, and clear errors for bad ones."""

from __future__ import annotations

import pytest
from scipy.stats import lognorm

from tincheck.synth.parameters import SynthConfigError, load_parameters
from tincheck.synth.pathway import course_split, first_treatment_wait


def write(tmp_path, text: str):
    path = tmp_path / "my.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_hold_the_published_funnel():
    targets = load_parameters()["targets"]
    assert targets["finished_course"] == 0.395
    assert targets["recovery_rate"] == 0.521


def test_override_changes_only_the_keys_given(tmp_path):
    params = load_parameters(write(tmp_path, "[targets]\nrecovery_rate = 0.45\n"))
    assert params["targets"]["recovery_rate"] == 0.45
    assert params["targets"]["reliable_improvement_rate"] == 0.674


def test_override_of_one_entry_in_a_table_keeps_the_others(tmp_path):
    params = load_parameters(write(tmp_path, "[pathway.low_medium]\ntelephone = 0.9\n"))
    assert params["pathway"]["low_medium"]["telephone"] == 0.9
    assert params["pathway"]["low_medium"]["video"] == 0.14


def test_dict_config_is_accepted():
    assert load_parameters({"interviews": {"missing_end": 0.5}})["interviews"][
        "missing_end"] == 0.5


def test_unknown_key_names_file_key_and_the_known_keys(tmp_path):
    with pytest.raises(SynthConfigError) as err:
        load_parameters(write(tmp_path, "[targets]\nrecovery = 0.5\n"))
    message = str(err.value)
    assert message.startswith("my.toml: unknown key targets.recovery")
    assert "recovery_rate" in message


def test_wrong_type_says_what_was_expected(tmp_path):
    with pytest.raises(SynthConfigError, match=r"calendar.received_months = '24'; "
                                               r"expected a number"):
        load_parameters(write(tmp_path, '[calendar]\nreceived_months = "24"\n'))


def test_probability_outside_0_1_is_an_error(tmp_path):
    with pytest.raises(SynthConfigError, match=r"pathway.missed = 1.5; expected a share"):
        load_parameters(write(tmp_path, "[pathway]\nmissed = 1.5\n"))


def test_funnel_targets_must_sum_to_one(tmp_path):
    with pytest.raises(SynthConfigError, match="sum to 1.1000; expected 1"):
        load_parameters(write(tmp_path, "[targets]\nfinished_course = 0.495\n"))


def test_response_classes_must_sum_to_one():
    with pytest.raises(SynthConfigError, match="worsening_share sum to 1.0700; expected 1"):
        load_parameters({"model": {"response": {"worsening_share": 0.10}}})


def test_unknown_code_in_a_choice_table(tmp_path):
    with pytest.raises(SynthConfigError, match=r"pathway.low_therapy has 'gsh_bok'; "
                                               r"expected one of gsh_book"):
        load_parameters(write(tmp_path, "[pathway.low_therapy]\ngsh_bok = 1\n"))


def test_icd10_codes_need_their_dot(tmp_path):
    with pytest.raises(SynthConfigError, match="written with their dot"):
        load_parameters(write(tmp_path, '[descriptors.depression.icd10]\n"F321" = 1\n'))


def test_a_new_descriptor_can_be_added(tmp_path):
    params = load_parameters(write(tmp_path, """
[descriptors.eating]
finished = 1000
disorder = "other"
icd10 = { "F50.2" = 1 }
"""))
    assert params["descriptors"]["eating"]["finished"] == 1000


def test_a_new_descriptor_needs_every_key(tmp_path):
    with pytest.raises(SynthConfigError, match="needs the keys disorder"):
        load_parameters(write(tmp_path, '[descriptors.eating]\nfinished = 1\n'
                                        'icd10 = { "F50.2" = 1 }\n'))


def test_unreadable_toml_and_missing_file(tmp_path):
    with pytest.raises(SynthConfigError, match="not valid TOML"):
        load_parameters(write(tmp_path, "[targets\n"))
    with pytest.raises(SynthConfigError, match="no such parameter file"):
        load_parameters(tmp_path / "absent.toml")


def test_first_treatment_wait_reproduces_both_wait_targets():
    mu, sigma = first_treatment_wait(load_parameters())
    # By hand: z(0.894) = 1.24808, z(0.99) = 2.32635; sigma = ln 3 / 1.07827 = 1.01886,
    # mu = ln 42 - 1.24808 * 1.01886 = 2.46606 (median wait 11.8 days).
    assert (mu, sigma) == pytest.approx((2.46606, 1.01886), abs=1e-4)
    # Peer: scipy.stats.lognorm(s=sigma, scale=exp(mu)).cdf(...)
    wait = lognorm(s=sigma, scale=2.718281828459045 ** mu)
    assert wait.cdf(42) == pytest.approx(0.894, abs=1e-9)
    assert wait.cdf(126) == pytest.approx(0.99, abs=1e-9)


def test_course_split_gives_the_low_intensity_only_target():
    # s1 = 0.295 / 0.69 = 0.427536; q = (0.70 - 0.95 s1) / (1 - s1) = 0.513292;
    # the rest 0.486708 split 1.704 : 1 -> 0.306713 stepped, 0.179995 high only.
    assert course_split(load_parameters()) == pytest.approx(
        [0.513292, 0.306713, 0.179995], abs=1e-6)


def test_unreachable_low_intensity_target_is_explained():
    params = load_parameters({"targets": {"low_intensity_only": 0.3}})
    with pytest.raises(SynthConfigError, match="cannot be reached"):
        course_split(params)
