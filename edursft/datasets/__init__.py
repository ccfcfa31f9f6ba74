"""Readers for the learning-record formats the engine consumes."""
