"""Embedded defaults for running mediascribe on one machine: moto for AWS, a throwaway PostgreSQL."""
