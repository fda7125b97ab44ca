"""Tests for tf_grw.modelgarden.experiments and the YAML overrides in configs/."""

import glob
import math
import os
import re

import pytest

from official.core import exp_factory
from official.core import task_factory
from official.modeling import hyperparams
from official.projects.movinet.configs import movinet as movinet_configs
from tf_grw.modelgarden import experiments
from tf_grw.models.mobilenet import mobilenet_grw
from tf_grw.modelgarden import mobilenet_task
from tf_grw.modelgarden import movinet_task
from tf_grw.models.movinet import movinet_grw

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_YAMLS = sorted(glob.glob(os.path.join(_REPO, "configs", "*.yaml")))


def _registered():
  names = exp_factory._REGISTERED_CONFIGS  # pylint: disable=protected-access
  return sorted(n for n in names
                if n.startswith(("movinet_grw_", "mobilenet_grw_")))


def _model_kwargs(task):
  if isinstance(task, mobilenet_task.MobilenetGRWTaskConfig):
    return mobilenet_task.mobilenet_model_kwargs(task)
  return movinet_task.model_kwargs(task)


def _check_experiment(config):
  """Validates a config and resolves its model without building it."""
  config.validate()
  task = config.task
  kwargs = _model_kwargs(task)
  if isinstance(task, mobilenet_task.MobilenetGRWTaskConfig):
    valid = mobilenet_grw.valid_grw_endpoints(kwargs["model_id"],
                                              kwargs["filter_size_scale"])
    task_cls = mobilenet_task.MobilenetGRWTask
  else:
    assert isinstance(task, movinet_task.MovinetGRWTaskConfig)
    valid = movinet_grw.valid_grw_endpoints(kwargs["model_id"],
                                            kwargs["head"])
    assert movinet_grw.movinet_recipe(kwargs["model_id"], kwargs["stream"])
    task_cls = movinet_task.MovinetGRWTask
  for entry in kwargs["grw_endpoints"]:
    assert entry["endpoint"] in valid, entry
    window = entry.get("window", kwargs["window"])
    assert 3 <= window <= task.train_data.feature_shape[0]
  assert type(task_factory.get_task(task)) is task_cls  # pylint: disable=unidiomatic-typecheck
  return kwargs


def test_registered_experiments():
  assert _registered() == sorted(experiments.EXPERIMENTS)


@pytest.mark.parametrize("name", experiments.EXPERIMENTS)
def test_experiment_builds_validates_and_derives_steps(name):
  config = exp_factory.get_exp_config(name)
  _check_experiment(config)
  train, valid = config.task.train_data, config.task.validation_data
  steps_per_epoch = train.num_examples // train.global_batch_size
  epochs = 10 if name.endswith("_airplanes") else experiments.PAPER_EPOCHS
  assert config.trainer.train_steps == epochs * steps_per_epoch
  assert config.trainer.checkpoint_interval == steps_per_epoch
  assert config.trainer.validation_steps == math.ceil(
      valid.num_examples / valid.global_batch_size)
  cosine = config.trainer.optimizer_config.learning_rate.cosine
  assert cosine.decay_steps == config.trainer.train_steps
  assert not valid.is_training and train.is_training
  assert train.num_classes == valid.num_classes > 1


def test_kinetics600_is_the_papers_recipe_on_model_gardens_experiment():
  config = exp_factory.get_exp_config("movinet_grw_kinetics600")
  base = movinet_configs.movinet_kinetics600()
  task = config.task
  assert task.train_data.num_examples == base.task.train_data.num_examples
  assert config.runtime.mixed_precision_dtype == "bfloat16"
  assert task.train_data.dtype == "bfloat16"
  assert task.grw.window == 5 and task.grw.weight == 0.1
  assert [e.name for e in task.grw.endpoints] == ["embedding"]
  assert task.model.head == "transformer" and task.model.stream
  assert task.train_data.feature_shape == (50, 172, 172, 3)
  assert task.train_data.temporal_stride == 5
  assert task.validation_data.min_image_size == 200
  assert task.backbone_lr_multiplier == 0.1
  optimizer = config.trainer.optimizer_config
  assert optimizer.learning_rate.cosine.initial_learning_rate == 1e-3
  assert optimizer.learning_rate.cosine.alpha == 0.01  # -> 1e-5.
  assert optimizer.ema.average_decay == experiments.EMA_DECAY
  # alpha None + normalization "none" -> the paper's 0.5 in the model.
  from tf_grw.core.grw_smoothing import default_alpha  # pylint: disable=g-import-not-at-top
  assert default_alpha(task.grw.normalization) == 0.5


