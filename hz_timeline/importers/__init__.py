"""Importers: read documents, find and resolve dates, turn dated statements into event candidates."""
