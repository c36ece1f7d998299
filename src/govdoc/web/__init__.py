"""Server-rendered pages (templates + htmx): citizen portal, officials' workspace, public verification."""
