"""`spacedsl.integrations.optuna`: `suggest` inside Optuna's own loop, and Optuna samplers as strategies."""

import json
import math
import sys

import numpy as np
import pytest
import scipy.stats

import spacedsl
from spacedsl import cli, plugins
from spacedsl.formats import ConversionError, LossyConversion, convert
from spacedsl.integrations.optuna import CONFIG_ATTR, OptunaStrategy, suggest

optuna = pytest.importorskip("optuna")
optuna.logging.set_verbosity(optuna.logging.WARNING)

SPACE = """
kernel in ["linear", "rbf", "poly"]
C ~ loguniform(1e-3, 1e3)
if kernel == "poly" {
    degree in 2..5
} else {
    coef in 0..1 step 0.25
}
if kernel in ["rbf", "poly"] {
    gamma ~ loguniform(1e-4, 1) = 0.01
}
n: int ~ uniform(1, 50)
z ~ normal(0, 2)
e: int ~ expon(100)
flag in [1, true]
(a, b) in [(1, "x"), (2, "y")]
where C * n <= 2000
seed = 7
"""


def loss(config):
    return math.log10(config["C"]) ** 2 + (config["n"] - 20) ** 2 / 100 + (config["kernel"] == "rbf")


def study(seed=0):
    return optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=5))


# ------------------------------------------------------------ define-by-run
def test_a_study_driven_by_suggest_gives_valid_configurations_and_suggests_only_active_parameters():
    space = spacedsl.parse(SPACE)
    configs = []

    def objective(trial):
        config = suggest(trial, space)
        space.validate(config)
        configs.append(config)
        asked = set(trial.params)
        assert ("degree" in asked) == (config["kernel"] == "poly")
        assert ("gamma" in asked) == (config["kernel"] != "linear")
        assert ("coef" in asked) == (config["kernel"] != "poly")
        return loss(config)

    s = study()
    s.optimize(objective, n_trials=40)
    assert len(configs) >= 30 and {c["kernel"] for c in configs} == {"linear", "rbf", "poly"}
    assert all(c["seed"] == 7 and type(c["e"]) is int and type(c["n"]) is int for c in configs)
    assert all(type(c["flag"]) in (int, bool) for c in configs) and {type(c["flag"]) for c in configs} == {int, bool}
    assert s.best_trial.user_attrs[CONFIG_ATTR] in configs
    space.validate(s.best_trial.user_attrs[CONFIG_ATTR])


def test_domains_become_the_natural_optuna_distributions():
    space = spacedsl.parse(SPACE)
    trial = study().ask()
    config = suggest(trial, space)
    d = trial.distributions
    assert d["C"] == optuna.distributions.FloatDistribution(1e-3, 1e3, log=True)
    # ': int' rounds Optuna's float as spacedsl rounds its own draw: the same marginal
    assert d["n"] == optuna.distributions.FloatDistribution(1, 50) and config["n"] == int(trial.params["n"] + 0.5)
    assert d["kernel"] == optuna.distributions.CategoricalDistribution(["linear", "rbf", "poly"])
    assert d["(a, b)"] == optuna.distributions.CategoricalDistribution([0, 1])
    # no Optuna equivalent: the unit-cube coordinate, mapped through the inverse CDF
    assert d["z[unit]"] == optuna.distributions.FloatDistribution(0, 1)
    assert d["e[unit]"] == optuna.distributions.FloatDistribution(0, 1)
    # 1 and true are equal to Python: asked by index
    assert d["flag[index]"] == optuna.distributions.CategoricalDistribution([0, 1])
    assert config["z"] == pytest.approx(2 * scipy.stats.norm.ppf(trial.params["z[unit]"]))


def test_the_marginals_are_spacedsls_even_where_optuna_has_no_such_distribution():
    space = spacedsl.parse("z ~ normal(3, 2)\ne ~ expon(10)\nn: int ~ uniform(1, 4)\nq ~ uniform(0, 1, step=0.5)")
    s = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    drawn = [suggest(s.ask(), space) for _ in range(800)]
    assert scipy.stats.kstest([c["z"] for c in drawn], scipy.stats.norm(3, 2).cdf).pvalue > 0.01
    assert scipy.stats.kstest([c["e"] for c in drawn], scipy.stats.expon(scale=10).cdf).pvalue > 0.01
    ours = space.sample(800, seed=0)
    for name, support in (("n", [1, 2, 3, 4]), ("q", [0.0, 0.5, 1.0])):  # the rounded ends weigh half
        table = [[sum(c[name] == v for c in sample) for v in support] for sample in (drawn, ours)]
        assert scipy.stats.chi2_contingency(table)[1] > 0.01


