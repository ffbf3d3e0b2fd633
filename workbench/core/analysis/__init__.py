"""Findings from coded interviews (Qt-free): frequencies, splits, co-occurrence, prevalence."""
