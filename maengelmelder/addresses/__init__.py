"""Street addresses from the city's own data (house coordinates or an OSM extract), offline:
the nearest address to a place, and type-ahead search."""
