"""Compliance scanning of what reps write and say: rule packs, scanner, rewrites (issue 3)."""
