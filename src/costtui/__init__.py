"""costtui: what your AI APIs cost and how close you are to every limit."""

__version__ = "0.1.0"
