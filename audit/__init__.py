"""beian-audit: audit a jurisdiction's websites for their filing notices (备案审计)."""

__version__ = "0.1.0"
