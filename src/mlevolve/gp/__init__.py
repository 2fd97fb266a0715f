"""The GP engine: typed generation, variation operators, search algorithms, archive (DEAP lives here)."""
