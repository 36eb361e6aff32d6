"""Lifecycle steps (one function per step, future Prefect tasks): compose domain modules and adapters."""
