"""Violation detectors: each turns a vehicle's track into findings of one family."""