def test_a_float_range_and_a_stepped_uniform_come_back_as_exact_lattice_values():
    space = spacedsl.parse("r in 0..1 step 0.1\nq ~ uniform(0, 1, step=0.3)")
    s = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    seen = set()
    for _ in range(200):
        config = suggest(s.ask(), space)
        space.validate(config)
        seen |= {("r", config["r"]), ("q", config["q"])}
    assert {v for k, v in seen if k == "r"} == {round(0.1 * i, 1) for i in range(11)}
    assert {v for k, v in seen if k == "q"} == {0.0, 0.3, 0.6, 0.9}


def test_a_broken_constraint_prunes_the_trial_and_optimize_goes_on():
    space = spacedsl.parse("x ~ uniform(0, 1)\ny ~ uniform(0, 1)\nwhere x + y <= 0.5")
    s = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    s.optimize(lambda trial: sum(suggest(trial, space).values()), n_trials=40)
    states = [t.state for t in s.trials]
    assert optuna.trial.TrialState.PRUNED in states and optuna.trial.TrialState.COMPLETE in states
    for t in s.trials:
        if t.state == optuna.trial.TrialState.COMPLETE:
            space.validate(t.user_attrs[CONFIG_ATTR])
    with pytest.raises(optuna.TrialPruned, match=r"where x \+ y <= 0.5.*line 3"):
        while True:
            suggest(s.ask(), space)


def test_same_seed_same_suggestions():
    def run():
        s = study(seed=3)
        s.optimize(lambda trial: loss(suggest(trial, SPACE)), n_trials=12)
        return [t.params for t in s.trials]
    assert run() == run()


def test_a_missing_optuna_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)  # import optuna now fails
    with pytest.raises(ImportError, match=r"pip install 'spacedsl\[optuna\]'"):
        suggest(object(), "x in [1, 2]")
    with pytest.raises(spacedsl.PluginError, match=r"optuna:TPESampler.*pip install 'spacedsl\[optuna\]'"):
        plugins.strategy("optuna:TPESampler")


# -------------------------------------------------------------- strategies
def test_minimize_with_an_optuna_sampler_respects_conditionals_and_constraints():
    space = spacedsl.parse(SPACE)
    result = spacedsl.minimize(loss, space, strategy="optuna:TPESampler", n_trials=25, seed=0,
                               strategy_options={"n_startup_trials": 5})
    assert len(result.trials) == 25
    for t in result.trials:
        space.validate(t.params)
    assert result.trials[0].params["gamma" if "gamma" in result.trials[0].params else "kernel"] is not None
    again = spacedsl.minimize(loss, space, strategy="optuna:TPESampler", n_trials=25, seed=0,
                              strategy_options={"n_startup_trials": 5})
    assert [t.params for t in again.trials] == [t.params for t in result.trials]


def test_the_strategy_maps_ask_and_tell_onto_optuna_trials():
    space = spacedsl.parse(SPACE)
    strategy = plugins.strategy("optuna:TPESampler")(space, seed=0, n_startup_trials=3)
    assert isinstance(strategy.sampler, optuna.samplers.TPESampler) and strategy.sampler._n_startup_trials == 3
    first, second = strategy.ask(2)
    running = [t for t in strategy.study.trials if t.state == optuna.trial.TrialState.RUNNING]
    assert len(running) == 2  # pending configurations are running trials
    assert first.get("gamma", 0.01) == 0.01 or first["kernel"] == "linear"  # the default goes first
    strategy.tell(second, None)
    strategy.tell(first, 1.5)
    by_state = {t.state: t for t in strategy.study.trials}
    assert by_state[optuna.trial.TrialState.COMPLETE].value == 1.5
    assert optuna.trial.TrialState.FAIL in by_state
    # told but never asked (a resumed store): a finished trial of its own
    other = space.sample(seed=9)
    strategy.tell(other, 0.25)
    added = strategy.study.trials[-1]
    assert added.state == optuna.trial.TrialState.COMPLETE and added.value == 0.25
    assert added.params["C"] == other["C"] and added.params["n"] == other["n"]
    assert added.params["z[unit]"] == pytest.approx(scipy.stats.norm(0, 2).cdf(other["z"]))


