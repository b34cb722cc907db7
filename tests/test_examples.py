"""The example spaces in examples/ load, sample valid configurations for their
scikit-learn estimators, enumerate a grid, and survive the canonical form."""

import itertools
import pathlib

import pytest
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import SGDClassifier
from sklearn.svm import SVC

import spacedsl

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"

ESTIMATORS = {
    "random_forest.space": RandomForestClassifier,
    "svm.space": SVC,
    "gradient_boosting.space": GradientBoostingClassifier,
    "sgd.space": SGDClassifier,
}


# Spaces that choose the model (named objects), tested in tests/test_model_cases.py.
MODEL_CHOICE = ["optuna_quickstart.space", "pipeline_choice.space", "pipeline_choice_cli.space"]


def test_every_example_is_tested():
    assert sorted(p.name for p in EXAMPLES.glob("*.space")) == sorted(list(ESTIMATORS) + MODEL_CHOICE)


@pytest.fixture(params=sorted(ESTIMATORS))
def example(request):
    path = EXAMPLES / request.param
    return path, spacedsl.load(path), ESTIMATORS[request.param]


def _check_params(estimator_cls, config):
    """Every key is a parameter of the estimator, and the estimator accepts the values."""
    estimator = estimator_cls()
    unknown = set(config) - set(estimator.get_params())
    assert not unknown, f"not parameters of {estimator_cls.__name__}: {sorted(unknown)}"
    estimator.set_params(**config)
    if hasattr(estimator, "_validate_params"):  # scikit-learn's own parameter constraints
        estimator._validate_params()


def test_samples_are_valid(example):
    _, space, estimator_cls = example
    configs = space.sample(200, seed=0)
    assert len(configs) == 200
    for config in configs:
        space.validate(config)
        _check_params(estimator_cls, config)


def test_constants_and_names_are_estimator_parameters(example):
    _, space, estimator_cls = example
    params = set(estimator_cls().get_params())
    assert set(space.names) <= params
    assert set(space.constants) <= params


def test_grid_is_not_empty(example):
    _, space, estimator_cls = example
    first = list(itertools.islice(space.grid(resolution=2), 50))
    assert first
    for config in first:
        space.validate(config)
        _check_params(estimator_cls, config)


def test_canonical_form_round_trips(example):
    _, space, _ = example
    text = spacedsl.dumps(space)
    assert text.endswith("\n")
    again = spacedsl.parse(text, filename="canonical.space")
    assert again == space
    assert spacedsl.dumps(again) == text


def test_examples_are_commented(example):
    path, _, _ = example
    assert path.read_text(encoding="utf-8").startswith("# ")
