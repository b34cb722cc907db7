"""The storage seam: `open_storage(None | path | Storage)` and the one study check."""

import pytest

import spacedsl
from spacedsl.storage import Storage, Store, StoreError, open_storage, open_study

SPACE = "x in 1..6"


def test_none_a_path_or_a_storage(tmp_path):
    with open_storage(None) as store:
        assert store is None
    with open_storage(tmp_path / "a.sqlite") as store:
        assert isinstance(store, Store) and isinstance(store, Storage)
    with Store(tmp_path / "b.sqlite") as mine:
        with open_storage(mine) as store:
            assert store is mine
        assert mine.studies() == []  # left open: it is the caller's
    with pytest.raises(TypeError, match="storage must be None, a path or a Storage.*has no studies"):
        with open_storage(object()):
            pass


def test_minimize_resumes_in_a_storage_object_it_was_given(tmp_path):
    with Store(tmp_path / "runs.sqlite") as store:
        first = spacedsl.minimize(lambda c: c["x"], SPACE, strategy="grid", n_trials=3, storage=store, study="s")
        again = spacedsl.minimize(lambda c: c["x"], SPACE, strategy="grid", n_trials=5, storage=store, study="s")
        assert [t.params["x"] for t in first.trials] == [1, 2, 3]
        assert [t.params["x"] for t in again.trials] == [1, 2, 3, 4, 5]
        assert [t.number for t in store.trials("s")] == [0, 1, 2, 3, 4]


def test_open_study_is_the_one_study_check(tmp_path):
    with Store(tmp_path / "runs.sqlite") as store:
        assert open_study(store, "s", SPACE, "grid") == []
        store.record("s", spacedsl.Trial(0, {"x": 1}, 1.0, "complete"))
        assert [t.params for t in open_study(store, "s", SPACE, "grid")] == [{"x": 1}]
        with pytest.raises(StoreError, match="different direction"):
            open_study(store, "s", SPACE, "grid", maximize=True)
        assert open_study(store, "s", SPACE, "random", new_study=True) == []