def test_a_repeat_of_a_complete_configuration_is_told_its_loss_when_asked():
    """A loop with a store skips a proposal it has already run: its Optuna trial must not stay running."""
    strategy = OptunaStrategy("k in [1, 2]", seed=0, sampler="RandomSampler")
    strategy.tell({"k": 1}, 0.5)  # resumed from a store
    asked = [strategy.ask()[0] for _ in range(20)]  # the loop skips every k == 1: never told
    repeats = [t for t in strategy.study.trials[1:] if t.params["k"] == 1]
    assert repeats and all(t.state == optuna.trial.TrialState.COMPLETE and t.value == 0.5 for t in repeats)
    running = [t for t in strategy.study.trials if t.state == optuna.trial.TrialState.RUNNING]
    assert len(running) == sum(c["k"] == 2 for c in asked)
    n = len(strategy.study.trials)
    strategy.tell({"k": 1}, 0.5)  # run anyway (no store), same loss: its trial already has it
    assert len(strategy.study.trials) == n
    strategy.tell({"k": 1}, 0.7)  # a noisy objective's new loss is one more observation
    assert len(strategy.study.trials) == n + 1 and strategy.study.trials[-1].value == 0.7


@pytest.mark.parametrize("sampler", ["TPESampler", "CmaEsSampler"])
def test_proposals_breaking_a_constraint_are_pruned_trials_and_never_reach_the_caller(sampler):
    if sampler == "CmaEsSampler":
        pytest.importorskip("cmaes")
    space = spacedsl.parse("x ~ uniform(0, 1)\ny ~ uniform(0, 1)\nwhere x + y <= 0.3")
    strategy = OptunaStrategy(space, seed=0, sampler=sampler)
    for _ in range(12 if sampler == "TPESampler" else 5):  # the loss pulls y up, against the constraint
        for config in strategy.ask(1):
            space.validate(config)
            strategy.tell(config, config["x"] - config["y"])
    pruned = [t for t in strategy.study.trials if t.state == optuna.trial.TrialState.PRUNED]
    assert strategy.infeasible == len(pruned) > 0
    assert all("where x + y <= 0.3" in t.user_attrs["spacedsl.infeasible"] for t in pruned)


def test_unknown_samplers_and_bad_options_are_clear():
    with pytest.raises(spacedsl.PluginError, match="unknown Optuna sampler 'TPESamplr'; did you mean 'TPESampler'"):
        plugins.strategy("optuna:TPESamplr")
    with pytest.raises(spacedsl.PluginError, match="unknown Optuna sampler 'BaseSampler'"):
        plugins.strategy("optuna:BaseSampler")
    with pytest.raises(ValueError, match="optuna.samplers.TPESampler: .*no_such_option"):
        spacedsl.minimize(loss, SPACE, strategy="optuna:TPESampler", n_trials=2,
                          strategy_options={"no_such_option": 1})


def test_any_plugin_can_offer_a_family_of_strategies():
    made = []

    class Toy:
        @spacedsl.hookimpl
        def spacedsl_strategies(self):
            def family(rest):
                if rest != "ok":
                    raise spacedsl.PluginError(f"no toy {rest!r}")
                made.append(rest)
                return plugins.strategy("random")
            return {"toy:": family}

    toy = Toy()
    plugins.register(toy, name="toy")
    try:
        result = spacedsl.minimize(lambda c: c["x"], "x ~ uniform(0, 1)", strategy="toy:ok", n_trials=3)
        assert len(result.trials) == 3 and made == ["ok"]
        with pytest.raises(spacedsl.PluginError, match="no toy 'nope'"):
            plugins.strategy("toy:nope")
        with pytest.raises(spacedsl.PluginError, match="unknown strategy 'toyz:ok'"):
            plugins.strategy("toyz:ok")
    finally:
        plugins.unregister(toy)


