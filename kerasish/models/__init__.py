"""Models: Model (subclassing and functional), Sequential, and loading saved models."""
from kerasish.models.cloning import clone_model
from kerasish.models.functional import Functional
from kerasish.models.model import BaseModel, Model
from kerasish.models.sequential import Sequential
from kerasish.saving.json_io import model_from_json
from kerasish.saving.model_io import load_model, save_model

__all__ = ["Model", "BaseModel", "Functional", "Sequential", "clone_model", "load_model", "model_from_json",
           "save_model"]
