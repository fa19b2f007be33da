"""serialize_layer / deserialize_layer / register_serializable."""
import json

import pytest

from kerasish.layers.base import Layer
from kerasish.saving import serialization as ser


class _Scale(Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def forward(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_round_trip_with_custom_objects():
    layer = _Scale(3.0, name="scale")
    data = json.loads(json.dumps(ser.serialize_layer(layer)))
    assert data["class_name"] == "_Scale" and data["config"]["factor"] == 3.0
    clone = ser.deserialize_layer(data, custom_objects={"_Scale": _Scale})
    assert type(clone) is _Scale and clone.factor == 3.0 and clone.name == "scale"


def test_unknown_class_names_it_and_says_how():
    data = ser.serialize_layer(_Scale(name="s"))
    with pytest.raises(ValueError, match=r"_Scale.*custom_objects.*register_serializable"):
        ser.deserialize_layer(data)


def test_module_field_is_never_imported(monkeypatch):
    import importlib
    calls = []
    real = importlib.import_module
    monkeypatch.setattr(importlib, "import_module",
                        lambda name, *a: calls.append(name) or real(name, *a))
    data = {"module": "os", "class_name": "system", "config": {}}
    with pytest.raises(ValueError, match="Unknown layer class 'system'"):
        ser.deserialize_layer(data)
    assert "os" not in calls and all(c.startswith("kerasish.") for c in calls)


def test_register_serializable():
    @ser.register_serializable(package="test_pkg")
    class Twice(Layer):
        def forward(self, x):
            return x * 2

    data = ser.serialize_layer(Twice(name="t"))
    assert data["registered_name"] == "test_pkg>Twice"
    assert ser.get_registered_name(Twice) == "test_pkg>Twice"
    assert type(ser.deserialize_layer(data)) is Twice
    # a bare class name also resolves when unambiguous
    assert type(ser.deserialize_layer({"class_name": "Twice", "config": {"name": "u"}})) is Twice
    assert ser.register_keras_serializable is ser.register_serializable


def test_register_conflict_and_bad_package():
    @ser.register_serializable(package="conflict_pkg", name="Thing")
    class A(Layer):
        pass

    class B(Layer):
        pass

    with pytest.raises(ValueError, match="already registered"):
        ser.register_serializable(package="conflict_pkg", name="Thing")(B)
    with pytest.raises(ValueError, match="package"):
        ser.register_serializable(package="a>b")


def test_scope_reaches_nested_from_config():
    class Outer(Layer):
        def __init__(self, inner=None, **kwargs):
            super().__init__(**kwargs)
            self.inner = ser.deserialize_layer(inner) if isinstance(inner, dict) else inner

        def get_config(self):
            return {**super().get_config(), "inner": ser.serialize_layer(self.inner)}

    data = ser.serialize_layer(Outer(_Scale(5.0), name="outer"))
    clone = ser.deserialize_layer(data, custom_objects={"Outer": Outer, "_Scale": _Scale})
    assert clone.inner.factor == 5.0
    with ser.custom_object_scope({"Outer": Outer, "_Scale": _Scale}):
        assert ser.deserialize_layer(data).inner.factor == 5.0


def test_malformed_configs():
    with pytest.raises(ValueError, match="class_name"):
        ser.deserialize_layer({"config": {}})
    with pytest.raises(ValueError, match="must be a dict"):
        ser.deserialize_layer({"class_name": "_Scale", "config": [1]}, {"_Scale": _Scale})
    with pytest.raises(ValueError, match="Could not rebuild '_Scale'"):
        ser.deserialize_layer({"class_name": "_Scale", "config": {"nope": 1}}, {"_Scale": _Scale})
    with pytest.raises(TypeError, match="expects a Layer"):
        ser.serialize_layer(object())


def test_builtin_layers_found_when_present():
    core = pytest.importorskip("kerasish.layers.core")
    layer = core.Dense(4, name="d")
    clone = ser.deserialize_layer(json.loads(json.dumps(ser.serialize_layer(layer))))
    assert type(clone) is core.Dense and clone.get_config() == layer.get_config()
