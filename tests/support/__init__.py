"""Helpers the tests share: worlds of sites and findings, hostile files, office documents
seen as pages, scheduler jobs stored by import path, analysis workers that fail."""
