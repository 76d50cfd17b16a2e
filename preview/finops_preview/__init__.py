"""Offline preview: run a Pulumi program under mocks and a policy pack over the Analyzer protocol."""