def test_the_family_shows_in_the_listing():
    rows = {(kind, name): prov for kind, name, prov in plugins.listing()}
    assert rows[("strategy", "optuna:NAME")].package == "spacedsl"


def test_minimize_with_storage_resumes_an_optuna_study(tmp_path):
    db = str(tmp_path / "runs.sqlite")
    first = spacedsl.minimize(loss, SPACE, strategy="optuna:TPESampler", n_trials=6, seed=0, storage=db, study="s")
    second = spacedsl.minimize(loss, SPACE, strategy="optuna:TPESampler", n_trials=10, seed=0, storage=db,
                               study="s")
    assert len(second.trials) == 10 and [t.params for t in second.trials[:6]] == [t.params for t in first.trials]
    space = spacedsl.parse(SPACE)
    for t in second.trials:
        space.validate(t.params)


def test_tune_with_an_optuna_sampler_and_storage_resumes(tmp_path, capsys):
    path = tmp_path / "svm.space"
    path.write_text("C ~ loguniform(1e-2, 1e2)\nkernel in ['linear', 'rbf']\nif kernel == 'rbf' {\n"
                    "    gamma ~ loguniform(1e-3, 1)\n}\n")
    db = str(tmp_path / "runs.sqlite")
    common = ["tune", str(path), "--estimator", "sklearn.svm.SVC", "--data", "builtin:iris", "--storage", db,
              "--strategy", "optuna:TPESampler", "--json", "-q"]
    assert cli.main([*common, "--trials", "3"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["n_trials"] == 3 and json.loads(out)["strategy"] == "optuna:TPESampler"
    assert cli.main([*common, "--trials", "5"]) == 0
    out, err = capsys.readouterr()
    got = json.loads(out)
    assert got["n_trials"] == 5 and "Trial" not in err  # Optuna's own per-trial log lines stay quiet
    spacedsl.load(path).validate(got["best_params"])
    assert cli.main([*common[:-4], "--strategy", "optuna:TPESamplr", "--trials", "1"]) == 2
    out, err = capsys.readouterr()
    assert "did you mean 'TPESampler'" in err and len(err.strip().splitlines()) == 1


def test_a_space_of_constants_only_still_asks():
    strategy = OptunaStrategy("a = 1", seed=0, sampler="RandomSampler")
    assert strategy.ask(2) == [{"a": 1}, {"a": 1}] and strategy.adaptive is False
    np.testing.assert_equal(len(strategy.study.trials), 2)


# ------------------------------------------------------------ the format
def test_convert_to_optuna_is_a_define_by_run_helper_for_any_space():
    space = spacedsl.parse(SPACE)
    fn = convert(space, "optuna")
    s = study()
    s.optimize(lambda trial: loss(fn(trial)), n_trials=5)
    assert all(t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED) for t in s.trials)
    assert convert(fn, "spacedsl") is space and "Space of kernel, C" in repr(fn)


def test_a_space_whose_constraints_almost_no_draw_meets_is_refused_as_define_by_run():
    rare = spacedsl.parse("x ~ uniform(0, 1)\ny ~ uniform(0, 1)\nwhere x < 0.001 and y < 0.1", filename="rare.space")
    with pytest.raises(ConversionError, match=r"rare.space:3:1: where x < 0.001 and y < 0.1: only 0.01% .*"
                                              r"about 10,000 trials would be pruned for each one evaluated") as e:
        convert(rare, "optuna")
    assert len(e.value.problems) == 1 and e.value.problems[0].line == 3
    with pytest.warns(UserWarning, match=r"converted to optuna unchanged, but rare.space:3:1: where x < 0.001"):
        fn = convert(rare, "optuna", lossy=True)
    assert fn.space is rare
    assert convert(spacedsl.parse("x ~ uniform(0, 1)\ny ~ uniform(0, 1)\nwhere x < 0.1"), "optuna").space.names == ("x", "y")


def test_flat_spaces_become_optuna_distributions_and_back():
    text = ('opt in ["adam", "sgd"]\nlr ~ loguniform(0.0001, 0.1)\nlayers in 1..8\nwidth in 16..256 step 16\n'
            "drop in 0.0..0.5 step 0.1\nmomentum ~ uniform(0.5, 0.99)\nepochs = 10\n")
    space = spacedsl.parse(text)
    dists = convert(space, "optuna", kind="distributions")
    d = optuna.distributions
    assert dists == {"opt": d.CategoricalDistribution(["adam", "sgd"]), "lr": d.FloatDistribution(1e-4, 0.1, log=True),
                     "layers": d.IntDistribution(1, 8), "width": d.IntDistribution(16, 256, step=16),
                     "drop": d.CategoricalDistribution((0.0, 0.1, 0.2, 0.3, 0.4, 0.5)),  # Optuna's 3 * 0.1 is not 0.3
                     "momentum": d.FloatDistribution(0.5, 0.99),
                     "epochs": d.CategoricalDistribution([10])}
    back = convert(dists, "spacedsl")
    assert spacedsl.dumps(back) == text.replace("epochs = 10", "epochs in [10]")
    json_text = plugins.format("optuna").dumps(space)
    assert convert(json_text, "spacedsl", source="optuna") == back
    trial = optuna.create_study().ask(fixed_distributions=dists)
    space.validate(trial.params)


def test_a_float_step_gives_spacedsl_lattice_values_through_optuna_distributions():
    """Optuna's FloatDistribution(0, 1, step=0.1) draws 0.30000000000000004, which spacedsl never gives:
    such a range is a categorical of spacedsl's values; a step Optuna computes exactly stays a step."""
    d = optuna.distributions
    space = spacedsl.parse("a in 0..1 step 0.1\nh in 0..2 step 0.5")
    dists = convert(space, "optuna", kind="distributions")
    assert dists["h"] == d.FloatDistribution(0.0, 2.0, step=0.5)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    drawn = {study.ask(fixed_distributions=dists).params["a"] for _ in range(300)}
    assert drawn == {k / 10 for k in range(11)} and 0.3 in drawn
    assert spacedsl.dumps(convert(dists, "spacedsl")) == "a in 0.0..1.0 step 0.1\nh in 0.0..2.0 step 0.5\n"
    with pytest.raises(ConversionError, match="too many for a categorical"):
        convert("x in 0..1000 step 0.1", "optuna", kind="distributions")


def test_what_optuna_distributions_cannot_carry_is_refused_with_positions():
    space = spacedsl.parse('k in [1, 2]\nif k == 1 {\n    z ~ uniform(0, 1)\n}\ne ~ normal(0, 1)\nf in [1, true]\n'
                           "(a, b) in [(1, 2)]\nwhere k > 0\ng ~ uniform(0, 1) = 0.5\nn: int ~ uniform(1, 9)\n",
                           filename="o.space")
    with pytest.raises(ConversionError) as info:
        convert(space, "optuna", kind="distributions")
    assert sorted((p.line, p.column) for p in info.value.problems) == [(2, 1), (5, 1), (6, 1), (7, 1), (8, 1),
                                                                      (10, 1)]
    assert "kind='suggest'" in str(info.value)
    with pytest.warns(LossyConversion):
        assert list(convert(space, "optuna", kind="distributions", lossy=True)) == ["k", "g"]
    with pytest.raises(ConversionError) as info:
        convert({"bad name": optuna.distributions.FloatDistribution(0, 1),
                 "ok": optuna.distributions.IntDistribution(1, 3, log=True)}, "spacedsl")
    assert [p.statement for p in info.value.problems] == ["bad name"]


def test_the_spec_name_works_after_import_spacedsl_and_imports_no_optuna_until_used():
    import subprocess
    code = ("import sys, spacedsl; f = spacedsl.integrations.optuna.suggest; "
            "spacedsl.plugins.strategies(); print('optuna' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_a_randint_wider_than_a_range_reads_back_as_randint():
    dists = convert("x ~ randint(0, 4611686018427387903)", "optuna", kind="distributions")
    assert spacedsl.dumps(convert(dists, "spacedsl")) == "x ~ randint(0, 4611686018427387903)\n"
    assert spacedsl.dumps(convert({"x": optuna.distributions.IntDistribution(0, 9)}, "spacedsl")) == "x in 0..9\n"
