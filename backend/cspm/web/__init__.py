"""Serving the browser dashboard (the built React SPA) from the API process in embedded mode."""
