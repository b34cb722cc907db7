"""The `wandb` format: W&B sweep YAML both ways, refusals listed with file:line:col."""

import pytest

import spacedsl
from spacedsl import plugins
from spacedsl.formats import ConversionError, LossyConversion, convert

yaml = pytest.importorskip("yaml")

EXACT = """
opt in ["adam", "sgd", none, true]
lr ~ loguniform(1e-05, 0.1)
layers in 1..8
momentum ~ uniform(0.5, 0.99)
noise ~ normal(0, 0.1)
scale ~ lognormal(0, 0.5)
width ~ uniform(0, 512, step=16)
epochs = 10
"""


def fmt():
    return plugins.format("wandb")


def test_a_space_round_trips_through_sweep_yaml():
    space = spacedsl.parse(EXACT)
    text = fmt().dumps(space)
    sweep = yaml.safe_load(text)
    assert sweep["method"] == "random"
    assert sweep["parameters"]["lr"] == {"distribution": "log_uniform_values", "min": 1e-05, "max": 0.1}
    assert sweep["parameters"]["layers"] == {"distribution": "int_uniform", "min": 1, "max": 8}
    assert sweep["parameters"]["opt"] == {"values": ["adam", "sgd", None, True]}
    assert sweep["parameters"]["epochs"] == {"value": 10}
    assert sweep["parameters"]["width"] == {"distribution": "q_uniform", "min": 0, "max": 512, "q": 16}
    assert convert(text, "spacedsl", source="wandb") == space
    assert fmt().dumps(fmt().loads(text)) == text
    assert convert(sweep, "spacedsl") == space  # the dict is recognised as a sweep


def test_the_sweep_dict_takes_method_and_metric():
    sweep = convert(EXACT, "wandb", method="bayes", metric={"name": "val_loss", "goal": "minimize"})
    assert sweep["method"] == "bayes" and sweep["metric"] == {"name": "val_loss", "goal": "minimize"}


def test_yaml_written_by_hand_reads_with_wandbs_own_inference():
    text = """
program: train.py
method: bayes
parameters:
  batch_size: {values: [16, 32, 64]}
  epochs: {min: 1, max: 20}
  lr: {min: 0.0001, max: 0.1}
  wd: {distribution: log_uniform, min: -9.210340371976182, max: -2.302585092994046}
  optimizer: {value: adam}
"""
    space = convert(text, "spacedsl", source="wandb")
    assert spacedsl.dumps(space) == ('batch_size in [16, 32, 64]\nepochs in 1..20\nlr ~ uniform(0.0001, 0.1)\n'
                                     'wd ~ loguniform(0.0001, 0.1)\noptimizer = "adam"\n')


def test_conditions_tied_groups_and_constraints_are_refused_together():
    space = spacedsl.parse('k in [1, 2]\nif k == 1 {\n    z ~ uniform(0, 1) = 0.5\n}\n(a, b) in [(1, 2), (3, 4)]\n'
                           'where k > 0\nx ~ expon(1)\nd ~ uniform(0, 1, step=0.1)\n', filename="s.space")
    with pytest.raises(ConversionError) as info:
        fmt().dumps(space)
    text = str(info.value)
    for needle in ("s.space:2:1: if k == 1", "s.space:5:1: (a, b) in", "s.space:6:1: where k > 0",
                   "s.space:7:1: x ~ expon(1)", "s.space:8:1: d ~ uniform(0, 1, step=0.1): W&B computes"):
        assert needle in text
    assert len(info.value.problems) == 5
    with pytest.warns(LossyConversion, match="dropped 5 statements"):
        sweep = convert(space, "wandb", lossy=True)
    assert sweep["parameters"] == {"k": {"values": [1, 2]}}


def test_what_spacedsl_cannot_read_is_refused_by_name():
    text = """
parameters:
  w: {values: [1, 2], probabilities: [0.2, 0.8]}
  nested: {parameters: {a: {value: 1}}}
  bad-name: {value: 1}
  iu: {distribution: inv_log_uniform_values, min: 1, max: 10}
  ok: {values: [1, 2]}
"""
    with pytest.raises(ConversionError) as info:
        convert(text, "spacedsl", source="wandb")
    assert [p.statement for p in info.value.problems] == ["w", "nested", "bad-name", "iu"]
    with pytest.warns(LossyConversion):
        assert spacedsl.dumps(convert(text, "spacedsl", source="wandb", lossy=True)) == "ok in [1, 2]\n"
    with pytest.raises(ValueError, match="'parameters' mapping"):
        convert("method: random\n", "spacedsl", source="wandb")


def test_a_missing_pyyaml_names_the_extra(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(ImportError, match=r"pip install 'spacedsl\[wandb\]'"):
        fmt().dumps(spacedsl.parse("x in [1, 2]"))


def test_wide_integers_read_back_and_an_overflowing_uniform_is_refused():
    sweep = convert("x ~ randint(0, 4611686018427387903)", "wandb")
    assert spacedsl.dumps(convert(sweep, "spacedsl")) == "x ~ randint(0, 4611686018427387903)\n"
    with pytest.raises(ConversionError, match="overflows a float"):
        convert("x ~ uniform(-1.7976931348623157e+308, 1.7976931348623157e+308)", "wandb")
