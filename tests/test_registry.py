import pytest

import deeptasks
from deeptasks import registry
from deeptasks.errors import UserError


def test_tasks_and_models_are_registered():
    deeptasks.get_task("super_resolution")
    assert "super_resolution" in registry.names("task")
    assert registry.names("model", "super_resolution.") == [
        "super_resolution.edsr",
        "super_resolution.espcn",
        "super_resolution.srcnn",
        "super_resolution.vdsr",
    ]


def test_duplicate_name_is_an_error():
    registry.register("test-kind", "thing", object())
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("test-kind", "thing", object())


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(UserError, match="valid tasks: .*super_resolution"):
        deeptasks.get_task("teleportation")
    with pytest.raises(UserError, match="unknown model 'nope'"):
        registry.get("model", "nope")