def _header_experiment(path):
  with open(path) as f:
    header = [line for line in f if line.startswith("#")]
  text = "".join(header)
  match = re.search(r"--experiment=(\w+)", text)
  assert match, f"{path}: no --experiment in the header"
  assert "Result:" in text, f"{path}: no result line in the header"
  return match.group(1), text


def test_configs_folder_has_the_expected_files():
  names = {os.path.basename(p) for p in _YAMLS}
  for model in ("a0_stream", "a1_stream", "a2_stream", "a3_base"):
    assert f"movinet_{model}_k600_grw.yaml" in names
    assert f"movinet_{model}_k600_baseline.yaml" in names
  for size in ("small", "large"):
    assert f"mobilenetv3_{size}_k600_grw.yaml" in names
    assert f"mobilenetv3_{size}_k600_baseline.yaml" in names
  assert {"airplanes_a0_stream_grw.yaml", "airplanes_a0_stream_baseline.yaml",
          "airplanes_mobilenetv3_small_grw.yaml",
          "airplanes_mobilenetv3_small_baseline.yaml",
          "smoke_cpu.yaml"} <= names


@pytest.mark.parametrize("path", _YAMLS, ids=os.path.basename)
def test_yaml_overrides_only_declared_fields(path):
  name, header = _header_experiment(path)
  assert name in experiments.EXPERIMENTS
  config = exp_factory.get_exp_config(name)
  # is_strict: every key must be a declared field (KeyError otherwise).
  config = hyperparams.override_params_dict(config, path, is_strict=True)
  kwargs = _check_experiment(config)
  with open(path) as f:
    body = "".join(line for line in f if not line.startswith("#"))
  basename = os.path.basename(path)
  if basename != "smoke_cpu.yaml":
    # Derived values come from code (experiments.set_schedule).
    for key in ("train_steps", "decay_steps", "steps_per_loop"):
      assert key not in body, f"{basename} types in {key}"
  if basename.endswith("_baseline.yaml"):
    assert kwargs["grw_endpoints"] == []
    twin = path.replace("_baseline.yaml", "_grw.yaml")
    twin_config = hyperparams.override_params_dict(
        exp_factory.get_exp_config(name), twin, is_strict=True)
    twin_kwargs = _model_kwargs(twin_config.task)
    differing = {k for k in kwargs if kwargs[k] != twin_kwargs[k]}
    assert differing <= {"grw_endpoints", "window", "weight", "alpha",
                         "normalization"}, differing
    assert config.task.train_data.as_dict() == (
        twin_config.task.train_data.as_dict())
  elif basename.endswith("_grw.yaml"):
    assert kwargs["grw_endpoints"], basename
  if basename.startswith("mobilenetv3_"):
    assert "not yet run" in header
    size = basename.split("_")[1]
    assert kwargs["model_id"] == f"MobileNetV3{size.capitalize()}"
    assert config.task.validation_data.feature_shape[:2] == (50, 224)
    assert kwargs["stream"] and kwargs["head"] == "mean"
    if kwargs["grw_endpoints"]:
      assert (kwargs["window"], kwargs["weight"], kwargs["alpha"]) == (
          5, 0.1, 0.5)
  elif "_k600_" in basename:
    model_id = kwargs["model_id"]
    assert "not yet run" in header
    frames, size = config.task.validation_data.feature_shape[:2]
    if model_id == "a3":
      assert (frames, size, kwargs["stream"]) == (120, 256, False)
      assert config.task.validation_data.min_image_size == 300
    else:
      assert frames == 50 and kwargs["stream"]
      assert size == (224 if model_id == "a2" else 172)
    if kwargs["grw_endpoints"]:
      assert kwargs["window"] == (6 if model_id == "a3" else 5)
      assert (kwargs["weight"], kwargs["alpha"]) == (0.1, 0.5)


def test_unknown_yaml_key_is_rejected(tmp_path):
  path = tmp_path / "typo.yaml"
  path.write_text("task:\n  grw:\n    windw: 4\n")
  config = exp_factory.get_exp_config("movinet_grw_kinetics600")
  with pytest.raises(KeyError, match="windw"):
    hyperparams.override_params_dict(config, str(path), is_strict=True)
