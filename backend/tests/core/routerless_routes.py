"""A route module that imports but exposes no `router`: a registration failure, not an import one."""

ROUTES = ()
