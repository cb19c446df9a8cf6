"""Routes of the studio API, one module per resource; each route is a thin call into services/."""
