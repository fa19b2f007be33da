"""Reading Keras (2 and 3) model configs: input shapes, and Keras's keys mapped to kerasish's."""


def _find_batch_shape(layer_config):
    cfg = layer_config.get("config", {}) if isinstance(layer_config, dict) else {}
    for key in ("batch_shape", "batch_input_shape"):
        if cfg.get(key) is not None:
            return list(cfg[key])
    return None


def input_shape_from_config(model_config):
    """The batch input shape a Keras/kerasish model config records (first input), or None."""
    if not isinstance(model_config, dict):
        return None
    cfg = model_config.get("config", {})
    if not isinstance(cfg, dict):
        return None
    if cfg.get("build_input_shape") is not None:
        return list(cfg["build_input_shape"])
    for layer in cfg.get("layers", []) or []:
        shape = _find_batch_shape(layer)
        if shape is not None:
            return shape
        if isinstance(layer, dict) and layer.get("config", {}).get("input_shape") is not None:
            return [None] + list(layer["config"]["input_shape"])
    return None
