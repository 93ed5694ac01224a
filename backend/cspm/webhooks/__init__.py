"""Signed callbacks through which scanners running elsewhere deliver their reports."""
