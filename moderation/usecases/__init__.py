"""Use cases: what the API and the pages both do, with their dependencies given explicitly.

Each returns models and raises domain errors; neither knows about requests or responses.
"""
